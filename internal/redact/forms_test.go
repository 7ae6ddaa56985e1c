package redact_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// The secrets of these tests: an api-key and a token with the characters
// URLs and JSON escape, and values with white space, HTML's and
// markdown's specials and line breaks, which no key has but which show
// every escaper at work.
const (
	key   = "sk_live_a+b/c=d~e"
	token = "ghs_AbC+/="
)

var odd = []string{"pass phrase&<1>", "line1\nline2:x,y%z", `q"uo\te[#]`}

// TestRedactEveryForm echoes each secret in each form inside a sentence:
// the form, and only the form, becomes ***.
func TestRedactEveryForm(t *testing.T) {
	t.Parallel()
	all := append([]string{key, token}, odd...)
	ss := redact.New(all...)
	for _, secret := range all {
		for _, f := range redacttest.Forms(secret) {
			t.Run(f.Name+" of "+secret, func(t *testing.T) {
				t.Parallel()
				got := ss.Redact("Versioner said: bad key (" + f.Text + ") in the request")
				if want := "Versioner said: bad key (***) in the request"; got != want {
					t.Errorf("Redact(%q)\n got %q\nwant %q", f.Text, got, want)
				}
			})
		}
	}
}

// TestRedactMixedForms covers an echo that escapes some characters and
// not others, in either case, as hand-written escapers do.
func TestRedactMixedForms(t *testing.T) {
	t.Parallel()
	ss := redact.New(key, token)
	for _, form := range []string{
		`sk_live_a\u002Bb\/c=d~e`,
		`sk_live_a%2bb%2Fc%3dd%7Ee`,
		`sk_live_a+b%2Fc=d~e`,
		`sk_live_a&#43;b&#x2f;c&#X3D;d~e`,
		`sk\_live\_a+b/c=d\~e`,
		`ghs_AbC\u002b\u002F\u003D`,
		`ghs_AbC%252B%252F%253D`,
		`ghs\\_AbC\\u002b\\/=`,
	} {
		if got := ss.Redact("echo " + form + "."); got != "echo ***." {
			t.Errorf("Redact(%q) = %q, want %q", form, got, "echo ***.")
		}
	}
}

// TestRedactLeavesOtherText: text close to a secret, or holding its
// escapes elsewhere, is not redacted.
func TestRedactLeavesOtherText(t *testing.T) {
	t.Parallel()
	ss := redact.New(key, token)
	for _, text := range []string{
		"sk_live_a+b/c=d~f",
		"sk_live_a%2Bb%2Fc%3Dd~f",
		"sk_live_a-b/c=d~e",
		"ghs_AbC+/",
		`ghs_AbC\u002b\u002f`,
		"GET /v1/deployment-events/?product=shop%2Bapi&q=a%2Fb 401",
		`{"detail":"bad \/ \u002b \\ \"key\""}`,
		"&#43;&#x2F;&amp;",
	} {
		if got := ss.Redact(text); got != text {
			t.Errorf("Redact(%q) = %q, want it unchanged", text, got)
		}
	}
}

// TestWriterEveryForm prints each form as the step prints text: the
// runner shows none of them, in a message or in a title.
func TestWriterEveryForm(t *testing.T) {
	t.Parallel()
	all := append([]string{key, token}, odd...)
	ss := redact.New(all...)
	for _, secret := range all {
		for _, f := range redacttest.Forms(secret) {
			var out bytes.Buffer
			a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(ss.Writer(&out)))
			a.Warningf("echo %s", f.Text)
			a.WithFieldsMap(map[string]string{"title": "Versioner " + f.Text}).Errorf("echo %s.", f.Text)
			a.Debugf("%s", f.Text)
			workflow.Printf(a, "Versioner: recorded deployment event %s", f.Text)
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				for _, shown := range redacttest.Shown(line) {
					for _, p := range redacttest.Shows(shown, redacttest.Forms(secret)) {
						t.Errorf("%s: line %q shows %s", f.Name, line, p)
					}
				}
			}
		}
	}
}

// TestWriterTextLikeACommand: a line that starts as a command but is not
// one is text, redacted whole.
func TestWriterTextLikeACommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := redact.New(key).Writer(&out)
	if _, err := w.Write([]byte("::not a command " + url.QueryEscape(key) + "\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "::not a command ***\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

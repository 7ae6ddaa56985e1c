package redact_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// FuzzSecretsWriter registers a secret and prints it every way the action
// prints text: the runner never shows it, except in its ::add-mask::.
func FuzzSecretsWriter(f *testing.F) {
	hostile, err := ghrunner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range hostile {
		f.Add("sk_acme_1_s3cr3tv4lu3", s)
		f.Add("ghs_t0k3n%0Av4lu3", s)
	}
	f.Fuzz(func(t *testing.T, secret, text string) {
		ss := redact.New(secret)
		var out bytes.Buffer
		a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(ss.Writer(&out)))
		a.AddMask(secret)
		msg := text + secret + text
		a.Warningf("%s", msg)
		a.WithFieldsMap(map[string]string{"title": "Versioner"}).Errorf("%s", msg)
		a.Debugf("%s", msg)
		workflow.Printf(a, "Versioner: recorded deployment event %s", msg)
		for _, p := range ghrunner.CheckLog(out.String(), []string{secret}, "add-mask", "warning", "error", "debug") {
			t.Error(p)
		}
	})
}

// FuzzEchoedForms echoes a key and a token drawn from redacttest.Alphabet, in every
// form redacttest knows, inside text, and redacts it as each sink does:
// no form of either survives in Redact's or Markdown's text, nor in what
// the runner shows of stdout, messages and titles.
func FuzzEchoedForms(f *testing.F) {
	hostile, err := ghrunner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	for i, s := range append(hostile, "", "%2", `\`, "&amp;", "sk_acme_1") {
		f.Add(redacttest.Seed("sk_acme_1+s3cr/t=v4lu3"), s, redacttest.Seed("ghs_t0k3n%2Bv4lu3=="), uint8(i))
	}
	f.Fuzz(func(t *testing.T, keySeed []byte, text string, tokenSeed []byte, which uint8) {
		key, ok := redacttest.Key(keySeed)
		token, ok2 := redacttest.Key(tokenSeed)
		if !ok || !ok2 {
			return
		}
		ss := redact.New(key, token)
		all := redacttest.Of(key, token)
		texts := redacttest.Texts(all)
		for _, form := range all {
			if (form.Secret == key) != (which%2 == 0) {
				continue
			}
			msg := text + form.Text + text
			for sink, got := range map[string]string{"Redact": ss.Redact(msg), "Markdown": ss.Markdown(msg)} {
				for _, p := range redacttest.Shows(got, all) {
					t.Errorf("%s of %s (%q) shows %s: %q", sink, form.Name, msg, p, got)
				}
			}
			var out bytes.Buffer
			a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(ss.Writer(&out)))
			a.AddMask(key)
			a.AddMask(token)
			a.Warningf("%s", msg)
			a.WithFieldsMap(map[string]string{"title": "Versioner " + msg}).Errorf("%s", msg)
			workflow.Printf(a, "Versioner: recorded deployment event %s", msg)
			for _, p := range ghrunner.CheckLog(out.String(), texts, "add-mask", "warning", "error") {
				t.Errorf("%s: %s", form.Name, p)
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, "::add-mask::") {
					continue
				}
				for _, shown := range redacttest.Shown(line) {
					for _, p := range redacttest.Shows(shown, all) {
						t.Errorf("%s: line %q shows %s", form.Name, line, p)
					}
				}
			}
		}
	})
}

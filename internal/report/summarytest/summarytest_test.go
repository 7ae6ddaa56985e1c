package summarytest

import (
	"strings"
	"testing"
)

// Each problem Check looks for, in a summary that has it, and a summary
// that has none.
func TestCheck(t *testing.T) {
	t.Parallel()
	had := Had{URLs: []string{"https://github.com/acme/shop/actions/runs/1"}, Prefixes: []string{"https://github.com/acme/shop/commit/"},
		Secrets: []string{"sk_acme_1_s3cr3t"}}
	tests := []struct {
		name string
		md   string
		want string // in the one problem found; "" for none
	}{
		{name: "clean", md: "### ✅ Completed: shop 1.0 → production\n\n| Commit | Run |\n|---|---|\n" +
			"| [abc1234](https://github.com/acme/shop/commit/abc1234) on main | [\\#1](https://github.com/acme/shop/actions/runs/1) |\n\n" +
			"- add `permissions: deployments: write` to the job\n"},
		{name: "no headline", md: "Completed\n", want: "does not open with its headline"},
		{name: "backticks shown", md: "### x\n\nadd \\`permissions\\`\n", want: "markup as it was typed"},
		{name: "backslash shown", md: "### x\n\n`a\\|b`\n", want: "markup as it was typed"},
		{name: "asterisks shown", md: "### x\n\n** a**\n", want: "markup as it was typed"},
		{name: "the mask and a glob are text", md: "### x\n\nkey \\*\\*\\* in GITHUB\\_\\*\n"},
		{name: "empty header cell", md: "### x\n\n| | |\n|---|---|\n| a | b |\n", want: "empty header cell"},
		{name: "link the step did not have", md: "### x\n\n[run](https://evil.example/runs/1)\n", want: `"https://evil.example/runs/1", which the step did not have`},
		{name: "autolink", md: "### x\n\nsee https://evil.example\n", want: "which the step did not have"},
		{name: "image", md: "### x\n\n![x](https://github.com/acme/shop/commit/x.png)\n", want: "shows an image"},
		{name: "raw HTML", md: "### x\n\n<b>x</b>\n", want: "raw HTML"},
		{name: "secret as written", md: "### x\n\nkey sk_acme_1_s3cr3t\n", want: "the secret"},
		{name: "secret escaped", md: "### x\n\nkey sk\\_acme\\_1\\_s3cr3t\n", want: "the secret"},
		{name: "secret in a link", md: "### x\n\n[run](https://github.com/acme/shop/commit/sk_acme_1_s3cr3t)\n", want: "the secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(tt.md, had)
			if tt.want == "" {
				if len(got) > 0 {
					t.Errorf("Check() = %q, want nothing", got)
				}
				return
			}
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("Check() = %q, want a problem with %q", got, tt.want)
			}
		})
	}
}

// Markup lets a hostile value's characters show, and nothing else.
func TestCheckMarkup(t *testing.T) {
	t.Parallel()
	md := "### x\n\nproduct \\`a\\` \\*b\\*\n"
	if got := Check(md, Had{Markup: true}); len(got) > 0 {
		t.Errorf("Check() with Markup = %q, want nothing", got)
	}
	if got := Check(md+"\n| | |\n|---|---|\n", Had{Markup: true}); len(got) != 2 {
		t.Errorf("Check() with Markup = %q, want the two empty header cells", got)
	}
}

func TestShown(t *testing.T) {
	t.Parallel()
	got := Shown("### a\\_b [run](https://x.example/r?a=1&b=2) &amp; `c`\n")
	if want := "a_b \nhttps://x.example/r?a=1&b=2\nrun & c\n"; got != want {
		t.Errorf("Shown() = %q, want %q", got, want)
	}
	if got, want := Text("### a [run](https://x.example/) b\n"), "a run b\n"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

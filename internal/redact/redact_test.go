package redact_test

import (
	"bytes"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
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
		ss := redact.Secrets{secret}
		var out bytes.Buffer
		a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(ss.Writer(&out)))
		a.AddMask(secret)
		msg := text + secret + text
		a.Warningf("%s", msg)
		a.WithFieldsMap(map[string]string{"title": "Versioner"}).Errorf("%s", msg)
		a.Debugf("%s", msg)
		workflow.Printf(a, "Versioner: recorded deployment event %s", msg)
		for _, p := range ghrunner.CheckLog(out.String(), ss, "add-mask", "warning", "error", "debug") {
			t.Error(p)
		}
	})
}

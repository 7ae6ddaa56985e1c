package event

import (
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
)

// BenchmarkNew builds a deployment event from a push's context, with the
// user's metadata small and large.
func BenchmarkNew(b *testing.B) {
	src := ghcontext.Source{
		Repository: "acme/shop", Owner: "acme", Repo: "shop", SHA: "0123456789abcdef0123456789abcdef01234567",
		Branch: "main", Ref: "refs/heads/main", EventName: "push", Actor: "octocat",
		RunID: "987654321", RunNumber: "77", RunAttempt: "1", Workflow: "Deploy", Job: "deploy",
		RunURL: "https://github.com/acme/shop/actions/runs/987654321",
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, bc := range []struct{ name, metadata string }{
		{"typical", `{"ticket":"OPS-1","canary":true}`},
		{"metadata=100KB", fake.Metadata(100 << 10)},
	} {
		md, err := config.ParseMetadata(bc.metadata)
		if err != nil {
			b.Fatal(err)
		}
		cfg := &config.Config{Kind: config.Deployment, Version: "1.2.3", Environment: "production", Status: "success", Metadata: md}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := New(cfg, src, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

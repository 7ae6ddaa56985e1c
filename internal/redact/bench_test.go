package redact_test

import (
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/redact"
)

// benchLines are 200-byte log lines, as the step prints them, with the
// two secrets of a step registered.
var benchLines = map[string]string{
	// Most lines: no character any escaping writes.
	"plain": "Versioner: recorded deployment event evt_01HZX3V7Q8K2M4N6P8R0T2V4X6 (completed) for shop-api 1.2.3 in production; GitHub: deployment 123456789, status success, environment URL https example com shop api",
	// A retry's debug line with a URL: escapes, and no secret.
	"escaped": "::debug::Versioner: POST https://api.versioner.io/deployment-events/?product=shop%2Dapi&env=prod%20eu answered 503 Service Unavailable; retrying in 1.5s (attempt 2 of 5) \\u0026 Retry-After: 2 &amp; x",
	// An annotation echoing the api-key URL-encoded.
	"echo": "::error title=Versioner::Versioner answered 401 Unauthorized for POST https://api.versioner.io/deployment-events/: Invalid key in GET /v1/auth?api_key=" + url.QueryEscape(benchKey) + "&x=1: check the api-key input",
}

const (
	benchKey   = "sk_acme_1+s3cr/t=v4lu3"
	benchToken = "ghs_t0k3nv4lu3XyZ+/0123456789abcdef"
)

func BenchmarkRedact(b *testing.B) {
	ss := redact.New(benchKey, benchToken)
	for name, line := range benchLines {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for range b.N {
				ss.Redact(line)
			}
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	w := redact.New(benchKey, benchToken).Writer(io.Discard)
	for name, line := range benchLines {
		p := []byte(line + "\n")
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			for range b.N {
				w.Write(p)
			}
		})
	}
}

// BenchmarkMarkdown redacts a 2 KB job summary.
func BenchmarkMarkdown(b *testing.B) {
	ss := redact.New(benchKey, benchToken)
	row := "| Versioner | ❌ Versioner answered 401 Unauthorized for POST https://api\\.versioner\\.io/deployment\\-events/: bad key sk\\_acme\\_1+s3cr/t=v4lu3 |\n"
	summary := strings.Repeat(row, 2048/len(row)+1)
	b.SetBytes(int64(len(summary)))
	for range b.N {
		ss.Markdown(summary)
	}
}

func BenchmarkNew(b *testing.B) {
	for range b.N {
		redact.New(benchKey, benchToken)
	}
}

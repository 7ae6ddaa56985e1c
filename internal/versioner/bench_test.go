package versioner_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// BenchmarkBody encodes a completed deployment's request body, with the
// user's metadata small and large.
func BenchmarkBody(b *testing.B) {
	for _, bc := range []struct{ name, metadata string }{
		{"typical", `{"ticket":"OPS-1","canary":true}`},
		{"metadata=100KB", fake.Metadata(100 << 10)},
	} {
		md, err := config.ParseMetadata(bc.metadata)
		if err != nil {
			b.Fatal(err)
		}
		ev := with(deployment(), func(e *event.Event) { e.Metadata = md })
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := versioner.Body(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRecord posts a completed deployment over loopback and reads
// the fake Versioner's answer, replayed as it was, with no rules and with
// 500 evaluated preflight rules in it.
func BenchmarkRecord(b *testing.B) {
	ev := deployment()
	for _, bc := range []struct {
		name  string
		rules int
	}{{"rules=0", 0}, {"rules=500", 500}} {
		answer := fakeAnswer(b, ev, bc.rules)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write(answer)
		}))
		vs := client(b, srv.URL)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := vs.Record(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		srv.Close()
	}
}

// fakeAnswer is the fake Versioner's answer to ev when the account has
// rules passing preflight rules.
func fakeAnswer(b *testing.B, ev event.Event, rules int) []byte {
	b.Helper()
	vs := fake.NewVersioner(apiKey)
	vs.PassingRules(rules)
	body, err := versioner.Body(ev)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/deployment-events/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	vs.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		b.Fatalf("the fake answered %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

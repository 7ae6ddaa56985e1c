package config

import (
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// BenchmarkLoad reads and validates a deployment step's inputs, as the
// runner passes them, with and without a large metadata input.
func BenchmarkLoad(b *testing.B) {
	for _, bc := range []struct {
		name string
		over map[string]string
	}{
		{"typical", map[string]string{"metadata": `{"ticket":"OPS-1","canary":true}`}},
		{"metadata=100KB", map[string]string{"metadata": fake.Metadata(100 << 10)}},
	} {
		getenv := inputs(valid(bc.over))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Load(getenv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

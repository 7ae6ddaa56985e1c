package deployments_test

import (
	"encoding/json"
	"testing"

	"github.com/deploytrack/deploytrack/internal/deployments"
)

// BenchmarkCreateRequest encodes the body of a create-deployment request.
func BenchmarkCreateRequest(b *testing.B) {
	ev := deployment()
	b.ReportAllocs()
	for range b.N {
		if _, err := json.Marshal(deployments.CreateRequest(ev)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusRequest encodes the body of a deployment status.
func BenchmarkStatusRequest(b *testing.B) {
	ev := deployment()
	b.ReportAllocs()
	for range b.N {
		if _, err := json.Marshal(deployments.StatusRequest(ev, deployments.State(ev.Status), "")); err != nil {
			b.Fatal(err)
		}
	}
}

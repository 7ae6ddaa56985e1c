package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// metadataOf is a metadata input of exactly n bytes (n >= 11).
func metadataOf(n int) string { return `{"blob":"` + strings.Repeat("x", n-11) + `"}` }

// TestMetadataLimitIsUnderTheRunners: the runner hands each input to a
// container action as an environment variable, and Linux refuses one whose
// NAME=value (and its NUL) is over 128 KiB before the step starts. Any
// metadata the step can see must fit under our limit or get our error,
// which names the input: so the limit leaves room for the name.
func TestMetadataLimitIsUnderTheRunners(t *testing.T) {
	t.Parallel()
	largest := RunnerMaxInputBytes - len(EnvName("metadata")+"=") - 1
	if MaxMetadataBytes >= largest {
		t.Errorf("MaxMetadataBytes = %d, but the largest metadata the runner can pass is %d bytes: a user over our limit would get the runner's error, not ours", MaxMetadataBytes, largest)
	}
	if _, err := ParseMetadata(metadataOf(largest)); err == nil {
		t.Errorf("ParseMetadata of the largest input the runner can pass (%d bytes) was accepted, want our error", largest)
	}
}

func TestMetadataLimit(t *testing.T) {
	t.Parallel()
	if _, err := ParseMetadata(metadataOf(MaxMetadataBytes)); err != nil {
		t.Errorf("metadata of exactly the limit: %v", err)
	}
	_, err := Load(inputs(valid(map[string]string{"metadata": metadataOf(MaxMetadataBytes + 1)})))
	want := "input metadata is 122881 bytes; the limit is 122880 (120 KiB), under the 128 KiB the runner can pass any input: keep metadata to facts about the event"
	if err == nil || err.Error() != want {
		t.Errorf("Load() error = %v\nwant %s", err, want)
	}
}

// TestMetadataMembers: every member is kept, however many there are (up
// to 17,000 in the 120 KiB allowed), and the last of a repeated name wins,
// as encoding/json decodes them.
func TestMetadataMembers(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 8, 9, 1000, 17000} {
		keys := min(n/2+1, 10)
		var b strings.Builder
		b.WriteString("{")
		want := map[string]any{"last": "true"}
		for i := range n {
			k, v := fmt.Sprint("k", i%keys), fmt.Sprint(i%10)
			fmt.Fprintf(&b, `"%s":%s,`, k, v)
			want[k] = v
		}
		b.WriteString(`"last":true}`)
		m, err := ParseMetadata(b.String())
		if err != nil {
			t.Fatalf("%d members: %v", n, err)
		}
		got := map[string]any{}
		for k, v := range m {
			got[k] = v.(rawjson.Value).String()
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d members (-want +got):\n%s", n, diff)
		}
	}
}

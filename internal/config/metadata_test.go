package config

import (
	"strings"
	"testing"
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

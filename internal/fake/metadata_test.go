package fake

import (
	"encoding/json"
	"testing"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	for _, size := range []int{2, 200, 100 << 10} {
		s := Metadata(size)
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("Metadata(%d) is not a JSON object: %v", size, err)
		}
		if len(s) > size || len(s) < size-200 {
			t.Errorf("Metadata(%d) is %d bytes", size, len(s))
		}
	}
}

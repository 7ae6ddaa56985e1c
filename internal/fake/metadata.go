package fake

import (
	"fmt"
	"strings"
)

// Metadata returns a metadata input of about size bytes (never more): one JSON object of the shape
// a workflow passes when it forwards a build manifest, with many keys holding strings, numbers and
// small nested objects. With PassingRules it lets tests and benchmarks make a step's work grow.
func Metadata(size int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; ; i++ {
		entry := fmt.Sprintf(`"artifact_%d":{"digest":"sha256:%064x","size":%d,"tags":["v%d","latest"]}`, i, i, 1000+i, i)
		if b.Len()+len(entry)+2 > size {
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(entry)
	}
	b.WriteString("}")
	return b.String()
}

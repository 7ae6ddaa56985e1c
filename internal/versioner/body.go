package versioner

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// Body is the JSON the API receives for ev: exactly what Record sends and
// what a dry run prints. It is written here rather than by json.Marshal,
// which re-reads and compacts every json.RawMessage it meets: the
// metadata's values (up to 120 KB) are JSON text that ParseMetadata
// checked (each a rawjson.Value), and go out as the user wrote them,
// without being read again.
func Body(ev event.Event) ([]byte, error) {
	b := fields(ev)
	keys := slices.Collect(maps.Keys(b))
	if ev.Metadata != nil {
		keys = append(keys, "extra_metadata")
	}
	slices.Sort(keys) // as json.Marshal orders a map's keys
	var meta members
	size := 1024
	if ev.Metadata != nil {
		meta = sortedMembers(ev.Metadata)
		size += meta.size()
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(appendString(out, k), ':')
		if k != "extra_metadata" {
			out = appendString(out, b[k])
			continue
		}
		var err error
		if out, err = appendObject(out, meta); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// fields are the body's members but extra_metadata, all strings.
func fields(ev event.Event) map[string]string {
	b := map[string]string{
		"product_name":  ev.Product,
		"version":       ev.Version,
		"status":        string(ev.Status),
		"source_system": "github",
	}
	opt := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	opt("scm_repository", ev.Repository)
	opt("scm_sha", ev.SHA)
	opt("scm_branch", ev.Branch)
	opt("build_number", ev.RunNumber)
	opt("invoke_id", ev.RunID)
	at := ev.At.Format(time.RFC3339)
	if ev.Kind == event.Build {
		opt("built_by", ev.Actor)
		opt("built_by_name", ev.ActorName)
		opt("built_by_email", ev.ActorEmail)
		opt("build_url", first(ev.BuildURL, ev.RunURL))
		if ev.Status == event.Started {
			b["started_at"] = at
		}
	} else {
		b["environment_name"] = ev.Environment
		opt("deployed_by", ev.Actor)
		opt("deployed_by_name", ev.ActorName)
		opt("deployed_by_email", ev.ActorEmail)
		opt("deploy_url", ev.RunURL)
		opt("build_url", ev.BuildURL)
	}
	if ev.Status.Terminal() {
		b["completed_at"] = at
	}
	return b
}

// appendObject appends ms as a JSON object, in their order. A
// rawjson.Value is appended as it is: rawjson checked it. A
// json.RawMessage is appended as it is when it is valid JSON (one pass,
// no copy made to compact it); any other value, or text that is not
// JSON, goes through json.Marshal, whose error is Body's.
func appendObject(out []byte, ms members) ([]byte, error) {
	out = append(out, '{')
	for n, h := range ms.order {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(appendString(out, ms.keys[h.i]), ':')
		switch v := ms.vals[h.i].(type) {
		case rawjson.Value:
			out = append(out, v.String()...)
			continue
		case json.RawMessage:
			if len(v) > 0 && rawjson.Valid(v) {
				out = append(out, v...)
				continue
			}
		case string:
			out = appendString(out, v)
			continue
		}
		j, err := json.Marshal(ms.vals[h.i])
		if err != nil {
			return nil, err
		}
		out = append(out, j...)
	}
	return append(out, '}'), nil
}

// size is about how many bytes ms take as JSON: their keys, and their
// values that are text, JSON or not.
func (ms members) size() int {
	n := 0
	for i, k := range ms.keys {
		n += len(k) + 4
		switch v := ms.vals[i].(type) {
		case rawjson.Value:
			n += len(v.String())
		case json.RawMessage:
			n += len(v)
		case string:
			n += len(v) + 2
		}
	}
	return n
}

// appendString appends s as a JSON string, as json.Marshal writes it: a
// string of printable ASCII that JSON need not escape (nearly every key
// and value) directly, any other through json.Marshal.
func appendString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always encodes
			return append(out, j...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

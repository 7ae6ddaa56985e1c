package deployments

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// GitHub's lists are decoded in one pass of rawjson, member by member into
// the few fields the step reads, as encoding/json would decode them into
// listed and listedStatus (names matched in any case, the last of a
// repeated name winning, null leaving a field as it was, a value of the
// wrong type an error): encoding/json reads each answer twice, skips the
// thirty-odd fields the step does not read one by one, and builds its
// caches for the types in every new process, which was the largest share
// of the step's own CPU time after the HTTP stack (BENCHMARKS.md). A fuzz
// test holds the two together. The answer must be that one value, as for
// json.Unmarshal: an empty body, or text after the value, which
// go-github's decoder let through, is not the API's answer.

// jsonSpace is what JSON allows around a value.
const jsonSpace = " \t\r\n"

// errNotList is the error of an answer that is not what was asked for
// (see notJSON).
var errNotList = errors.New("not the JSON asked for")

// decodeListed decodes a page of GitHub's deployments.
func decodeListed(b []byte) ([]listed, error) {
	var page []listed
	var err error
	ok := rawjson.Array(b, func(v []byte) {
		var l listed
		if err == nil {
			err = decodeInto(v, func(m rawjson.Member) error { return l.set(m) })
		}
		page = append(page, l)
	})
	return page, answer(b, ok, err)
}

// decodeStatuses decodes a page of a deployment's statuses.
func decodeStatuses(b []byte) ([]listedStatus, error) {
	var page []listedStatus
	var err error
	ok := rawjson.Array(b, func(v []byte) {
		var s listedStatus
		if err == nil {
			err = decodeInto(v, func(m rawjson.Member) error {
				switch {
				case m.Is("state"):
					return setString(&s.State, m)
				case m.Is("log_url"):
					return setString(&s.LogURL, m)
				case m.Is("target_url"):
					return setString(&s.TargetURL, m)
				}
				return nil
			})
		}
		page = append(page, s)
	})
	return page, answer(b, ok, err)
}

// answer is the error of a page that rawjson.Array read (ok) or not, err
// the first of its elements' errors; null is an empty page, as
// encoding/json has it.
func answer(b []byte, ok bool, err error) error {
	switch {
	case !ok && string(bytes.Trim(b, jsonSpace)) == "null":
		return nil
	case !ok:
		return errNotList
	}
	return err
}

// decodeInto calls set for each member of v, an object, or does nothing
// for null.
func decodeInto(v []byte, set func(rawjson.Member) error) error {
	if string(v) == "null" {
		return nil
	}
	var err error
	if !rawjson.Object(v, func(m rawjson.Member) {
		if err == nil {
			err = set(m)
		}
	}) {
		return fmt.Errorf("%w: an element is %.40s", errNotList, v)
	}
	return err
}

// decodeID reads the id of the object GitHub answers a create with (of a
// deployment, or of a status), as encoding/json would decode it into an
// int64 field.
func decodeID(b []byte) (int64, error) {
	var id int64
	var err error
	if !rawjson.Object(b, func(m rawjson.Member) {
		if err == nil && m.Is("id") && string(m.Value) != "null" {
			id, err = parseID(m.Value, "the id")
		}
	}) {
		return 0, fmt.Errorf("%w: the answer is not one JSON object", errNotList)
	}
	return id, err
}

// parseID reads v, what, as encoding/json reads a number into an int64.
func parseID(v []byte, what string) (int64, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is %.40s", errNotList, what, v)
	}
	return n, nil
}

// set decodes one member of a listed deployment.
func (l *listed) set(m rawjson.Member) error {
	switch {
	case m.Is("id"):
		if string(m.Value) == "null" {
			return nil
		}
		n, err := parseID(m.Value, "a deployment's id")
		if err != nil {
			return err
		}
		l.ID = n
	case m.Is("sha"):
		return setString(&l.SHA, m)
	case m.Is("environment"):
		return setString(&l.Environment, m)
	case m.Is("payload"):
		l.Payload = append(l.Payload[:0], m.Value...)
	case m.Is("creator"):
		if string(m.Value) == "null" {
			l.Creator = nil
			return nil
		}
		if l.Creator == nil {
			l.Creator = &creator{}
		}
		c := l.Creator
		return decodeInto(m.Value, func(m rawjson.Member) error {
			if m.Is("login") {
				return setString(&c.Login, m)
			}
			return nil
		})
	case m.Is("created_at"):
		if string(m.Value) == "null" {
			l.CreatedAt = nil
			return nil
		}
		var t github.Timestamp
		if err := t.UnmarshalJSON(m.Value); err != nil {
			return fmt.Errorf("%w: a deployment's created_at is %.40s", errNotList, m.Value)
		}
		l.CreatedAt = &t
	}
	return nil
}

// setString decodes m's value, a string or null, into s.
func setString(s *string, m rawjson.Member) error {
	if string(m.Value) == "null" {
		return nil
	}
	v, ok := rawjson.String(m.Value)
	if !ok {
		return fmt.Errorf("%w: %s is %.40s, not a string", errNotList, m.Name(), m.Value)
	}
	*s = v
	return nil
}

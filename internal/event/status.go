package event

import (
	"fmt"
	"slices"
	"strings"

	"github.com/deploytrack/deploytrack/internal/config"
)

// Status is one of the five canonical states of an event.
type Status string

// The canonical states, as Versioner stores them.
const (
	Pending   Status = "pending"
	Started   Status = "started"
	Completed Status = "completed"
	Failed    Status = "failed"
	Aborted   Status = "aborted"
)

// Terminal reports whether the status ends the event.
func (s Status) Terminal() bool { return s == Completed || s == Failed || s == Aborted }

// vocabulary maps every word the action accepts to its canonical state:
// Versioner's own vocabulary, plus the words GitHub uses for a job, a step
// or a check (success, failure, cancelled, skipped, timed_out, ...), so
// that `status: ${{ job.status }}` just works.
var vocabulary = map[string]Status{
	"pending": Pending, "queued": Pending, "scheduled": Pending, "waiting": Pending, "requested": Pending,

	"started": Started, "in_progress": Started, "init": Started, "running": Started,

	"completed": Completed, "success": Completed, "complete": Completed, "finished": Completed,
	"succeeded": Completed,

	"failed": Failed, "fail": Failed, "failure": Failed, "error": Failed, "timed_out": Failed,

	"aborted": Aborted, "abort": Aborted, "cancelled": Aborted, "canceled": Aborted,
	"cancel": Aborted, "skipped": Aborted,
}

// kindWords are accepted for one kind of event only, as Versioner does.
var kindWords = map[Kind]map[string]Status{
	Deployment: {"deploying": Started, "deployed": Completed},
	Build:      {"building": Started, "built": Completed},
}

// ParseStatus normalises a status word, case-insensitively.
func ParseStatus(kind Kind, s string) (Status, error) {
	w := strings.ToLower(strings.TrimSpace(s))
	w = strings.ReplaceAll(w, "-", "_")
	if st, ok := vocabulary[w]; ok {
		return st, nil
	}
	if st, ok := kindWords[kind][w]; ok {
		return st, nil
	}
	return "", &config.InputError{Input: "status", Problem: fmt.Sprintf("is %q, which a %s event does not accept: use one of %s", s, kind, strings.Join(Words(kind), ", "))}
}

// Words lists the accepted words for a kind of event, grouped by state.
func Words(kind Kind) []string {
	var out []string
	for _, st := range []Status{Pending, Started, Completed, Failed, Aborted} {
		out = append(out, string(st))
		for w, s := range kindWords[kind] {
			if s == st {
				out = append(out, w)
			}
		}
		for _, w := range sortedWords(st) {
			if w != string(st) {
				out = append(out, w)
			}
		}
	}
	return out
}

func sortedWords(st Status) []string {
	var ws []string
	for w, s := range vocabulary {
		if s == st {
			ws = append(ws, w)
		}
	}
	slices.Sort(ws)
	return ws
}

// Package event builds the one canonical Event a step records, from the
// validated inputs and the detected run context. Both sinks read only the
// Event, so they always agree on what was recorded.
package event

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
)

// Kind says whether an event is a deployment or a build. It is config's
// type under a name of this package, so that the sinks, which read only
// the Event, need not import config (config cannot import event).
type Kind = config.Kind

// The two kinds of event Versioner tracks.
const (
	Deployment = config.Deployment
	Build      = config.Build
)

// Event is what one step records.
type Event struct {
	Kind        Kind
	Product     string
	Version     string
	Environment string // deployments only
	Status      Status

	Repository string // owner/name
	SHA        string
	Branch     string
	Actor      string
	// ActorName and ActorEmail are deployed_by_name and deployed_by_email
	// (built_by_* for a build): the inputs, else the author of the event's
	// head commit, as Versioner's own action sends them. Each input
	// overrides its own field only.
	ActorName  string
	ActorEmail string
	RunURL     string // the run that records the event
	BuildURL   string // the build-url input: a link to the build that made the artifact
	RunID      string
	RunNumber  string
	RunAttempt string

	// Metadata is extra_metadata: the detected vi_gh_* facts with the
	// user's metadata input laid over them.
	Metadata map[string]any

	EnvironmentURL string
	Description    string

	// At is when the step recorded the event.
	At time.Time
	// StartedAt is when the deploy started, as the step that recorded its
	// start handed it on (zero: not known). See Started.
	StartedAt time.Time

	// IdempotencyKey is sent with every attempt of this step's request and
	// differs for the next step, so a retry after a lost response cannot
	// record the event twice.
	IdempotencyKey string
}

// New builds the Event. Its errors are *config.InputError.
func New(c *config.Config, s ghcontext.Source, now time.Time) (Event, error) {
	st, err := ParseStatus(c.Kind, c.Status)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	e := Event{
		Kind:           c.Kind,
		Product:        first(c.Product, s.Repo),
		Version:        c.Version,
		Status:         st,
		Repository:     s.Repository,
		SHA:            first(c.SCMSHA, s.SHA),
		Branch:         first(c.SCMBranch, s.Branch),
		Actor:          first(c.DeployedBy, s.Actor),
		ActorName:      first(c.DeployedByName, s.AuthorName),
		ActorEmail:     first(c.DeployedByEmail, s.AuthorEmail),
		RunURL:         s.RunURL,
		BuildURL:       c.BuildURL,
		RunID:          s.RunID,
		RunNumber:      s.RunNumber,
		RunAttempt:     s.RunAttempt,
		EnvironmentURL: c.EnvironmentURL,
		Description:    c.Description,
		At:             now.UTC(),
	}
	if c.Kind == Deployment {
		e.Environment = c.Environment
	}
	if e.Product == "" {
		errs = append(errs, &config.InputError{Input: "product", Problem: "is required outside GitHub Actions (GITHUB_REPOSITORY is not set to take the name from)"})
	}

	e.Metadata = merge(detected(s), c.Metadata)
	if len(e.Metadata) == 0 {
		e.Metadata = nil
	}
	e.IdempotencyKey = idempotencyKey()
	return e, errors.Join(errs...)
}

// detected returns the vi_gh_* facts Versioner's own integrations send,
// each only when present.
func detected(s ghcontext.Source) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"vi_gh_workflow":    s.Workflow,
		"vi_gh_job":         s.Job,
		"vi_gh_run_attempt": s.RunAttempt,
		"vi_gh_event_name":  s.EventName,
		"vi_gh_ref":         s.Ref,
		"vi_gh_head_ref":    s.HeadRef,
		"vi_gh_base_ref":    s.BaseRef,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// merge returns the detected facts with the user's metadata laid over
// them, in a map of its own. A large metadata input (it can hold
// thousands of keys) is cloned, its table copied with no key hashed
// again, and the few detected facts it lacks added, rather than inserted
// into a new map one key at a time; a small one goes into a map sized
// once for both.
func merge(detected, user map[string]any) map[string]any {
	if len(user) <= 64 {
		m := make(map[string]any, len(detected)+len(user))
		maps.Copy(m, detected)
		maps.Copy(m, user)
		return m
	}
	m := maps.Clone(user)
	for k, v := range detected {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}

// idempotencyKey is new for every step and sent with every attempt of
// that step's request. A key derived from the run and the step would
// collide when a composite action or a loop records the same product
// twice in one step's name, and the API would then refuse or drop the
// second event.
func idempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "deploytrack-" + hex.EncodeToString(b)
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// DurationKey is the extra_metadata field in which Versioner's deployment
// metadata holds how long a deploy took, in whole seconds.
const DurationKey = "deployment_duration_seconds"

// Started records when the deploy started. On a final status (completed,
// failed, aborted) of a deployment it also records how long the deploy
// took, under DurationKey, unless the user's metadata says it already. A
// start that is not before the event is ignored: a clock that went back
// gives no duration rather than a wrong one.
func (e *Event) Started(at time.Time) {
	if at.IsZero() || !at.Before(e.At) {
		return
	}
	e.StartedAt = at.UTC()
	if e.Kind != Deployment || !e.Status.Terminal() {
		return
	}
	if _, ok := e.Metadata[DurationKey]; ok {
		return // the user's own figure wins
	}
	if e.Metadata == nil {
		e.Metadata = map[string]any{}
	}
	e.Metadata[DurationKey] = int64(e.Duration() / time.Second)
}

// Duration is how long the deploy took, from its start to this event; 0
// when the start is not known.
func (e Event) Duration() time.Duration {
	if e.StartedAt.IsZero() {
		return 0
	}
	return e.At.Sub(e.StartedAt)
}

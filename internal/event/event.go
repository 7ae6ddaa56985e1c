// Package event builds the one canonical Event a step records, from the
// validated inputs and the detected run context. Both sinks read only the
// Event, so they always agree on what was recorded.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
)

// Event is what one step records.
type Event struct {
	Kind        config.Kind
	Product     string
	Version     string
	Environment string // deployments only
	Status      Status

	Repository string // owner/name
	SHA        string
	Branch     string
	Actor      string
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

	// IdempotencyKey is the same for every attempt of one step's event and
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
		RunURL:         s.RunURL,
		BuildURL:       c.BuildURL,
		RunID:          s.RunID,
		RunNumber:      s.RunNumber,
		RunAttempt:     s.RunAttempt,
		EnvironmentURL: c.EnvironmentURL,
		Description:    c.Description,
		At:             now.UTC(),
	}
	if c.Kind == config.Deployment {
		e.Environment = c.Environment
	}
	if e.Product == "" {
		errs = append(errs, &config.InputError{Input: "product", Problem: "is required outside GitHub Actions (GITHUB_REPOSITORY is not set to take the name from)"})
	}

	e.Metadata = detected(s)
	maps.Copy(e.Metadata, c.Metadata)
	if len(e.Metadata) == 0 {
		e.Metadata = nil
	}
	e.IdempotencyKey = idempotencyKey(e, s)
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

// idempotencyKey names this step's event: the run attempt, the job and the
// step (GITHUB_ACTION is unique within a job) and what is recorded. Outside
// a run nothing names the step, so the time does.
func idempotencyKey(e Event, s ghcontext.Source) string {
	step := s.Action
	if s.RunID == "" {
		step = e.At.Format(time.RFC3339Nano)
	}
	h := sha256.New()
	for _, part := range []string{
		s.Repository, s.RunID, s.RunAttempt, s.Job, step,
		string(e.Kind), e.Product, e.Version, e.Environment, string(e.Status),
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "deploytrack-" + hex.EncodeToString(h.Sum(nil)[:16])
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

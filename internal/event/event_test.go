package event

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind config.Kind
		in   string
		want Status
	}{
		{config.Deployment, "completed", Completed},
		{config.Deployment, "success", Completed},
		{config.Deployment, "Success", Completed},
		{config.Deployment, " deployed ", Completed},
		{config.Deployment, "failure", Failed},
		{config.Deployment, "error", Failed},
		{config.Deployment, "timed_out", Failed},
		{config.Deployment, "cancelled", Aborted},
		{config.Deployment, "canceled", Aborted},
		{config.Deployment, "skipped", Aborted},
		{config.Deployment, "in_progress", Started},
		{config.Deployment, "in-progress", Started},
		{config.Deployment, "deploying", Started},
		{config.Deployment, "init", Started},
		{config.Deployment, "queued", Pending},
		{config.Deployment, "scheduled", Pending},
		{config.Build, "building", Started},
		{config.Build, "built", Completed},
		{config.Build, "fail", Failed},
		{config.Build, "abort", Aborted},
	}
	for _, tt := range tests {
		got, err := ParseStatus(tt.kind, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseStatus(%s, %q) = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
		}
	}
}

func TestParseStatusRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		kind config.Kind
		in   string
	}{
		{config.Deployment, "built"}, // a build word
		{config.Build, "deploying"},
		{config.Deployment, "done"},
		{config.Deployment, ""},
		{config.Deployment, "success!"},
	} {
		_, err := ParseStatus(tt.kind, tt.in)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Input != "status" {
			t.Fatalf("ParseStatus(%s, %q) error = %v, want an InputError for status", tt.kind, tt.in, err)
		}
		if !strings.Contains(ie.Problem, "completed") || !strings.Contains(ie.Problem, "success") {
			t.Errorf("error %q should list the accepted words", ie.Problem)
		}
	}
	_, err := ParseStatus(config.Deployment, "built")
	if err == nil || !strings.Contains(err.Error(), `"built"`) {
		t.Errorf("ParseStatus(deployment, built) error = %v, want it quoted", err)
	}
	if strings.Contains(err.Error(), "built,") || strings.Contains(err.Error(), "building") {
		t.Errorf("deployment words listed build-only words: %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	src := ghcontext.Source{
		Repository: "acme/shop", Owner: "acme", Repo: "shop", SHA: "abc", Branch: "main",
		Ref: "refs/heads/main", EventName: "push", Actor: "octocat",
		RunID: "9", RunNumber: "7", RunAttempt: "2", Workflow: "Deploy", Job: "deploy",
		RunURL: "https://github.com/acme/shop/actions/runs/9",
	}
	cfg := &config.Config{
		Kind: config.Deployment, Version: "1.2.3", Environment: "prod", Status: "success",
		Metadata: map[string]any{"ticket": "OPS-1", "vi_gh_job": "overridden"},
	}
	got, err := New(cfg, src, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Kind: config.Deployment, Product: "shop", Version: "1.2.3", Environment: "prod", Status: Completed,
		Repository: "acme/shop", SHA: "abc", Branch: "main", Actor: "octocat",
		RunURL: "https://github.com/acme/shop/actions/runs/9", RunID: "9", RunNumber: "7", RunAttempt: "2",
		Metadata: map[string]any{
			"ticket": "OPS-1", "vi_gh_job": "overridden", "vi_gh_workflow": "Deploy",
			"vi_gh_run_attempt": "2", "vi_gh_event_name": "push", "vi_gh_ref": "refs/heads/main",
		},
		At: now.UTC(),
	}
	if diff := cmp.Diff(want, got, cmpIgnoreKey()); diff != "" {
		t.Errorf("New() mismatch (-want +got):\n%s", diff)
	}

	// Overrides win over what is detected.
	cfg2 := *cfg
	cfg2.Product, cfg2.SCMSHA, cfg2.SCMBranch, cfg2.DeployedBy, cfg2.BuildURL = "api", "def", "rel", "bot", "https://ci/1"
	got2, _ := New(&cfg2, src, now)
	if got2.Product != "api" || got2.SHA != "def" || got2.Branch != "rel" || got2.Actor != "bot" || got2.BuildURL != "https://ci/1" {
		t.Errorf("overrides not applied: %+v", got2)
	}
}

// TestNewWho: deployed_by is the actor, its name and email the author of
// the event's head commit, as Versioner's own action sends them; each
// input overrides its own field and nothing else.
func TestNewWho(t *testing.T) {
	t.Parallel()
	push := ghcontext.Source{Repository: "acme/shop", Repo: "shop", Actor: "octocat", AuthorName: "Mona Lisa", AuthorEmail: "mona@example.com"}
	pr := ghcontext.Source{Repository: "acme/shop", Repo: "shop", Actor: "octocat"} // a pull_request payload names no author
	type who struct{ Actor, Name, Email string }
	tests := []struct {
		name string
		src  ghcontext.Source
		cfg  config.Config
		want who
	}{
		{name: "detected on a push", src: push, want: who{"octocat", "Mona Lisa", "mona@example.com"}},
		{name: "a payload without an author sends only the actor", src: pr, want: who{"octocat", "", ""}},
		{name: "the inputs win", src: push, cfg: config.Config{DeployedBy: "bot", DeployedByName: "Release Bot", DeployedByEmail: "bot@example.com"},
			want: who{"bot", "Release Bot", "bot@example.com"}},
		{name: "each input overrides its own field", src: push, cfg: config.Config{DeployedByEmail: "mona@work.example"},
			want: who{"octocat", "Mona Lisa", "mona@work.example"}},
		{name: "inputs where nothing is detected", src: pr, cfg: config.Config{DeployedByName: "Hubot", DeployedByEmail: "hubot@example.com"},
			want: who{"octocat", "Hubot", "hubot@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, kind := range []config.Kind{config.Deployment, config.Build} {
				cfg := tt.cfg
				cfg.Kind, cfg.Version, cfg.Environment, cfg.Status = kind, "1", "prod", "completed"
				ev, err := New(&cfg, tt.src, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, who{ev.Actor, ev.ActorName, ev.ActorEmail}); diff != "" {
					t.Errorf("%s (-want +got):\n%s", kind, diff)
				}
			}
		})
	}
}

func TestNewBuildHasNoEnvironment(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Kind: config.Build, Version: "1", Environment: "prod", Status: "built"}
	got, err := New(cfg, ghcontext.Source{Repo: "shop"}, time.Now())
	if err != nil || got.Environment != "" || got.Status != Completed || got.Metadata != nil {
		t.Errorf("New() = %+v, %v", got, err)
	}
}

func TestNewNeedsAProduct(t *testing.T) {
	t.Parallel()
	_, err := New(&config.Config{Kind: config.Build, Version: "1", Status: "started"}, ghcontext.Source{}, time.Now())
	var ie *config.InputError
	if !errors.As(err, &ie) || ie.Input != "product" {
		t.Errorf("error = %v, want one naming product", err)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Kind: config.Deployment, Version: "1", Environment: "prod", Status: "started"}
	src := ghcontext.Source{Repo: "shop", RunID: "9"}
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		ev, err := New(cfg, src, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ev.IdempotencyKey, "deploytrack-") || len(ev.IdempotencyKey) != len("deploytrack-")+32 {
			t.Fatalf("key %q is not deploytrack- and 32 hex digits", ev.IdempotencyKey)
		}
		if seen[ev.IdempotencyKey] {
			t.Fatalf("two steps with the same inputs share key %s", ev.IdempotencyKey)
		}
		seen[ev.IdempotencyKey] = true
	}
}

func cmpIgnoreKey() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "IdempotencyKey" }, cmp.Ignore())
}

func FuzzParseStatus(f *testing.F) {
	for _, w := range append(Words(config.Deployment), Words(config.Build)...) {
		f.Add(w)
	}
	f.Add("in-progress")
	f.Add("\x00")
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []config.Kind{config.Deployment, config.Build} {
			st, err := ParseStatus(k, s)
			if err == nil {
				switch st {
				case Pending, Started, Completed, Failed, Aborted:
				default:
					t.Errorf("ParseStatus(%q) = %q, not canonical", s, st)
				}
			}
		}
	})
}

// JobVar makes portable names that change with every part of the key, and
// only with it.
func TestJobVar(t *testing.T) {
	t.Parallel()
	base := JobVar("FINISHED", "deployment", "shop-api", "production")
	if !regexp.MustCompile(`^DEPLOYTRACK_FINISHED_[0-9A-F]{12}$`).MatchString(base) {
		t.Errorf("JobVar() = %q, not a portable variable name", base)
	}
	for _, other := range [][]string{
		{"build", "shop-api", "production"},
		{"deployment", "shop-apiproduction", ""}, // parts are kept apart
		{"deployment", "shop-api", "staging"},
	} {
		if got := JobVar("FINISHED", other...); got == base {
			t.Errorf("JobVar(%q) = JobVar of another key: %s", other, got)
		}
	}
	if got := JobVar("FINISHED", "deployment", "shop-api", "production"); got != base {
		t.Errorf("JobVar() = %q then %q", base, got)
	}
}

// Started records the deploy's duration on a final status of a
// deployment, in whole seconds, unless the user's metadata gives it.
func TestStarted(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		kind     Kind
		status   Status
		metadata map[string]any
		start    time.Time
		want     any // extra_metadata[DurationKey]; nil: absent
		wantDur  time.Duration
	}{
		{name: "completed", kind: Deployment, status: Completed, start: at.Add(-90500 * time.Millisecond), want: int64(90), wantDur: 90500 * time.Millisecond},
		{name: "failed", kind: Deployment, status: Failed, start: at.Add(-time.Minute), want: int64(60), wantDur: time.Minute},
		{name: "aborted", kind: Deployment, status: Aborted, start: at.Add(-time.Second), want: int64(1), wantDur: time.Second},
		{name: "the user's figure wins", kind: Deployment, status: Completed, metadata: map[string]any{DurationKey: "42"}, start: at.Add(-time.Minute), want: "42", wantDur: time.Minute},
		{name: "a start is not final", kind: Deployment, status: Started, start: at.Add(-time.Minute), wantDur: time.Minute},
		{name: "a build has no deployment duration", kind: Build, status: Completed, start: at.Add(-time.Minute), wantDur: time.Minute},
		{name: "start unknown", kind: Deployment, status: Completed},
		{name: "start after the event: no duration", kind: Deployment, status: Completed, start: at.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := Event{Kind: tt.kind, Status: tt.status, At: at, Metadata: tt.metadata}
			e.Started(tt.start)
			if got := e.Metadata[DurationKey]; got != tt.want {
				t.Errorf("extra_metadata[%s] = %#v, want %#v", DurationKey, got, tt.want)
			}
			if got := e.Duration(); got != tt.wantDur {
				t.Errorf("Duration() = %v, want %v", got, tt.wantDur)
			}
		})
	}
}

// The user's metadata is laid over the detected facts, in a map of the
// event's own, whether it is small (one map sized for both) or large
// (cloned, then the facts it lacks added).
func TestMerge(t *testing.T) {
	t.Parallel()
	detected := func() map[string]any { return map[string]any{"vi_gh_job": "deploy", "vi_gh_ref": "refs/heads/main"} }
	large := func(over map[string]any) map[string]any {
		m := map[string]any{}
		for i := range 100 {
			m[fmt.Sprint("k", i)] = i
		}
		maps.Copy(m, over)
		return m
	}
	tests := []struct {
		name           string
		detected, user map[string]any
		want           map[string]any
	}{
		{name: "no metadata: the facts", detected: detected(), want: detected()},
		{name: "no facts: the metadata", detected: map[string]any{}, user: map[string]any{"a": 1}, want: map[string]any{"a": 1}},
		{name: "small: the user's value wins", detected: detected(), user: map[string]any{"vi_gh_job": "mine", "a": 1},
			want: map[string]any{"vi_gh_job": "mine", "vi_gh_ref": "refs/heads/main", "a": 1}},
		{name: "large: the user's value wins", detected: detected(), user: large(map[string]any{"vi_gh_job": "mine"}),
			want: large(map[string]any{"vi_gh_job": "mine", "vi_gh_ref": "refs/heads/main"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			user := maps.Clone(tt.user)
			got := merge(tt.detected, tt.user)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merge() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(user, tt.user); diff != "" {
				t.Errorf("merge() changed the user's map (-before +after):\n%s", diff)
			}
		})
	}
}

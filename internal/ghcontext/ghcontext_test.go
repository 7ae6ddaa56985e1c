package ghcontext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sethvargo/go-githubactions"
)

func events(name string) string { return filepath.Join("..", "..", "testdata", "events", name) }

// payload writes an event payload to a file of its own and returns its path.
func payload(t *testing.T, json string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runner returns the variables every run has, with overrides.
func runner(over map[string]string) func(string) string {
	env := map[string]string{
		"GITHUB_REPOSITORY":  "acme/shop",
		"GITHUB_RUN_ID":      "987654321",
		"GITHUB_RUN_NUMBER":  "77",
		"GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTOR":       "octocat",
		"GITHUB_WORKFLOW":    "Deploy",
		"GITHUB_JOB":         "deploy",
		"GITHUB_ACTION":      "__deploytrack_deploytrack",
		"GITHUB_SERVER_URL":  "https://github.com",
		"GITHUB_API_URL":     "https://api.github.com",
	}
	for k, v := range over {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()
	base := Source{
		Repository: "acme/shop", Owner: "acme", Repo: "shop",
		Actor: "octocat", RunID: "987654321", RunNumber: "77", RunAttempt: "1",
		Workflow: "Deploy", Job: "deploy",
		ServerURL: "https://github.com", APIURL: "https://api.github.com",
		RunURL: "https://github.com/acme/shop/actions/runs/987654321",
	}
	with := func(f func(*Source)) Source { s := base; f(&s); return s }

	tests := []struct {
		name        string
		env         map[string]string
		want        Source
		wantWarning string
	}{
		{
			name: "push to a branch records GITHUB_SHA and the branch",
			env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": events("push.json"),
				"GITHUB_SHA": "1111111111111111111111111111111111111111", "GITHUB_REF": "refs/heads/main",
				"GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Ref, s.Branch = "push", "1111111111111111111111111111111111111111", "refs/heads/main", "main"
				s.AuthorName, s.AuthorEmail = "Mona Lisa", "mona@example.com"
			}),
		},
		{
			name: "tag push records no branch, only the ref",
			env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": events("tag.json"),
				"GITHUB_SHA": "2222222222222222222222222222222222222222", "GITHUB_REF": "refs/tags/v1.2.3",
				"GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Ref = "push", "2222222222222222222222222222222222222222", "refs/tags/v1.2.3"
				s.AuthorName, s.AuthorEmail = "Release Bot", "release@example.com"
			}),
		},
		{
			name: "pull_request uses head sha, never the test merge",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": events("pull_request.json"),
				"GITHUB_SHA": "5555555555555555555555555555555555555555", "GITHUB_REF": "refs/pull/42/merge",
				"GITHUB_REF_NAME": "42/merge", "GITHUB_REF_TYPE": "branch",
				"GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Ref, s.Branch = "pull_request", "3333333333333333333333333333333333333333", "refs/pull/42/merge", "feature/login"
				s.HeadRef, s.BaseRef = "feature/login", "main"
			}),
		},
		{
			name: "pull_request_target uses head sha too",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": events("pull_request.json"),
				"GITHUB_SHA": "4444444444444444444444444444444444444444", "GITHUB_HEAD_REF": "feature/login"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Branch, s.HeadRef = "pull_request_target", "3333333333333333333333333333333333333333", "feature/login", "feature/login"
			}),
		},
		{
			name: "workflow_run uses the triggering run's head sha and branch",
			env: map[string]string{"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": events("workflow_run.json"),
				"GITHUB_SHA": "8888888888888888888888888888888888888888", "GITHUB_REF": "refs/heads/main",
				"GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Ref, s.Branch = "workflow_run", "6666666666666666666666666666666666666666", "refs/heads/main", "release/2.0"
				s.AuthorName, s.AuthorEmail = "Hubot", "hubot@example.com"
			}),
		},
		{
			name: "deployment event uses deployment sha and ref",
			env: map[string]string{"GITHUB_EVENT_NAME": "deployment", "GITHUB_EVENT_PATH": events("deployment.json"),
				"GITHUB_SHA": "7777777777777777777777777777777777777777"},
			want: with(func(s *Source) {
				s.EventName, s.SHA, s.Branch = "deployment", "7777777777777777777777777777777777777777", "main"
			}),
		},
		{
			name: "push deleting a branch has no head commit, so no author",
			env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, `{"ref": "refs/heads/old", "deleted": true, "head_commit": null, "pusher": {"name": "octocat", "email": "o@example.com"}}`),
				"GITHUB_SHA": "0000000000000000000000000000000000000000"},
			want: with(func(s *Source) { s.EventName, s.SHA = "push", "0000000000000000000000000000000000000000" }),
		},
		{
			name: "an author without an email gives the name alone",
			env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, `{"head_commit": {"id": "abc", "author": {"name": "Mona Lisa"}}}`),
				"GITHUB_SHA": "abc"},
			want: with(func(s *Source) { s.EventName, s.SHA, s.AuthorName = "push", "abc", "Mona Lisa" }),
		},
		{
			name: "another event's head_commit is not read",
			env: map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": events("push.json"),
				"GITHUB_SHA": "1111111111111111111111111111111111111111"},
			want: with(func(s *Source) { s.EventName, s.SHA = "workflow_dispatch", "1111111111111111111111111111111111111111" }),
		},
		{
			name: "GHES server URL makes the run URL",
			env:  map[string]string{"GITHUB_SERVER_URL": "https://ghe.example.com/", "GITHUB_API_URL": "https://ghe.example.com/api/v3"},
			want: with(func(s *Source) {
				s.ServerURL, s.APIURL = "https://ghe.example.com", "https://ghe.example.com/api/v3"
				s.RunURL = "https://ghe.example.com/acme/shop/actions/runs/987654321"
			}),
		},
		{
			name:        "missing payload file is a warning, not an error",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": events("absent.json"), "GITHUB_SHA": "abc"},
			want:        with(func(s *Source) { s.EventName, s.SHA = "push", "abc" }),
			wantWarning: "absent.json) does not exist: using the GITHUB_* variables only",
		},
		{
			name:        "truncated payload falls back to the variables with a warning",
			env:         map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": events("truncated.json"), "GITHUB_SHA": "merge", "GITHUB_HEAD_REF": "f"},
			want:        with(func(s *Source) { s.EventName, s.SHA, s.Branch, s.HeadRef = "pull_request", "merge", "f", "f" }),
			wantWarning: "could not use the event payload",
		},
		{
			name:        "payload directory is unreadable: warning, not a crash",
			env:         map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": events(""), "GITHUB_SHA": "abc"},
			want:        with(func(s *Source) { s.EventName, s.SHA = "push", "abc" }),
			wantWarning: "could not use the event payload",
		},
		{
			name:        "pull_request payload without head sha warns and keeps GITHUB_SHA",
			env:         map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": events("push.json"), "GITHUB_SHA": "merge"},
			want:        with(func(s *Source) { s.EventName, s.SHA = "pull_request", "merge" }),
			wantWarning: "set scm-sha",
		},
		{
			name: "malformed run number is kept as text",
			env:  map[string]string{"GITHUB_RUN_NUMBER": "seven"},
			want: with(func(s *Source) { s.RunNumber = "seven" }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := githubactions.New(githubactions.WithGetenv(runner(tt.env)))
			got := Load(a)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Source{}, "Warnings")); diff != "" {
				t.Errorf("Load() mismatch (-want +got):\n%s", diff)
			}
			warned := strings.Join(got.Warnings, "\n")
			if tt.wantWarning == "" && warned != "" {
				t.Errorf("unexpected warnings: %s", warned)
			}
			if tt.wantWarning != "" && !strings.Contains(warned, tt.wantWarning) {
				t.Errorf("warnings = %q, want one containing %q", warned, tt.wantWarning)
			}
		})
	}
}

func TestLoadOutsideARunner(t *testing.T) {
	t.Parallel()
	got := Load(githubactions.New(githubactions.WithGetenv(func(string) string { return "" })))
	if got.RunURL != "" || got.Repository != "" || got.SHA != "" {
		t.Errorf("Load() with no environment = %+v, want an empty source", got)
	}
	if got.APIURL != "https://api.github.com" || got.ServerURL != "https://github.com" {
		t.Errorf("defaults: APIURL %q, ServerURL %q", got.APIURL, got.ServerURL)
	}
}

// FuzzLoadPayload feeds arbitrary payloads through Load: it must never
// panic, and a commit it reports comes from the payload or the variables.
func FuzzLoadPayload(f *testing.F) {
	for _, name := range []string{"push.json", "tag.json", "pull_request.json", "workflow_run.json", "deployment.json", "truncated.json"} {
		b, err := os.ReadFile(events(name))
		if err != nil {
			f.Fatal(err)
		}
		for _, ev := range []string{"push", "pull_request", "workflow_run", "deployment"} {
			f.Add(ev, b)
		}
	}
	f.Fuzz(func(t *testing.T, eventName string, payload []byte) {
		path := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(path, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		a := githubactions.New(githubactions.WithGetenv(runner(map[string]string{
			"GITHUB_EVENT_NAME": eventName, "GITHUB_EVENT_PATH": path, "GITHUB_SHA": "envsha",
		})))
		got := Load(a)
		if got.SHA == "" {
			t.Errorf("Load() lost the commit: %+v", got)
		}
	})
}

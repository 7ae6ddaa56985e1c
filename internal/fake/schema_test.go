package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const schemaFile = "../../testdata/schemas/github-rest-deployments.json"

// TestGitHubAnswersMatchOpenAPI is the contract test: every answer of the fake GitHub that the
// action reads must validate against GitHub's own response schema.
func TestGitHubAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	g.AddDeployment(Deployment{Ref: "v1", Environment: "staging", Description: "seeded", Payload: map[string]any{"n": 1}, Statuses: []Status{{State: "success"}}})
	job := g.AddJobDeployment(JobDeployment{RunID: "42", JobID: "7", SHA: sha, EnvironmentURL: "https://shop.example"})
	human := g.AddDeployment(Deployment{Ref: "main", Creator: "octocat", Statuses: []Status{{State: "success", LogURL: "https://ci.example/1"}}})
	if err := g.EndJob(job, "success"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		operationID string
		status      int
	}{
		{"create deployment", "POST", repoPath, createOK, "repos/create-deployment", 201},
		{"create deployment, defaults", "POST", repoPath, `{"ref":"main","auto_merge":false,"required_contexts":[]}`, "repos/create-deployment", 201},
		{"create deployment, auto-merged", "POST", repoPath, `{"ref":"main","required_contexts":[]}`, "repos/create-deployment", 202},
		{"create deployment, invalid", "POST", repoPath, `{"auto_merge":false}`, "repos/create-deployment", 422},
		{"create deployment, too long", "POST", repoPath, `{"ref":"main","auto_merge":false,"required_contexts":[],"description":"` + long141 + `"}`, "repos/create-deployment", 422},
		{"create status", "POST", repoPath + "/1/statuses", `{"state":"success","log_url":"https://ci/1","environment_url":"https://app","description":"ok"}`, "repos/create-deployment-status", 201},
		{"create status, bare", "POST", repoPath + "/1/statuses", `{"state":"in_progress"}`, "repos/create-deployment-status", 201},
		{"create status, invalid", "POST", repoPath + "/1/statuses", `{"state":"done"}`, "repos/create-deployment-status", 422},
		{"list deployments", "GET", repoPath, "", "repos/list-deployments", 200},
		{"get deployment", "GET", repoPath + "/1", "", "repos/get-deployment", 200},
		{"get missing deployment", "GET", repoPath + "/404", "", "repos/get-deployment", 404},
		{"list statuses", "GET", repoPath + "/1/statuses", "", "repos/list-deployment-statuses", 200},
		{"get job deployment", "GET", fmt.Sprintf("%s/%d", repoPath, job), "", "repos/get-deployment", 200},
		{"list job deployment statuses", "GET", fmt.Sprintf("%s/%d/statuses", repoPath, job), "", "repos/list-deployment-statuses", 200},
		{"status on a job deployment", "POST", fmt.Sprintf("%s/%d/statuses", repoPath, job), `{"state":"success","environment_url":"https://shop.example"}`, "repos/create-deployment-status", 201},
		{"get a person's deployment", "GET", fmt.Sprintf("%s/%d", repoPath, human), "", "repos/get-deployment", 200},
		{"list a person's statuses", "GET", fmt.Sprintf("%s/%d/statuses", repoPath, human), "", "repos/list-deployment-statuses", 200},
	}
	for _, tt := range tests { // in order: later requests read what earlier ones made
		got := ghsend(t, srv, tt.method, tt.path, tt.body)
		if got.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, got.status, tt.status, got.body)
			continue
		}
		if err := ValidateGitHubResponse(schemaFile, tt.operationID, tt.status, []byte(got.body)); err != nil {
			t.Errorf("%s: %v\n%s", tt.name, err, got.body)
		}
	}
	if list := decodeJSON(t, ghsend(t, srv, http.MethodGet, repoPath, "").body).([]any); len(list) != 5 {
		t.Errorf("listed %d deployments, want 5 (the list must not be vacuously valid)", len(list))
	}
}

// TestValidationBites proves that the contract test would catch a fake that drifted.
func TestValidationBites(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	created := decodeJSON(t, ghsend(t, srv, http.MethodPost, repoPath, createOK).body).(map[string]any)
	jobID := g.AddJobDeployment(JobDeployment{RunID: "1", JobID: "2"})
	job := decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d", repoPath, jobID), "").body).(map[string]any)
	app := func(d map[string]any) map[string]any { return d["performed_via_github_app"].(map[string]any) }
	tests := []struct {
		name   string
		from   map[string]any // the answer to break
		change func(map[string]any)
		want   string // in the error
	}{
		{"missing sha", created, func(d map[string]any) { delete(d, "sha") }, "sha"},
		{"id as a string", created, func(d map[string]any) { d["id"] = "1" }, "/id"},
		{"creator without login", created, func(d map[string]any) { delete(d["creator"].(map[string]any), "login") }, "login"},
		{"payload as a number", created, func(d map[string]any) { d["payload"] = 3 }, "/payload"},
		{"app without owner", job, func(d map[string]any) { delete(app(d), "owner") }, "owner"},
		{"app with a numeric slug", job, func(d map[string]any) { app(d)["slug"] = 1 }, "/slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := cloneJSON(tt.from).(map[string]any)
			tt.change(d)
			body, _ := json.Marshal(d)
			err := ValidateGitHubResponse(schemaFile, "repos/create-deployment", 201, body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestValidateGitHubRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, op, body string
		want                 string // in the error; "" for valid
	}{
		{name: "deployment the action sends", op: "repos/create-deployment", body: createOK},
		{name: "short operation id", op: "create-deployment", body: `{"ref":"main","payload":"{}","description":null}`},
		{name: "deployment without ref", op: "create-deployment", body: `{"auto_merge":false}`, want: "ref"},
		{name: "auto_merge as a string", op: "create-deployment", body: `{"ref":"main","auto_merge":"false"}`, want: "/auto_merge"},
		{name: "required_contexts of numbers", op: "create-deployment", body: `{"ref":"main","required_contexts":[1]}`, want: "/required_contexts/0"},
		{name: "status the action sends", op: "repos/create-deployment-status", body: `{"state":"in_progress","log_url":"https://ci/1","auto_inactive":false}`},
		{name: "status outside the enum", op: "create-deployment-status", body: `{"state":"cancelled"}`, want: "/state"},
		{name: "status without state", op: "create-deployment-status", body: `{"description":"x"}`, want: "state"},
		{name: "error names the operation", op: "create-deployment-status", body: `{}`, want: "create-deployment-status request"},
		{name: "not JSON", op: "create-deployment", body: `ref=main`, want: "not JSON"},
		{name: "unknown operation", op: "repos/delete-everything", body: `{}`, want: `no operation "repos/delete-everything"`},
		{name: "operation without a request body", op: "repos/list-deployments", body: `{}`, want: "no JSON schema for the request"},
		{name: "missing file", file: "nowhere.json", op: "create-deployment", body: `{}`, want: "nowhere.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateGitHubRequest(cmpOr(tt.file, schemaFile), tt.op, []byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestFromOpenAPI(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"nullable string", `{"type":"string","nullable":true}`, `{"type":["string","null"]}`},
		{"nullable enum gains null", `{"type":"string","nullable":true,"enum":["a"]}`, `{"type":["string","null"],"enum":["a",null]}`},
		{"not nullable is kept", `{"type":"string","nullable":false,"example":"x"}`, `{"type":"string"}`},
		{"nullable without a type", `{"oneOf":[{"type":"string"}],"nullable":true}`, `{"anyOf":[{"oneOf":[{"type":"string"}]},{"type":"null"}]}`},
		{"nested", `{"type":"object","properties":{"a":{"type":"object","nullable":true,"properties":{"b":{"type":"integer","nullable":true}}}}}`,
			`{"type":"object","properties":{"a":{"type":["object","null"],"properties":{"b":{"type":["integer","null"]}}}}}`},
		{"property names are not keywords", `{"properties":{"nullable":{"type":"boolean"},"example":{"type":"string"}},"required":["nullable"]}`,
			`{"properties":{"nullable":{"type":"boolean"},"example":{"type":"string"}},"required":["nullable"]}`},
		{"array items", `{"type":"array","items":{"type":"string","nullable":true}}`, `{"type":"array","items":{"type":["string","null"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := json.Marshal(fromOpenAPI(decodeJSON(t, tt.in)))
			sameJSON(t, string(got), tt.want)
		})
	}
}

// TestSchemaCopyIsDocumented keeps the licence note beside the copied extract.
func TestSchemaCopyIsDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../testdata/schemas/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"github-rest-deployments.json", "@octokit/openapi 23.0.2", "MIT licence"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("testdata/schemas/README.md does not mention %q", want)
		}
	}
	var doc struct{ Info map[string]string }
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("23.0.2", doc.Info["version"]); diff != "" {
		t.Errorf("schema version (-want +got):\n%s", diff)
	}
}

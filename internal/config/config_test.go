package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// inputs builds a getenv holding INPUT_ variables named as the runner
// names them, plus any plain variables (keys without "INPUT_").
func inputs(kv map[string]string) Getenv {
	env := map[string]string{}
	for k, v := range kv {
		if strings.ToUpper(k) == k {
			env[k] = v
		} else {
			env[EnvName(k)] = v
		}
	}
	return func(k string) string { return env[k] }
}

// valid is the smallest set of inputs a deployment step needs; action.yml
// defaults (status, github-token, ...) arrive as the runner passes them.
func valid(over map[string]string) map[string]string {
	m := map[string]string{
		"api-key": "sk_acme_1_secret", "version": "1.2.3", "environment": "production",
		"status": "completed", "github-token": "ghs_token", "github-deployment": "auto",
		"dry-run": "false", "timeout": "60",
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"api-key": "INPUT_API-KEY", "api_key": "INPUT_API_KEY", "fail-on-api-error": "INPUT_FAIL-ON-API-ERROR", "my input": "INPUT_MY_INPUT",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(inputs(valid(nil)))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	want := &Config{
		APIKey: "sk_acme_1_secret", Version: "1.2.3", Environment: "production", Kind: Deployment,
		Status: "completed", FailOnAPIError: true, FailOnGitHubError: true, GitHubToken: "ghs_token", GitHubDeployment: GitHubAuto,
		Timeout: 60 * time.Second,
	}
	if c.APIURL.String() != "https://api.versioner.io" {
		t.Errorf("APIURL = %v, want the default", c.APIURL)
	}
	c.APIURL = nil
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "fail-on-github-error follows fail-on-api-error",
			in:   valid(map[string]string{"fail-on-api-error": "false"}),
			check: func(t *testing.T, c *Config) {
				if c.FailOnAPIError || c.FailOnGitHubError {
					t.Errorf("FailOnAPIError, FailOnGitHubError = %v, %v; want false, false", c.FailOnAPIError, c.FailOnGitHubError)
				}
			},
		},
		{
			name: "fail-on-github-error set on its own",
			in:   valid(map[string]string{"fail-on-github-error": "false"}),
			check: func(t *testing.T, c *Config) {
				if !c.FailOnAPIError || c.FailOnGitHubError {
					t.Errorf("FailOnAPIError, FailOnGitHubError = %v, %v; want true, false", c.FailOnAPIError, c.FailOnGitHubError)
				}
			},
		},
		{
			name: "hyphenated name wins over the alias",
			in:   valid(map[string]string{"api_key": "sk_old", "product_name": "old", "product": "new"}),
			check: func(t *testing.T, c *Config) {
				if c.APIKey != "sk_acme_1_secret" || c.Product != "new" {
					t.Errorf("APIKey %q Product %q: want the hyphenated inputs", c.APIKey, c.Product)
				}
			},
		},
		{
			name: "alias is read when the hyphenated input is unset, and reported deprecated",
			in:   valid(map[string]string{"api-key": "", "api_key": "sk_alias", "fail_on_api_error": "false", "event_type": "build", "api_url": "https://eu.versioner.io/v1/"}),
			check: func(t *testing.T, c *Config) {
				if c.APIKey != "sk_alias" || c.FailOnAPIError || c.Kind != Build || c.APIURL.String() != "https://eu.versioner.io/v1/" {
					t.Errorf("aliases not applied: %+v", c)
				}
				if diff := cmp.Diff([]string{"api_key", "api_url", "event_type", "fail_on_api_error"}, c.Deprecated); diff != "" {
					t.Errorf("Deprecated (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "env fallbacks for key and URL",
			in:   valid(map[string]string{"api-key": "", "VERSIONER_API_KEY": "sk_env", "VERSIONER_API_URL": "http://localhost:8080"}),
			check: func(t *testing.T, c *Config) {
				if c.APIKey != "sk_env" || c.APIURL.String() != "http://localhost:8080" {
					t.Errorf("APIKey %q APIURL %v: want the env fallbacks", c.APIKey, c.APIURL)
				}
			},
		},
		{
			name: "booleans ignore case and surrounding space",
			in:   valid(map[string]string{"dry-run": " TRUE ", "github-deployment": "False", "fail-on-api-error": "false"}),
			check: func(t *testing.T, c *Config) {
				if !c.DryRun || c.GitHubDeployment != GitHubOff || c.FailOnAPIError {
					t.Errorf("booleans: %+v", c)
				}
			},
		},
		{
			name: "github-deployment modes and the job status",
			in:   valid(map[string]string{"github-deployment": "TRUE", "job-status": "Cancelled", "auto-finish": "true"}),
			check: func(t *testing.T, c *Config) {
				if c.GitHubDeployment != GitHubOwn || c.JobStatus != "cancelled" || !c.AutoFinish {
					t.Errorf("GitHubDeployment %q JobStatus %q AutoFinish %v", c.GitHubDeployment, c.JobStatus, c.AutoFinish)
				}
			},
		},
		{
			name: "build events need no environment or token",
			in:   valid(map[string]string{"event-type": "Build", "environment": "", "github-token": ""}),
			check: func(t *testing.T, c *Config) {
				if c.Kind != Build {
					t.Errorf("Kind = %q", c.Kind)
				}
			},
		},
		{
			name: "dry run needs no key and no token",
			in:   valid(map[string]string{"dry-run": "true", "api-key": "", "github-token": ""}),
			check: func(t *testing.T, c *Config) {
				if !c.DryRun {
					t.Error("DryRun false")
				}
			},
		},
		{
			name: "who deployed: login, name and email",
			in:   valid(map[string]string{"deployed-by": "release-bot", "deployed-by-name": " Mona Lisa ", "deployed-by-email": "mona@example.com"}),
			check: func(t *testing.T, c *Config) {
				if c.DeployedBy != "release-bot" || c.DeployedByName != "Mona Lisa" || c.DeployedByEmail != "mona@example.com" {
					t.Errorf("DeployedBy %q DeployedByName %q DeployedByEmail %q", c.DeployedBy, c.DeployedByName, c.DeployedByEmail)
				}
			},
		},
		{
			name: "timeout as a duration",
			in:   valid(map[string]string{"timeout": "2m"}),
			check: func(t *testing.T, c *Config) {
				if c.Timeout != 2*time.Minute {
					t.Errorf("Timeout = %v", c.Timeout)
				}
			},
		},
		{
			name: "metadata keeps exact numbers and nesting; description may span lines",
			in:   valid(map[string]string{"metadata": "{\"n\": 12345678901234567890, \"o\": {\"a\": [1, true]}}", "description": "line one\nline two"}),
			check: func(t *testing.T, c *Config) {
				b, _ := json.Marshal(c.Metadata)
				if string(b) != `{"n":12345678901234567890,"o":{"a":[1,true]}}` {
					t.Errorf("Metadata = %s", b)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(inputs(tt.in))
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrorsNameTheInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string // input -> part of the message
	}{
		{"missing version", valid(map[string]string{"version": ""}), map[string]string{"version": "is required"}},
		{"empty status from an expression", valid(map[string]string{"status": ""}), map[string]string{"status": "evaluated to nothing"}},
		{"url with a key in the query", valid(map[string]string{"api-url": "https://api.versioner.io/?key=sk_secret"}), map[string]string{"api-url": "query"}},
		{"missing environment", valid(map[string]string{"environment": ""}), map[string]string{"environment": "required for deployment events"}},
		{"missing key", valid(map[string]string{"api-key": ""}), map[string]string{"api-key": "VERSIONER_API_KEY"}},
		{"missing token", valid(map[string]string{"github-token": ""}), map[string]string{"github-token": "github-deployment: false"}},
		{"bad event type", valid(map[string]string{"event-type": "release"}), map[string]string{"event-type": `"release"`}},
		{"bad boolean", valid(map[string]string{"fail-on-api-error": "yes please"}), map[string]string{"fail-on-api-error": "not a boolean"}},
		{"bad fail-on-github-error", valid(map[string]string{"fail-on-github-error": "1"}), map[string]string{"fail-on-github-error": "not a boolean"}},
		{"bad github-deployment", valid(map[string]string{"github-deployment": "yes"}), map[string]string{"github-deployment": "use auto"}},
		{"bad auto-finish", valid(map[string]string{"auto-finish": "on"}), map[string]string{"auto-finish": "not a boolean"}},
		{"bad job status", valid(map[string]string{"job-status": "skipped"}), map[string]string{"job-status": "not a job status"}},
		{"bad url", valid(map[string]string{"api-url": "api.versioner.io"}), map[string]string{"api-url": "not an http(s) URL"}},
		{"url with credentials", valid(map[string]string{"api-url": "https://u:p@api.versioner.io"}), map[string]string{"api-url": "credentials"}},
		{"bad timeout", valid(map[string]string{"timeout": "soon"}), map[string]string{"timeout": "not a number of seconds"}},
		{"timeout out of range", valid(map[string]string{"timeout": "0"}), map[string]string{"timeout": "out of range"}},
		{"metadata array", valid(map[string]string{"metadata": "[1,2]"}), map[string]string{"metadata": "JSON array, not an object"}},
		{"metadata invalid", valid(map[string]string{"metadata": "{ticket: 1}"}), map[string]string{"metadata": "not valid JSON"}},
		{"metadata two values", valid(map[string]string{"metadata": "{} {}"}), map[string]string{"metadata": "more than one JSON value"}},
		{"metadata too large", valid(map[string]string{"metadata": `{"x":"` + strings.Repeat("a", MaxMetadataBytes) + `"}`}), map[string]string{"metadata": "the limit is"}},
		{"newline in single-line input", valid(map[string]string{"version": "1.2.3\n::error::owned"}), map[string]string{"version": "single line"}},
		{"newline in an email", valid(map[string]string{"deployed-by-email": "a@example.com\nb@example.com"}), map[string]string{"deployed-by-email": "single line"}},
		{"bad environment url", valid(map[string]string{"environment-url": "javascript:alert(1)"}), map[string]string{"environment-url": "not an http(s) URL"}},
		{"every problem at once", valid(map[string]string{"version": "", "environment": "", "timeout": "x"}), map[string]string{"version": "", "environment": "", "timeout": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(inputs(tt.in))
			if err == nil {
				t.Fatal("Load() error = nil")
			}
			got := map[string]string{}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ie *InputError
				if !errors.As(e, &ie) {
					t.Fatalf("error %v is not an *InputError", e)
				}
				got[ie.Input] = ie.Error()
			}
			if strings.Contains(err.Error(), "sk_secret") || strings.Contains(err.Error(), ":p@") {
				t.Errorf("the error repeats a credential: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("errors for %v, want for %v", keys(got), keys(tt.want))
			}
			for input, part := range tt.want {
				msg, ok := got[input]
				if !ok || !strings.Contains(msg, part) || !strings.HasPrefix(msg, "input "+input+" ") {
					t.Errorf("error for %s = %q, want it to name the input and contain %q", input, msg, part)
				}
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	got := Secrets(inputs(map[string]string{"api_key": "sk_alias", "github-token": "ghs_x", "version": "1"}))
	if diff := cmp.Diff([]string{"sk_alias", "ghs_x"}, got); diff != "" {
		t.Errorf("Secrets() (-want +got):\n%s", diff)
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"a":1}`, `[1]`, `{"a":`, `{"a":1}{}`, `"x"`, `null`, `{"n":1e400}`, "{\"\\u0000\":\"\x00\"}"} {
		f.Add(s)
	}
	f.Add(`{"a" : [1, 2] , "a":{"b":"\u00e9"}, "\u0041":"\ud800"}`)
	f.Add("{\"\xff\":\"\xfe\"}")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMetadata(s)
		if err == nil && s != "" && m == nil {
			t.Errorf("ParseMetadata(%q) = nil, nil", s)
		}
		if err != nil && m != nil {
			t.Errorf("ParseMetadata(%q) returned a value with an error", s)
		}
		if err == nil && m != nil {
			if _, err := json.Marshal(m); err != nil {
				t.Errorf("accepted metadata cannot be encoded again: %v", err)
			}
			// The values are the text encoding/json's decoder gives.
			var want map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &want); err != nil {
				t.Fatalf("ParseMetadata(%q) accepted what json.Unmarshal refuses: %v", s, err)
			}
			got := map[string]string{}
			for k, v := range m {
				got[k] = v.(rawjson.Value).String()
			}
			wantText := map[string]string{}
			for k, v := range want {
				// each byte that is not UTF-8 made U+FFFD, as encoding/json
				// decodes them in strings (and as []rune converts them)
				wantText[k] = string([]rune(string(v)))
			}
			if diff := cmp.Diff(wantText, got); diff != "" {
				t.Errorf("ParseMetadata(%q) (-json.Unmarshal +got):\n%s", s, diff)
			}
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add("1.2.3", "production", "completed", "{}", "60", "true")
	f.Add("v\n1", "", "nope", "[", "-1", "maybe")
	f.Fuzz(func(t *testing.T, version, env, status, metadata, timeout, dry string) {
		c, err := Load(inputs(valid(map[string]string{"version": version, "environment": env, "status": status, "metadata": metadata, "timeout": timeout, "dry-run": dry})))
		if c == nil {
			t.Fatal("Load() returned no config")
		}
		if err == nil && (strings.ContainsAny(c.Version, "\r\n") || c.Version == "") {
			t.Errorf("accepted version %q", c.Version)
		}
	})
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestParseMetadataNotAnObject(t *testing.T) {
	t.Parallel()
	for in, kind := range map[string]string{
		`null`: "JSON null", `true`: "JSON boolean", `"x"`: "JSON string", `1.5`: "JSON number", ` [1, 2] `: "JSON array",
	} {
		if _, err := ParseMetadata(in); err == nil || !strings.Contains(err.Error(), "is a "+kind+", not an object") {
			t.Errorf("ParseMetadata(%s) error = %v, want it to say %s", in, err, kind)
		}
	}
	if _, err := ParseMetadata(`[1] {}`); err == nil || !strings.Contains(err.Error(), "more than one JSON value") {
		t.Errorf("ParseMetadata([1] {}) error = %v, want more than one JSON value", err)
	}
}

// TestParseMetadataInvalidUTF8: the values are sent as written, but bytes
// that are not UTF-8 become U+FFFD, as a full decode would make them.
func TestParseMetadataInvalidUTF8(t *testing.T) {
	t.Parallel()
	m, err := ParseMetadata("{\"k\xff\": {\"v\": \"a\xff\xfeb\"}}")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"k`+"\uFFFD"+`":{"v":"a`+"\uFFFD\uFFFD"+`b"}}` {
		t.Errorf("Metadata = %s, %v", b, err)
	}
}

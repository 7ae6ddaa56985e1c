// Package config turns the step's inputs into a typed, validated Config.
//
// The runner hands a container action one INPUT_<NAME> variable per input,
// with the input id upper-cased and hyphens kept (INPUT_API-KEY). Inputs is
// the one table of every input the action reads; action.yml declares the
// same names and a test keeps the two in step.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of event a step records.
type Kind string

// The two kinds of event Versioner tracks.
const (
	Deployment Kind = "deployment"
	Build      Kind = "build"
)

// Input describes one input of the action.
type Input struct {
	Name      string // the id in action.yml, e.g. "api-key"
	Alias     string // the deprecated name Versioner's own action uses, if any
	Env       string // environment variable read when the input is empty
	Default   string // applied here, not in action.yml (see Inputs)
	Multiline bool   // may hold newlines
	Secret    bool   // masked before anything is printed
}

// Inputs lists every input the action reads. Inputs with an alias carry
// their default here and not in action.yml: the runner fills a declared
// default in even when the user set the alias, and the hyphenated name wins,
// so a declared default would silently override `fail_on_api_error: false`.
var Inputs = []Input{
	{Name: "api-key", Alias: "api_key", Env: "VERSIONER_API_KEY", Secret: true},
	{Name: "api-url", Alias: "api_url", Env: "VERSIONER_API_URL", Default: "https://api.versioner.io"},
	{Name: "product", Alias: "product_name"},
	{Name: "version"},
	{Name: "environment"},
	{Name: "event-type", Alias: "event_type", Default: string(Deployment)},
	{Name: "status"}, // action.yml defaults it; empty means an expression gave nothing
	{Name: "metadata", Multiline: true},
	{Name: "fail-on-api-error", Alias: "fail_on_api_error", Default: "true"},
	{Name: "fail-on-github-error"}, // empty: as fail-on-api-error
	{Name: "deployed-by"},
	{Name: "deployed-by-name"},
	{Name: "deployed-by-email"},
	{Name: "scm-branch"},
	{Name: "scm-sha"},
	{Name: "build-url"},
	{Name: "github-token", Secret: true},
	{Name: "github-deployment", Default: string(GitHubAuto)},
	{Name: "environment-url"},
	{Name: "description", Multiline: true},
	{Name: "dry-run", Default: "false"},
	{Name: "timeout", Default: "60"},
	{Name: "auto-finish", Default: "false"},
	{Name: "job-status"}, // action.yml defaults it to ${{ job.status }}, which the runner evaluates
	{Name: "products", Multiline: true},
}

// GitHubMode says how a deployment event is recorded on GitHub.
type GitHubMode string

// The values of the github-deployment input.
const (
	// GitHubAuto posts to the deployment GitHub made for the job's
	// environment: key when there is one, and to a deployment of ours
	// otherwise.
	GitHubAuto GitHubMode = "auto"
	GitHubOwn  GitHubMode = "true"  // always a deployment of ours
	GitHubOff  GitHubMode = "false" // nothing on GitHub
)

// Limits on what the action accepts.
const (
	// RunnerMaxInputBytes is the most the runner can hand a container
	// action as one input: it passes each as an environment variable,
	// and Linux refuses a NAME=value string (with its NUL) over 32 pages
	// of 4 KiB (MAX_ARG_STRLEN) with "Argument list too long", before
	// the step starts.
	RunnerMaxInputBytes = 128 << 10
	// MaxMetadataBytes bounds the metadata input: Versioner stores it with
	// every event, and a runaway blob is a mistake, not metadata. It sits
	// under RunnerMaxInputBytes, so that ours, which names the input, is
	// the error a user sees: the largest metadata the runner can pass is
	// 131056 bytes (128 KiB less INPUT_METADATA= and the NUL). 120 KiB is
	// a round figure with 8 KiB to spare that still takes the 100 KB of
	// the benchmarks.
	MaxMetadataBytes = 120 << 10
	// MaxTimeout bounds the timeout input.
	MaxTimeout = time.Hour
)

// Config is the validated set of inputs of one step.
type Config struct {
	APIKey         string
	APIURL         *url.URL
	Product        string // empty: the event takes the repository name
	Version        string
	Environment    string
	Kind           Kind
	Status         string         // as given; the event package normalises it
	Metadata       map[string]any // the top level; each value the JSON text as written (see ParseMetadata)
	FailOnAPIError bool
	// FailOnGitHubError is fail-on-api-error for GitHub alone (the
	// deployment and the Actions API); it defaults to FailOnAPIError.
	FailOnGitHubError bool

	DeployedBy      string
	DeployedByName  string // empty: the author of the event's head commit, if any
	DeployedByEmail string
	SCMBranch       string
	SCMSHA          string
	BuildURL        string

	GitHubToken      string
	GitHubDeployment GitHubMode
	EnvironmentURL   string
	Description      string

	DryRun  bool
	Timeout time.Duration

	// AutoFinish asks the post step to record the job's outcome.
	AutoFinish bool
	// JobStatus is ${{ job.status }} as the runner evaluated it for this
	// step: success, failure or cancelled; empty when unknown.
	JobStatus string

	// Products are the entries of the products input, each complete: a
	// field the entry left out holds the step's input. Empty: the step
	// records one product, from its own inputs.
	Products []Product

	// Deprecated lists the aliases the step used, to warn about.
	Deprecated []string
}

// Each returns one Config per product the step records: c itself, or a
// copy of c for each entry of the products input.
func (c *Config) Each() []*Config {
	if len(c.Products) == 0 {
		return []*Config{c}
	}
	out := make([]*Config, len(c.Products))
	for i, p := range c.Products {
		cp := *c
		cp.Products = nil
		cp.Product, cp.Version, cp.Environment, cp.Status, cp.EnvironmentURL = p.Product, p.Version, p.Environment, p.Status, p.EnvironmentURL
		cp.Metadata = p.Metadata
		out[i] = &cp
	}
	return out
}

// One returns the inputs of one product of this step: the entry of Each
// that records product in environment, else the step's own inputs for
// them. The post step uses it to finish what the main step started with
// the inputs as the runner evaluates them again.
func (c *Config) One(product, environment string) *Config {
	for _, e := range c.Each() {
		if e.Product == product && e.Environment == environment {
			return e
		}
	}
	cp := *c
	cp.Products = nil
	cp.Product, cp.Environment = product, environment
	return &cp
}

// InputError says which input is wrong and why.
type InputError struct {
	Input   string
	Problem string
}

func (e *InputError) Error() string { return fmt.Sprintf("input %s %s", e.Input, e.Problem) }

// Getenv reads an environment variable; *githubactions.Action.Getenv fits.
type Getenv func(string) string

// Raw returns the value of one input as the runner passed it: the
// hyphenated name first, then the alias, then the environment fallback,
// then the default. The second result is the alias when that is what
// supplied the value.
func Raw(getenv Getenv, in Input) (value, usedAlias string) {
	if v := lookup(getenv, in.Name); v != "" {
		return v, ""
	}
	if in.Alias != "" {
		if v := lookup(getenv, in.Alias); v != "" {
			return v, in.Alias
		}
	}
	if in.Env != "" {
		if v := strings.TrimSpace(getenv(in.Env)); v != "" {
			return v, ""
		}
	}
	return in.Default, ""
}

// EnvName is the variable the runner sets for an input: spaces become
// underscores, letters are upper-cased, hyphens are kept.
func EnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func lookup(getenv Getenv, name string) string {
	return strings.TrimSpace(getenv(EnvName(name)))
}

// Secrets returns the secret inputs that are set, so that the caller can
// mask them before it prints anything, even when validation fails.
func Secrets(getenv Getenv) []string {
	var out []string
	for _, in := range Inputs {
		if !in.Secret {
			continue
		}
		if v, _ := Raw(getenv, in); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Load reads and validates every input. Its error joins one *InputError
// per problem, so a user fixes them all in one go.
func Load(getenv Getenv) (*Config, error) {
	raw := make(map[string]string, len(Inputs))
	c := &Config{}
	var errs []error
	reported := map[string]bool{}
	bad := func(input, format string, args ...any) {
		if reported[input] {
			return // the first problem with an input is the one to fix
		}
		reported[input] = true
		errs = append(errs, &InputError{Input: input, Problem: fmt.Sprintf(format, args...)})
	}
	for _, in := range Inputs {
		v, alias := Raw(getenv, in)
		if alias != "" {
			c.Deprecated = append(c.Deprecated, alias)
		}
		if !in.Multiline && strings.ContainsAny(v, "\r\n") {
			bad(in.Name, "must be a single line, but holds a line break")
			v = ""
		}
		raw[in.Name] = v
	}

	c.APIKey = raw["api-key"]
	c.Product = raw["product"]
	c.Version = raw["version"]
	c.Environment = raw["environment"]
	c.Status = raw["status"]
	c.DeployedBy = raw["deployed-by"]
	c.DeployedByName = raw["deployed-by-name"]
	c.DeployedByEmail = raw["deployed-by-email"]
	c.SCMBranch = raw["scm-branch"]
	c.SCMSHA = raw["scm-sha"]
	c.BuildURL = raw["build-url"]
	c.GitHubToken = raw["github-token"]
	c.EnvironmentURL = raw["environment-url"]
	c.Description = raw["description"]

	bools := []struct {
		name string
		dst  *bool
	}{
		{"fail-on-api-error", &c.FailOnAPIError},
		{"dry-run", &c.DryRun},
		{"auto-finish", &c.AutoFinish},
	}
	for _, b := range bools {
		v, err := parseBool(raw[b.name])
		if err != nil {
			bad(b.name, "%v", err)
		}
		*b.dst = v
	}
	c.FailOnGitHubError = c.FailOnAPIError
	if v := raw["fail-on-github-error"]; v != "" {
		b, err := parseBool(v)
		if err != nil {
			bad("fail-on-github-error", "%v", err)
		}
		c.FailOnGitHubError = b
	}

	switch m := GitHubMode(strings.ToLower(raw["github-deployment"])); m {
	case GitHubAuto, GitHubOwn, GitHubOff:
		c.GitHubDeployment = m
	default:
		bad("github-deployment", "is %q: use auto (the job's own deployment when it has an environment, else one of ours), true (always ours) or false (none)", raw["github-deployment"])
	}
	switch js := strings.ToLower(raw["job-status"]); js {
	case "", "success", "failure", "cancelled":
		c.JobStatus = js
	default:
		bad("job-status", "is %q, not a job status: leave it to its default, ${{ job.status }}", raw["job-status"])
	}

	switch k := Kind(strings.ToLower(raw["event-type"])); k {
	case Deployment, Build:
		c.Kind = k
	default:
		bad("event-type", "is %q, not an event type: use deployment or build", raw["event-type"])
	}

	if u, err := parseAPIURL(raw["api-url"]); err != nil {
		bad("api-url", "%v", err)
	} else {
		c.APIURL = u
	}

	if t, err := parseTimeout(raw["timeout"]); err != nil {
		bad("timeout", "%v", err)
	} else {
		c.Timeout = t
	}

	if m, err := ParseMetadata(raw["metadata"]); err != nil {
		bad("metadata", "%v", err)
	} else {
		c.Metadata = m
	}

	if ps, err := ParseProducts(raw["products"]); err != nil {
		bad("products", "%v", err)
	} else if len(ps) > 0 {
		if c.Product != "" {
			bad("product", "is set together with products: give each product in products, and leave product out")
		}
		own := make([]string, len(ps)) // each entry's environment as written
		for i := range ps {
			p := &ps[i]
			own[i] = p.Environment
			p.Version = cmp.Or(p.Version, c.Version)
			p.Environment = cmp.Or(p.Environment, c.Environment)
			p.Status = cmp.Or(p.Status, c.Status)
			p.EnvironmentURL = cmp.Or(p.EnvironmentURL, c.EnvironmentURL)
			p.Metadata = mergeMetadata(c.Metadata, p.Metadata)
			switch {
			case p.Version == "":
				bad("products", "entry %d (%s) has no version, and the version input is empty", i+1, p.Product)
			case c.Kind == Deployment && p.Environment == "":
				bad("products", "entry %d (%s) has no environment, and the environment input is empty", i+1, p.Product)
			case p.Status == "":
				bad("products", "entry %d (%s) has no status, and the status input is empty", i+1, p.Product)
			case p.EnvironmentURL != "" && !httpURL(p.EnvironmentURL):
				bad("products", "entry %d (%s): environment-url %q is not an http(s) URL", i+1, p.Product, p.EnvironmentURL)
			}
		}
		if err := duplicateProduct(c.Kind, ps, own); err != nil {
			bad("products", "%v", err)
		}
		c.Products = ps
		// The entries carry what the step's inputs would have.
		reported["version"], reported["environment"], reported["status"] = true, true, true
	}

	if c.Status == "" {
		bad("status", "is empty: an expression such as ${{ steps.deploy.outcome }} probably evaluated to nothing (a step that did not run); pass a status word, or leave the input out for completed")
	}
	if c.Version == "" {
		bad("version", "is required: set it to the version being built or deployed, e.g. ${{ github.sha }}")
	}
	if c.Kind == Deployment && c.Environment == "" {
		bad("environment", "is required for deployment events: set it to where the version runs, e.g. production")
	}
	if c.APIKey == "" && !c.DryRun {
		bad("api-key", "is required: pass your Versioner key from a secret (api-key: ${{ secrets.VERSIONER_API_KEY }}) or set VERSIONER_API_KEY")
	}
	if c.Kind == Deployment && c.GitHubDeployment != GitHubOff && c.GitHubToken == "" && !c.DryRun {
		bad("github-token", "is empty, and a GitHub deployment needs it: pass ${{ github.token }} or set github-deployment: false")
	}
	if c.EnvironmentURL != "" && !httpURL(c.EnvironmentURL) {
		bad("environment-url", "is %q, not an http(s) URL", c.EnvironmentURL)
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// mergeMetadata returns the step's metadata with a product's own over it.
func mergeMetadata(step, own map[string]any) map[string]any {
	if len(own) == 0 {
		return step
	}
	out := maps.Clone(step)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, own)
	return out
}

// parseBool accepts what YAML 1.2 and the actions toolkit call a boolean.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("is %q, not a boolean: use true or false", s)
}

func parseAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("is not a URL: give the API's base, such as https://api.versioner.io")
	}
	// Quote what was given without credentials or a query, which may
	// hold a key.
	shown := *u
	shown.User, shown.RawQuery, shown.Fragment = nil, "", ""
	switch {
	case u.User != nil:
		return nil, errors.New("carries credentials in the URL: pass the key in api-key instead")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("is %q with a query or fragment: give the base URL only", shown.String())
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, fmt.Errorf("is %q, not an http(s) URL such as https://api.versioner.io", shown.String())
	}
	return u, nil
}

// parseTimeout takes whole seconds ("90") or a Go duration ("2m").
func parseTimeout(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("is %q, not a number of seconds", s)
	}
	if d < time.Second || d > MaxTimeout {
		return 0, fmt.Errorf("is %q, out of range: give 1 to %d seconds", s, int(MaxTimeout.Seconds()))
	}
	return d, nil
}

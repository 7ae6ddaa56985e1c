// Package ghcontext reads what the runner knows about the run: the commit,
// branch or tag, run URL, actor and workflow, from the GITHUB_* variables
// and the webhook payload at GITHUB_EVENT_PATH.
package ghcontext

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Source is everything the action detects about the run.
type Source struct {
	Repository string // owner/name
	Owner      string
	Repo       string

	SHA       string // the commit being built or deployed (see commitFor)
	Branch    string // empty on a tag push
	Ref       string // GITHUB_REF, e.g. refs/tags/v1.2.3
	HeadRef   string
	BaseRef   string
	EventName string

	Actor string
	// AuthorName and AuthorEmail are the author of the commit the event
	// carries (a push's head_commit, a workflow_run's head_commit), as
	// Versioner's own action sends them: empty when the payload has none,
	// never guessed (a pull_request payload names no author's email).
	AuthorName  string
	AuthorEmail string

	RunID      string
	RunNumber  string
	RunAttempt string
	Workflow   string
	Job        string

	ServerURL string
	APIURL    string
	RunURL    string // $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID

	// Warnings say what could not be read; the action goes on without it.
	Warnings []string
}

// Load reads the run's context through a. A missing, unreadable or
// malformed event payload costs the payload's facts (a pull request's head
// commit, say) and a warning, never the step.
func Load(a *githubactions.Action) Source {
	var warnings []string
	if p := a.Getenv("GITHUB_EVENT_PATH"); p != "" {
		// go-githubactions reads a missing file as an empty payload.
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			warnings = append(warnings, fmt.Sprintf("the event payload at GITHUB_EVENT_PATH (%s) does not exist: using the GITHUB_* variables only", p))
		}
	}
	ctx, err := a.Context()
	if ctx == nil {
		// The payload could not be read or parsed: read the rest without it.
		warnings = append(warnings, fmt.Sprintf("could not use the event payload at GITHUB_EVENT_PATH (%v): using the GITHUB_* variables only", err))
		getenv := a.Getenv
		ctx, _ = githubactions.New(githubactions.WithGetenv(func(k string) string {
			if k == "GITHUB_EVENT_PATH" {
				return ""
			}
			return getenv(k)
		})).Context()
	}
	// Context reports malformed numbers (GITHUB_RUN_ID=abc) as an error
	// next to a usable context; we read those variables as text below.

	s := Source{
		Repository: ctx.Repository,
		Ref:        ctx.Ref,
		HeadRef:    ctx.HeadRef,
		BaseRef:    ctx.BaseRef,
		EventName:  ctx.EventName,
		Actor:      ctx.Actor,
		RunID:      a.Getenv("GITHUB_RUN_ID"),
		RunNumber:  a.Getenv("GITHUB_RUN_NUMBER"),
		RunAttempt: a.Getenv("GITHUB_RUN_ATTEMPT"),
		Workflow:   ctx.Workflow,
		Job:        ctx.Job,
		ServerURL:  strings.TrimRight(ctx.ServerURL, "/"),
		APIURL:     strings.TrimRight(ctx.APIURL, "/"),
		Warnings:   warnings,
	}
	s.Owner, s.Repo = ctx.Repo()
	if s.Repository == "" && s.Owner != "" && s.Repo != "" {
		s.Repository = s.Owner + "/" + s.Repo
	}
	if s.Repository != "" && s.RunID != "" {
		s.RunURL = s.ServerURL + "/" + s.Repository + "/actions/runs/" + s.RunID
	}

	var w string
	s.SHA, s.Branch, w = commitFor(ctx)
	if w != "" {
		s.Warnings = append(s.Warnings, w)
	}
	s.AuthorName, s.AuthorEmail = authorOf(ctx)
	return s
}

// authorOf returns the name and email of the author of the commit the
// payload carries: a push's head commit (null when the push deleted a
// branch), or the head commit of the run a workflow_run reports. The
// committer is not the author: on a commit made in GitHub's web UI it is
// GitHub. Other events carry no email (a pull request names logins only).
func authorOf(ctx *githubactions.GitHubContext) (name, email string) {
	switch ctx.EventName {
	case "push":
		return str(ctx.Event, "head_commit", "author", "name"), str(ctx.Event, "head_commit", "author", "email")
	case "workflow_run":
		return str(ctx.Event, "workflow_run", "head_commit", "author", "name"), str(ctx.Event, "workflow_run", "head_commit", "author", "email")
	}
	return "", ""
}

// commitFor picks the commit and branch a reviewer would recognise. On a
// pull request GITHUB_SHA is the test merge commit, which exists nowhere
// else: the head commit is in the payload.
func commitFor(ctx *githubactions.GitHubContext) (sha, branch, warning string) {
	sha = ctx.SHA
	if ctx.RefType == "branch" || (ctx.RefType == "" && strings.HasPrefix(ctx.Ref, "refs/heads/")) {
		branch = ctx.RefName
		if branch == "" {
			branch = strings.TrimPrefix(ctx.Ref, "refs/heads/")
		}
	}

	switch ctx.EventName {
	case "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment":
		if v := str(ctx.Event, "pull_request", "head", "sha"); v != "" {
			sha = v
		} else {
			warning = fmt.Sprintf("the %s payload has no pull_request.head.sha: recording GITHUB_SHA, the test merge commit; set scm-sha to the head commit", ctx.EventName)
		}
		branch = ctx.HeadRef
		if branch == "" {
			branch = str(ctx.Event, "pull_request", "head", "ref")
		}
	case "workflow_run":
		if v := str(ctx.Event, "workflow_run", "head_sha"); v != "" {
			sha = v
		} else {
			warning = "the workflow_run payload has no workflow_run.head_sha: recording GITHUB_SHA; set scm-sha to the commit"
		}
		if v := str(ctx.Event, "workflow_run", "head_branch"); v != "" {
			branch = v
		}
	case "deployment", "deployment_status":
		if v := str(ctx.Event, "deployment", "sha"); v != "" {
			sha = v
		}
		if ref := str(ctx.Event, "deployment", "ref"); ref != "" && !isSHA(ref) && !strings.HasPrefix(ref, "refs/tags/") {
			branch = strings.TrimPrefix(ref, "refs/heads/")
		}
	}
	return sha, branch, warning
}

// str follows keys through nested JSON objects and returns the string
// found there, or "" when any step is missing or of another type.
func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = obj[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

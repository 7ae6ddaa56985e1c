package deployments

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// maxPages bounds the search for this run's deployment: a page is 100
// deployments of one commit in one environment, so more is rare.
const maxPages = 3

// maxCandidates bounds how many deployments GitHub made for jobs have
// their statuses read, newest first, in search of this job's. GitHub
// makes the job's deployment when the job starts, so it is the newest of
// its commit and environment unless another job or run deploys the same
// commit to the same environment at the same time.
const maxCandidates = 3

// runnerLogin is who GitHub's own deployment for a job is created by (the
// GitHub Actions app). A workflow's GITHUB_TOKEN acts as the same user, so
// deploytrack's own deployments, and other actions', are created by it too:
// the payload tells them apart (see jobCandidate).
const runnerLogin = "github-actions[bot]"

// scan lists the deployments of sha in ev's environment, newest first,
// until it finds this run's deployment of ev. It returns that one's id (or
// 0) and the candidates for the job's own deployment it saw on the way.
// When steps of the run created twins at the same moment, it returns the
// oldest (see settle), reading past the page it found one on while that
// page ends within sameMoment of it.
func (c *Client) scan(ctx context.Context, ev event.Event, sha string) (int64, []*github.Deployment, error) {
	found, candidates, err := c.scanPages(ctx, ev, c.newPages(ev, sha))
	return found.GetID(), candidates, err
}

// scanPages is scan over pages, which the products of a step may share
// (see Lists).
func (c *Client) scanPages(ctx context.Context, ev event.Event, p *pages) (*github.Deployment, []*github.Deployment, error) {
	var candidates []*github.Deployment
	var oldest *github.Deployment
	next := 0
	for n := 0; n < maxPages; n++ {
		list, following, err := p.get(ctx, next)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range list {
			switch {
			case ours(d, ev):
				if oldest == nil || d.GetID() < oldest.GetID() {
					oldest = d
				}
			case oldest == nil && jobCandidate(d):
				candidates = append(candidates, d)
			}
		}
		if following == 0 || oldest != nil && (len(list) == 0 || !twinMayFollow(oldest, list[len(list)-1])) {
			break
		}
		next = following
	}
	return oldest, candidates, nil
}

// pages are the pages of one list of a commit's deployments in an
// environment, each fetched once, when a scan first reads it.
type pages struct {
	c    *Client
	ev   event.Event // its SHA is the commit listed
	mu   sync.Mutex
	byNo map[int]*page
}

type page struct {
	once sync.Once
	list []*github.Deployment
	next int // the following page's number, 0 for none
	err  error
}

func (c *Client) newPages(ev event.Event, sha string) *pages {
	ev.SHA = sha
	return &pages{c: c, ev: ev, byNo: map[int]*page{}}
}

// get returns page no (0: the first) and the number of the one after it.
func (p *pages) get(ctx context.Context, no int) ([]*github.Deployment, int, error) {
	p.mu.Lock()
	pg := p.byNo[no]
	if pg == nil {
		pg = &page{}
		p.byNo[no] = pg
	}
	p.mu.Unlock()
	pg.once.Do(func() {
		opts := listOptions(p.ev, p.ev.SHA)
		opts.Page = no
		var resp *github.Response
		pg.list, resp, pg.err = p.c.listDeployments(ctx, opts)
		if pg.err != nil {
			pg.err = p.c.explain(ctx, "list deployments", resp, pg.err)
			return
		}
		pg.next = resp.NextPage
	})
	return pg.list, pg.next, pg.err
}

// listOptions asks for the deployments of sha in ev's environment, a page
// of 100 at a time; GitHub lists them newest first.
func listOptions(ev event.Event, sha string) *github.DeploymentsListOptions {
	return &github.DeploymentsListOptions{SHA: sha, Environment: ev.Environment, Task: "deploy", ListOptions: github.ListOptions{PerPage: 100}}
}

// statusOptions asks for a deployment's newest statuses, one page of 100.
func statusOptions() *github.ListOptions { return &github.ListOptions{PerPage: 100} }

// jobCandidate reports whether d may be the deployment GitHub made for a
// job's environment: key: made by the GitHub Actions bot, with an empty
// payload. Ours carry a payload, and so do most other actions'.
func jobCandidate(d *github.Deployment) bool {
	if d.GetCreator().GetLogin() != runnerLogin {
		return false
	}
	p, ok := decodePayload(d.Payload)
	return ok && len(p) == 0
}

// jobDeployment returns the newest of the candidates (at most
// maxCandidates are read) whose statuses link into this run, or 0. Only
// a link below the run URL counts (GitHub's link to the job,
// .../actions/runs/<id>/job/<job id>): a step's own statuses, ours
// included, link to the run URL itself.
func (c *Client) jobDeployment(ctx context.Context, ev event.Event, candidates []*github.Deployment) (int64, error) {
	if ev.RunURL == "" {
		return 0, nil // outside a run nothing can link to it
	}
	// Ids grow with time: newest first across both lists.
	slices.SortStableFunc(candidates, func(a, b *github.Deployment) int { return cmp.Compare(b.GetID(), a.GetID()) })
	prefix := strings.TrimRight(ev.RunURL, "/") + "/"
	for i, d := range candidates {
		if i == maxCandidates {
			break
		}
		statuses, resp, err := c.lists.candidateStatuses(ctx, c, d.GetID())
		if err != nil {
			return 0, c.explain(ctx, fmt.Sprintf("list the statuses of deployment %d", d.GetID()), resp, err)
		}
		for _, s := range statuses {
			if strings.HasPrefix(s.GetLogURL(), prefix) || strings.HasPrefix(s.GetTargetURL(), prefix) {
				return d.GetID(), nil
			}
		}
	}
	return 0, nil
}

// ours reports whether d is this run's deployment of ev's product.
func ours(d *github.Deployment, ev event.Event) bool {
	p, ok := decodePayload(d.Payload)
	return ok && p != nil && fmt.Sprint(p["product"]) == ev.Product && fmt.Sprint(p["run_id"]) == ev.RunID
}

// decodePayload reads a deployment's payload: a JSON object, or a JSON
// string holding one (as some clients store it). Nothing, null and ""
// are an empty payload; anything else is not ok.
func decodePayload(raw json.RawMessage) (map[string]any, bool) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" || string(t) == `""` {
		return map[string]any{}, true
	}
	p, err := decodeObject(raw)
	if err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		if p, err = decodeObject([]byte(s)); err != nil {
			return nil, false
		}
	}
	return p, p != nil
}

// decodeObject reads a JSON object, keeping numbers as written (a run id
// of 17 digits is not rounded through a float).
func decodeObject(b []byte) (map[string]any, error) {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return p, dec.Decode(&p)
}

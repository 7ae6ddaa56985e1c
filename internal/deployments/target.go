package deployments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// Where says how a step picks the deployment its status goes to.
type Where struct {
	// Auto is github-deployment: auto: post to the job's own deployment
	// when GitHub made one for the job's environment: key.
	Auto bool
	// RunSHA is GITHUB_SHA, the commit GitHub's deployment for the job
	// carries. It differs from the event's commit on a pull request (the
	// test merge, not the head) or a workflow_run, and when scm-sha is set.
	RunSHA string
	// Handoff is the job's deployment as an earlier step of the job found
	// it (the value of HandoffVar), or 0.
	Handoff int64
	// Known is the deployment the step's main phase posted to, as the post
	// step of auto-finish gets it (0: none); KnownJob says it is the job's.
	// Like a handed-over one, it is looked up again if GitHub answers 404.
	Known    int64
	KnownJob bool
	// Products is how many products the step records, for Plan: the
	// environment's first page grows with them (see firstPage).
	Products int
	// HandsOn says that a started event's outcome is for a later step of
	// the job to record (not auto-finish's post step): a started step
	// lists the environment for it, for Target.Previous (see Started).
	HandsOn bool
	// Started is what the started step of the job handed over, for a
	// finishing step (see Started); zero: nothing.
	Started Started
}

// Target is the deployment a step posts its status to.
type Target struct {
	ID      int64
	Created bool // this step created it
	Job     bool // GitHub made it for the job's environment: key
	handed  bool // taken from Where.Handoff without asking GitHub
	// Replaced is the product's previous version that a success posted
	// by Post replaced.
	Replaced Replaced
	// CreatedAt is when GitHub made the deployment, when the step found
	// one of ours that an earlier step made (zero otherwise): the start of
	// the deploy, for its duration, when no step of the job handed it on.
	CreatedAt time.Time
	// Previous is, for a started step that hands on (Where.HandsOn), the
	// newest earlier deployment of the product in the environment, for
	// the finishing step (see Started); 0: none, or not known.
	Previous int64
}

// HandoffVar names the variable through which the step that finds the
// job's deployment hands it to the job's later steps (through GITHUB_ENV,
// which reaches the later steps of the same job only), so that they post
// to it straight away. The name is keyed by product, environment and
// commit, so a step that records another of them does not pick it up.
func HandoffVar(ev event.Event) string {
	return event.JobVar("GITHUB_DEPLOYMENT", ev.Product, ev.Environment, ev.SHA)
}

// ParseHandoff reads the value of HandoffVar: a deployment id, else 0.
func ParseHandoff(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// Ensure returns the id of this run's deployment of ev, creating it when
// no earlier step did: Target without github-deployment: auto.
func (c *Client) Ensure(ctx context.Context, ev event.Event) (id int64, created bool, err error) {
	t, err := c.Target(ctx, ev, Where{})
	return t.ID, t.Created, err
}

// A lookup is one way of finding the deployment a status goes to.
type lookup int

const (
	useKnown   lookup = iota + 1 // Where.Known, without a request
	useHandoff                   // Where.Handoff, without a request
	findOurs                     // list the event's commit: this run's deployment of the product, and job candidates
	findRunSHA                   // list GITHUB_SHA too, when it differs: more job candidates
	findJob                      // read the candidates' statuses: the job's own deployment
	createOurs                   // create this run's deployment of the product
	settleOurs                   // list again after the create: the oldest of twins created at the same moment
)

// lookups is the order in which a step looks for its deployment, written
// once: Target takes the lookups until one finds it, and Plan describes
// them for a dry run. The post step of auto-finish uses the deployment its
// main step posted to (w.Known). Without w.Auto it is the step's own
// deployment, always: this run's of the product, else a new one. With
// w.Auto:
//
//  1. the deployment an earlier step of this job handed over (w.Handoff),
//     without a request: Post looks again if GitHub no longer knows it;
//  2. this run's own deployment of the product (its payload names the
//     product and run), so that a run that started with one keeps it;
//  3. the job's own deployment: among the deployments of the commit
//     (the event's, or GITHUB_SHA when that differs) and environment
//     made by github-actions[bot] with an empty payload, newest first and
//     at most maxCandidates, the first whose statuses (the newest page)
//     link into this run (GitHub's link to the job is the run URL followed
//     by /job/<id>);
//  4. else a deployment of ours, created as without w.Auto.
//
// A step that creates its deployment looks again (settleOurs): another
// step of the run may have created the same one at the same moment.
func lookups(ev event.Event, w Where) []lookup {
	switch {
	case w.Known > 0:
		return []lookup{useKnown}
	case !w.Auto:
		return []lookup{findOurs, createOurs, settleOurs}
	case w.Handoff > 0:
		return []lookup{useHandoff}
	}
	l := []lookup{findOurs}
	if w.RunSHA != "" && !strings.EqualFold(w.RunSHA, ev.SHA) {
		l = append(l, findRunSHA)
	}
	return append(l, findJob, createOurs, settleOurs)
}

// Target picks the deployment the step posts to, taking the lookups in
// order until one finds it.
func (c *Client) Target(ctx context.Context, ev event.Event, w Where) (Target, error) {
	var candidates []*github.Deployment
	var created int64
	for _, l := range lookups(ev, w) {
		switch l {
		case useKnown:
			return Target{ID: w.Known, Job: w.KnownJob, handed: true}, nil
		case useHandoff:
			return Target{ID: w.Handoff, Job: true, handed: true}, nil
		case findOurs:
			id, found, err := c.scan(ctx, ev, ev.SHA)
			if err != nil || id != 0 {
				return Target{ID: id}, err
			}
			candidates = found
		case findRunSHA:
			_, more, err := c.scan(ctx, ev, w.RunSHA)
			if err != nil {
				return Target{}, err
			}
			candidates = append(candidates, more...)
		case findJob:
			id, err := c.jobDeployment(ctx, ev, candidates)
			if err != nil || id != 0 {
				return Target{ID: id, Job: id != 0}, err
			}
		case createOurs:
			t, err := c.create(ctx, ev)
			if err != nil || !t.Created {
				return t, err // found after a lost answer, by a list that settled it
			}
			created = t.ID
		case settleOurs:
			return c.settle(ctx, ev, created)
		}
	}
	return Target{}, errors.New("deployments: no lookup found the deployment") // lookups ends in one that always does
}

// Post posts r to t. When t was handed over by an earlier step and GitHub
// answers 404 (the deployment is gone), the step looks it up again as if
// nothing had been handed over, and posts there; t says where it went.
//
// A success on a deployment of ours goes with auto_inactive: false, and
// then replaces the product's previous version in the environment, which
// t.Replaced names (see supersede). On the job's own deployment GitHub's
// default applies.
func (c *Client) Post(ctx context.Context, ev event.Event, w Where, t *Target, r *github.DeploymentStatusRequest) error {
	resp, err := c.post(ctx, ev, *t, r)
	var er *github.ErrorResponse
	if t.handed && errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		w.Handoff, w.Known = 0, 0
		nt, ferr := c.Target(ctx, ev, w)
		if ferr != nil {
			return ferr
		}
		*t = nt
		resp, err = c.post(ctx, ev, *t, r)
	}
	if err != nil {
		return c.explain(ctx, fmt.Sprintf("post a status to deployment %d", t.ID), resp, err)
	}
	if !superseding(ev, *t, r) {
		return nil
	}
	t.Replaced, err = c.supersede(ctx, ev, t.ID)
	if err != nil {
		return fmt.Errorf("posted %s to deployment %d, but the product's previous deployment may still show as active: %w", r.GetState(), t.ID, err)
	}
	return nil
}

// post sends r to t, without auto_inactive when the success replaces the
// product's previous version itself.
func (c *Client) post(ctx context.Context, ev event.Event, t Target, r *github.DeploymentStatusRequest) (*github.Response, error) {
	if superseding(ev, t, r) {
		r = withoutAutoInactive(r)
	}
	resp, err := c.createStatus(ctx, t.ID, r)
	return resp, err
}

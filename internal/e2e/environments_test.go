package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// monorepo is the products of the Environments page tests: they share
// every environment.
var monorepo = []string{"shop-api", "worker", "search"}

// TestEnvironmentsPageInAMonorepo deploys three products to one environment
// in turn, each in a run of its own (started, then success), and then each
// again with a new version. Every product's latest deployment stays active,
// and each replaces only its own previous one, which is marked inactive:
// in staging, where GitHub's default auto_inactive would have marked the
// other products' deployments inactive on each success, and in production,
// where it marks nothing.
func TestEnvironmentsPageInAMonorepo(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			run := 0
			deploy := func(product, version string) {
				t.Helper()
				run++
				ctx := map[string]string{"GITHUB_RUN_ID": fmt.Sprint(1000 + run), "GITHUB_SHA": fmt.Sprintf("%040d", run)}
				for _, status := range []string{"started", "success"} {
					wantCode(t, w.run(use{env: ctx, with: w.with(map[string]string{"product": product, "version": version, "environment": env, "status": status})}), 0)
				}
			}
			for _, p := range monorepo {
				deploy(p, "1.0.0")
			}
			for _, p := range monorepo {
				deploy(p, "1.1.0")
			}

			deps := w.github.Deployments()
			if len(deps) != 2*len(monorepo) {
				t.Fatalf("GitHub holds %d deployments, want %d", len(deps), 2*len(monorepo))
			}
			got := map[string][]fake.Status{}
			ids := map[string]int64{}
			for _, d := range deps {
				key := fmt.Sprint(d.Payload["product"], " ", d.Payload["version"])
				got[key], ids[key] = d.Statuses, d.ID
				for i := range d.Statuses {
					d.Statuses[i].LogURL, d.Statuses[i].EnvironmentURL = "", ""
				}
			}
			want := map[string][]fake.Status{}
			for _, p := range monorepo {
				want[p+" 1.0.0"] = []fake.Status{
					{State: "in_progress", Description: p + " 1.0.0: started"},
					{State: "success", Description: p + " 1.0.0: completed"},
					{State: "inactive", Description: fmt.Sprintf("superseded by 1.1.0 (deployment %d)", ids[p+" 1.1.0"])},
				}
				want[p+" 1.1.0"] = []fake.Status{
					{State: "in_progress", Description: p + " 1.1.0: started"},
					{State: "success", Description: p + " 1.1.0: completed"},
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses per deployment (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSupersedingRequests: the finishing step of a success costs, beyond
// the list and the status, one list of the environment, one read of the
// previous deployment's newest status, and its inactive status.
func TestSupersedingRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	prev := w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
		Payload:  map[string]any{"product": "shop-api", "version": "1.1.0", "run_id": "1"},
		Statuses: []fake.Status{{State: "in_progress"}, {State: "success"}}})
	other := w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
		Payload:  map[string]any{"product": "worker", "version": "2.0.0", "run_id": "2"},
		Statuses: []fake.Status{{State: "success"}}})
	wantCode(t, w.run(use{with: w.with(map[string]string{"status": "started"})}), 0)
	w.github.Reset()
	r := w.run(use{with: w.with(map[string]string{"status": "success"})})
	wantCode(t, r, 0)
	id := r.outputs["github-deployment-id"]
	wantPaths(t, "GitHub", w.github.Requests(),
		ghList, ghStatus(id),
		"GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=10&task=deploy",
		fmt.Sprintf("GET /api/v3/repos/acme/shop/deployments/%d/statuses?per_page=1", prev),
		ghStatus(fmt.Sprint(prev)))
	// The requests go at once where they can (deployments.Deliver): find
	// the two statuses posted by their deployment.
	for _, r := range w.github.Requests() {
		if r.Method != "POST" {
			continue
		}
		if r.Path == "/api/v3/repos/acme/shop/deployments/"+id+"/statuses" {
			if got := body(t, r)["auto_inactive"]; got != false {
				t.Errorf("the success went with auto_inactive %v, want false", got)
			}
		}
		if err := fake.ValidateGitHubRequest("testdata/schemas/github-rest-deployments.json", "repos/create-deployment-status", r.Body); err != nil {
			t.Errorf("%s body does not match GitHub's schema: %v", r.Path, err)
		}
	}
	for _, d := range w.github.Deployments() {
		last := d.Statuses[len(d.Statuses)-1]
		switch d.ID {
		case prev:
			if last.State != "inactive" || last.Description != "superseded by 1.2.3 (deployment "+id+")" {
				t.Errorf("the previous shop-api deployment ends with %+v, want inactive, superseded by 1.2.3", last)
			}
		case other:
			if len(d.Statuses) != 1 {
				t.Errorf("worker's deployment has statuses %+v, want its success alone", d.Statuses)
			}
		}
	}
	if !strings.Contains(r.stdout, "status success") {
		t.Errorf("the step's log lacks its status:\n%s", r.stdout)
	}
}

// TestSupersedingFarBack: when the environment's first page (10) is full
// of other products' deployments, the step lists its newest 100 once and
// still retires the product's previous version, and nothing else.
func TestSupersedingFarBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	prev := w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
		Payload:  map[string]any{"product": "shop-api", "version": "1.1.0", "run_id": "1"},
		Statuses: []fake.Status{{State: "success"}}})
	for i := range 12 {
		w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
			Payload:  map[string]any{"product": "worker", "version": fmt.Sprintf("2.0.%d", i), "run_id": fmt.Sprint(2 + i)},
			Statuses: []fake.Status{{State: "success"}}})
	}
	r := w.run(use{with: w.with(map[string]string{"status": "success"})})
	wantCode(t, r, 0)
	id := r.outputs["github-deployment-id"]
	var lists []string
	for _, p := range paths(w.github.Requests()) {
		if strings.HasPrefix(p, "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=") && !strings.Contains(p, "sha=") {
			lists = append(lists, p)
		}
	}
	want := []string{ghEnvList, "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=100&task=deploy"}
	if diff := cmp.Diff(want, lists); diff != "" {
		t.Errorf("the environment's lists (-want +got):\n%s", diff)
	}
	for _, d := range w.github.Deployments() {
		last := d.Statuses[len(d.Statuses)-1]
		switch {
		case d.ID == prev && (last.State != "inactive" || last.Description != "superseded by 1.2.3 (deployment "+id+")"):
			t.Errorf("the previous shop-api deployment ends with %+v, want inactive, superseded by 1.2.3", last)
		case d.ID != prev && fmt.Sprint(d.ID) != id && last.State != "success":
			t.Errorf("worker's deployment %d ends with %+v, want its success untouched", d.ID, last)
		}
	}
}

// TestJobDeploymentKeepsAutoInactive: a success posted to the deployment
// GitHub made for the job's environment: key goes with GitHub's default
// auto_inactive, and the step replaces nothing itself: that deployment's
// payload names no product.
func TestJobDeploymentKeepsAutoInactive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
		Payload:  map[string]any{"product": "shop-api", "version": "1.1.0", "run_id": "1"},
		Statuses: []fake.Status{{State: "success"}}})
	id := w.github.AddJobDeployment(fake.JobDeployment{RunID: runID, JobID: "555", SHA: headSHA, Ref: "main"})
	j := w.job(nil)
	wantCode(t, w.runIn(j, w.with(map[string]string{"status": "started"})), 0)
	w.github.Reset()
	wantCode(t, w.runIn(j, w.with(map[string]string{"status": "success"})), 0)
	wantPaths(t, "GitHub", w.github.Requests(), ghStatus(fmt.Sprint(id)))
	if _, ok := body(t, w.github.Requests()[0])["auto_inactive"]; ok {
		t.Errorf("the status to the job's own deployment sets auto_inactive: %s", w.github.Requests()[0].Body)
	}
}

// TestProductsShareTheEnvironmentList: one step that records the products
// of a monorepo in one environment lists that environment once, whichever
// product gets there first, and each product replaces its own previous
// version.
func TestProductsShareTheEnvironmentList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	previous := map[string]int64{}
	for i, p := range monorepo {
		previous[p] = w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "staging",
			Payload:  map[string]any{"product": p, "version": "1.0.0", "run_id": fmt.Sprint(i + 1)},
			Statuses: []fake.Status{{State: "success"}}})
	}
	r := w.run(use{with: w.with(map[string]string{"product": "", "environment": "staging", "status": "success",
		"products": "shop-api@1.1.0\nworker@1.1.0\nsearch@1.1.0"})})
	wantCode(t, r, 0)
	lists := 0
	for _, p := range paths(w.github.Requests()) {
		if p == "GET /api/v3/repos/acme/shop/deployments?environment=staging&per_page=10&task=deploy" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("the step listed staging %d times, want once for the three products:\n%s", lists, strings.Join(paths(w.github.Requests()), "\n"))
	}
	for _, d := range w.github.Deployments() {
		last := d.Statuses[len(d.Statuses)-1].State
		if want := map[bool]string{true: "inactive", false: "success"}[previous[fmt.Sprint(d.Payload["product"])] == d.ID]; last != want {
			t.Errorf("%v %v (deployment %d) ends %s, want %s", d.Payload["product"], d.Payload["version"], d.ID, last, want)
		}
	}
}

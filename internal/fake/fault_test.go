package fake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     []Fault
		path       string   // of every request, all POSTed with deployBody
		wantStatus []int    // one per request
		wantEvents int      // accepted events afterwards
		wantHeader []string // name, value of the first answer
		wantBody   string   // of the first answer
	}{
		{
			name:       "scripted answer then the fake's own",
			faults:     []Fault{{Method: "POST", PathSuffix: "/deployment-events/", Status: 429, Header: http.Header{"Retry-After": {"2"}}, Body: `{"detail":"slow down"}`}},
			path:       "/deployment-events/",
			wantStatus: []int{429, 201}, wantEvents: 1,
			wantHeader: []string{"Retry-After", "2"}, wantBody: `{"detail":"slow down"}`,
		},
		{
			name:       "faults are consumed in order",
			faults:     []Fault{{Status: 503}, {Status: 502, Header: http.Header{"content-type": {"text/html"}}, Body: "<html>bad gateway</html>"}},
			path:       "/deployment-events/",
			wantStatus: []int{503, 502, 201}, wantEvents: 1,
		},
		{
			name:       "a fault's headers override the defaults",
			faults:     []Fault{{Status: 502, Header: http.Header{"content-type": {"text/html"}}, Body: "<html>bad gateway</html>"}},
			path:       "/deployment-events/",
			wantStatus: []int{502}, wantHeader: []string{"Content-Type", "text/html"}, wantBody: "<html>bad gateway</html>",
		},
		{
			name:       "status 0 means 500",
			faults:     []Fault{{}},
			path:       "/deployment-events/",
			wantStatus: []int{500, 201}, wantEvents: 1,
		},
		{
			name:       "another method does not match",
			faults:     []Fault{{Method: "GET", Status: 503}},
			path:       "/deployment-events/",
			wantStatus: []int{201, 201}, wantEvents: 2,
		},
		{
			name:       "another path does not match",
			faults:     []Fault{{PathSuffix: "/build-events/", Status: 503}},
			path:       "/deployment-events/",
			wantStatus: []int{201}, wantEvents: 1,
		},
		{
			name:       "faults come before routing and auth",
			faults:     []Fault{{PathSuffix: "/nowhere", Status: 200, Body: `{}`}},
			path:       "/nowhere",
			wantStatus: []int{200, 404},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			v.Inject(tt.faults...)
			srv := start(t, v)
			var statuses []int
			for i := range tt.wantStatus {
				got := vpost(t, srv, tt.path, deployBody)
				statuses = append(statuses, got.status)
				if i > 0 {
					continue
				}
				if tt.wantHeader != nil && got.header.Get(tt.wantHeader[0]) != tt.wantHeader[1] {
					t.Errorf("%s = %q, want %q", tt.wantHeader[0], got.header.Get(tt.wantHeader[0]), tt.wantHeader[1])
				}
				if tt.wantBody != "" && got.body != tt.wantBody {
					t.Errorf("body = %q, want %q", got.body, tt.wantBody)
				}
			}
			if diff := cmp.Diff(tt.wantStatus, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			var logged []int
			for _, r := range v.Requests() {
				logged = append(logged, r.Status)
			}
			if diff := cmp.Diff(tt.wantStatus, logged); diff != "" {
				t.Errorf("logged statuses (-want +got):\n%s", diff)
			}
			if n := len(v.Events()); n != tt.wantEvents {
				t.Errorf("%d events, want %d", n, tt.wantEvents)
			}
		})
	}
}

func TestGitHubFaultKeepsRateLimitHeaders(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	g.Inject(Fault{Method: "POST", PathSuffix: "/deployments", Status: 403,
		Header: http.Header{"x-ratelimit-remaining": {"0"}}, Body: `{"message":"API rate limit exceeded"}`})
	got := ghsend(t, start(t, g), http.MethodPost, repoPath, createOK)
	if got.status != 403 || got.header.Get("X-Ratelimit-Remaining") != "0" || got.header.Get("X-Ratelimit-Limit") != "5000" {
		t.Errorf("answer %d, remaining %q, limit %q", got.status, got.header.Get("X-Ratelimit-Remaining"), got.header.Get("X-Ratelimit-Limit"))
	}
	if n := len(g.Deployments()); n != 0 {
		t.Errorf("%d deployments created by a faulted request", n)
	}
}

func TestFaultAfterRecord(t *testing.T) {
	t.Parallel()
	t.Run("versioner keeps the event and replays it for the same key", func(t *testing.T) {
		t.Parallel()
		v := newVersioner()
		v.Inject(Fault{Method: "POST", PathSuffix: "/deployment-events/", AfterRecord: true})
		srv := start(t, v)
		header := append(append([]string{}, versionerHeaders...), "Idempotency-Key", "k1")
		if _, err := sendCtx(context.Background(), srv, "POST", "/deployment-events/", deployBody, header...); err == nil {
			t.Fatal("the lost response reached the client")
		}
		if n := len(v.Events()); n != 1 {
			t.Fatalf("%d events after a lost response, want 1 (the service committed)", n)
		}
		retry := send(t, srv, "POST", "/deployment-events/", deployBody, header...)
		if retry.status != 201 || field(t, retry.body, "id") != "00000000-0000-4000-8000-000000000001" {
			t.Errorf("retry = %d %s, want the first event's answer", retry.status, retry.body)
		}
		if n := len(v.Events()); n != 1 {
			t.Errorf("%d events after the retry, want 1", n)
		}
		if reqs := v.Requests(); len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 201 {
			t.Errorf("request log = %+v", reqs)
		}
	})
	t.Run("github creates the deployment and a blind retry duplicates it", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.Inject(Fault{Method: "POST", PathSuffix: "/deployments", AfterRecord: true})
		srv := start(t, g)
		if _, err := sendCtx(context.Background(), srv, "POST", "/api/v3"+repoPath, createOK, "Authorization", "token "+token); err == nil {
			t.Fatal("the lost response reached the client")
		}
		ghsend(t, srv, http.MethodPost, repoPath, createOK)
		if n := len(g.Deployments()); n != 2 {
			t.Errorf("%d deployments, want 2: GitHub does not deduplicate", n)
		}
	})
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	v := newVersioner()
	v.Inject(Fault{PathSuffix: "/build-events/", Hang: true})
	srv := start(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := sendCtx(ctx, srv, "POST", "/build-events/", `{"product_name":"p","version":"1","status":"built"}`, versionerHeaders...)
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return len(v.Requests()) == 1 })
	select {
	case err := <-errc:
		t.Fatalf("a hanging request returned: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	srv.Close() // waits for the handler
	if reqs := v.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("request log = %+v, want one unanswered request", reqs)
	}
	if n := len(v.Events()); n != 0 {
		t.Errorf("%d events from a hung request", n)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	t.Run("answers after the delay", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.SetLatency(15 * time.Millisecond)
		srv := start(t, g)
		began := time.Now()
		if got := ghsend(t, srv, http.MethodGet, repoPath, ""); got.status != 200 {
			t.Fatalf("status %d", got.status)
		}
		if d := time.Since(began); d < 15*time.Millisecond {
			t.Errorf("answered after %v", d)
		}
	})
	t.Run("a client that gives up first changes nothing", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.SetLatency(time.Hour)
		srv := start(t, g)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := sendCtx(ctx, srv, "POST", "/api/v3"+repoPath, createOK, "Authorization", "token "+token)
			errc <- err
		}()
		waitFor(t, "the request to arrive", func() bool { return len(g.Requests()) == 1 })
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		srv.Close()
		if n := len(g.Deployments()); n != 0 {
			t.Errorf("%d deployments created", n)
		}
		if r := g.Requests(); r[0].Status != 0 {
			t.Errorf("logged status %d, want 0", r[0].Status)
		}
	})
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	v := newVersioner()
	v.PathPrefix = "/versioner"
	srv := start(t, v)
	vpost(t, srv, "/versioner/deployment-events/", deployBody, "Idempotency-Key", "k")
	send(t, srv, "GET", "/versioner/health?verbose=1", "")
	send(t, srv, "POST", "/versioner/build-events/", `{}`) // no credentials
	reqs := v.Requests()
	type row struct {
		Method, Path, RawQuery, Body, Key string
		Status                            int
	}
	var got []row
	for _, r := range reqs {
		got = append(got, row{r.Method, r.Path, r.RawQuery, string(r.Body), r.Header.Get("Idempotency-Key"), r.Status})
	}
	want := []row{
		{"POST", "/versioner/deployment-events/", "", deployBody, "k", 201},
		{"GET", "/versioner/health", "verbose=1", "", "", 200},
		{"POST", "/versioner/build-events/", "", `{}`, "", 401},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request log (-want +got):\n%s", diff)
	}

	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("Idempotency-Key", "changed")
	if again := v.Requests()[0]; again.Body[0] != '{' || again.Header.Get("Idempotency-Key") != "k" {
		t.Error("Requests returned the fake's own slices")
	}
	v.Reset()
	if n := len(v.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
	if n := len(v.Events()); n != 1 {
		t.Errorf("Reset dropped events: %d left", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	v, g := newVersioner(), newGitHub()
	g.FailingChecks = false
	vs, gs := start(t, v), start(t, g)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"product_name":"p","version":"1.%d","environment_name":"e","status":"success"}`, i)
			if a, err := sendCtx(context.Background(), vs, "POST", "/deployment-events/", body, versionerHeaders...); err != nil || a.status != 201 {
				t.Errorf("versioner: %v %+v", err, a)
			}
		}()
		go func() {
			defer wg.Done()
			if a, err := sendCtx(context.Background(), gs, "POST", "/api/v3"+repoPath, `{"ref":"main","auto_merge":false}`, "Authorization", "token "+token); err != nil || a.status != 201 {
				t.Errorf("github: %v %+v", err, a)
			}
		}()
	}
	wg.Wait()
	if len(v.Events()) != n || len(v.Requests()) != n || len(g.Deployments()) != n || len(g.Requests()) != n {
		t.Errorf("events %d, requests %d, deployments %d, requests %d; want %d each",
			len(v.Events()), len(v.Requests()), len(g.Deployments()), len(g.Requests()), n)
	}
	seen := map[int64]bool{}
	for _, d := range g.Deployments() {
		seen[d.ID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct deployment ids, want %d", len(seen), n)
	}
}

// The service commits, then answers with the scripted answer instead of its own.
func TestFaultCommit(t *testing.T) {
	t.Parallel()
	v := newVersioner()
	v.Inject(Fault{PathSuffix: "/deployment-events/", Commit: true, Status: 201, Body: `{"id": "00000000-00`})
	srv := start(t, v)
	got := vpost(t, srv, "/deployment-events/", deployBody, "Idempotency-Key", "k1")
	if got.status != 201 || got.body != `{"id": "00000000-00` {
		t.Errorf("answer = %d %q, want the scripted one", got.status, got.body)
	}
	if n := len(v.Events()); n != 1 {
		t.Fatalf("%d events, want 1: the service committed", n)
	}
	// The idempotency record holds the fake's own answer: a retry gets the ids.
	retry := vpost(t, srv, "/deployment-events/", deployBody, "Idempotency-Key", "k1")
	if retry.status != 201 || field(t, retry.body, "id") != "00000000-0000-4000-8000-000000000001" || len(v.Events()) != 1 {
		t.Errorf("retry = %d %s with %d events, want the first event's answer and no second event", retry.status, retry.body, len(v.Events()))
	}
}

// The answer stops halfway through its body and the connection is reset.
func TestFaultCut(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	g.Inject(Fault{Method: "POST", PathSuffix: "/deployments", Cut: true})
	srv := start(t, g)
	res, err := sendCtx(context.Background(), srv, "POST", "/api/v3"+repoPath, createOK, "Authorization", "token "+token)
	if err == nil {
		t.Fatalf("a cut answer read whole: %d %q", res.status, res.body)
	}
	if res.status != 201 || res.body == "" || !strings.HasPrefix(res.body, `{`) {
		t.Errorf("before the cut the client saw %d %q, want 201 and the start of the body", res.status, res.body)
	}
	if n := len(g.Deployments()); n != 1 {
		t.Errorf("%d deployments, want 1: GitHub committed before the cut", n)
	}
	if reqs := g.Requests(); len(reqs) != 1 || reqs[0].Status != 201 {
		t.Errorf("request log = %+v, want one request answered 201", reqs)
	}
}

// The answer arrives whole, one byte at a time.
func TestFaultTrickle(t *testing.T) {
	t.Parallel()
	v := newVersioner()
	v.Inject(Fault{PathSuffix: "/deployment-events/", Trickle: time.Millisecond})
	srv := start(t, v)
	began := time.Now()
	got := vpost(t, srv, "/deployment-events/", deployBody)
	if got.status != 201 || field(t, got.body, "id") != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("answer = %d %s", got.status, got.body)
	}
	if took, least := time.Since(began), time.Duration(len(got.body)-1)*time.Millisecond; took < least {
		t.Errorf("a %d-byte answer trickled in %v, want at least %v", len(got.body), took, least)
	}
}

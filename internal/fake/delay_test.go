package fake

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestCreateDelay: the deployment is listed while its create waits for
// its answer; the answer, when it comes, is the stored deployment.
func TestCreateDelay(t *testing.T) {
	t.Parallel()
	t.Run("stored before the answer", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.SetCreateDelay(time.Minute)
		srv := start(t, g)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := sendCtx(ctx, srv, http.MethodPost, "/api/v3"+repoPath, createOK, "Authorization", "Bearer "+token)
			errc <- err
		}()
		waitFor(t, "the deployment to be listed", func() bool {
			list, _ := decodeJSON(t, ghsend(t, srv, http.MethodGet, repoPath, "").body).([]any)
			return len(list) == 1
		})
		select {
		case err := <-errc:
			t.Fatalf("the create was answered before its delay: %v", err)
		default:
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("then answered", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.SetCreateDelay(20 * time.Millisecond)
		srv := start(t, g)
		began := time.Now()
		got := ghsend(t, srv, http.MethodPost, repoPath, createOK)
		if took := time.Since(began); took < 20*time.Millisecond {
			t.Errorf("answered after %s, want at least the delay", took)
		}
		if got.status != http.StatusCreated || field(t, got.body, "id") != 1.0 {
			t.Errorf("create = %d %s, want 201 with deployment 1", got.status, got.body)
		}
	})
	t.Run("lists, statuses and refused creates are not delayed", func(t *testing.T) {
		t.Parallel()
		g := newGitHub()
		g.SetCreateDelay(time.Minute)
		g.AddDeployment(Deployment{SHA: sha})
		srv := start(t, g)
		for _, r := range []struct{ method, path, body string }{
			{http.MethodGet, repoPath, ""},
			{http.MethodPost, repoPath + "/1/statuses", `{"state":"success"}`},
			{http.MethodPost, repoPath, `{"ref":"main"}`}, // auto_merge: a 202, nothing made
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := sendCtx(ctx, srv, r.method, "/api/v3"+r.path, r.body, "Authorization", "Bearer "+token)
			cancel()
			if err != nil {
				t.Errorf("%s %s: %v", r.method, r.path, err)
			}
		}
	})
}

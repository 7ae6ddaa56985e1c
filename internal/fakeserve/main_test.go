package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/runner"
)

// TestServeRunsTheAction runs the action's two steps against the served fakes the way the CI
// workflow does, and reads back what they received.
func TestServeRunsTheAction(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "deploytrack")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	meta, err := runner.ReadMetadata("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	h, err := handler("ci-key", "ci-token", "acme/shop")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	with := map[string]string{"api-key": "ci-key", "api-url": srv.URL + "/versioner", "product": "shop-api",
		"version": "1.0.0", "environment": "ci"}
	var ids []string
	for _, status := range []string{"started", "success"} {
		with["status"] = status
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := runner.Run(ctx, runner.Step{Binary: bin, Metadata: meta, With: with, Token: "ci-token",
			Env: runner.Context(srv.URL+"/api/v3", "3f786850e387550fdab836ed7e6dc881de23001b"), Dir: t.TempDir()})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 0 || r.Outputs["github-deployment-id"] == "" || r.Outputs["deployment-id"] == "" {
			t.Fatalf("status %s: exit %d, outputs %v\n%s%s", status, r.Code, r.Outputs, r.Stdout, r.Stderr)
		}
		ids = append(ids, r.Outputs["github-deployment-id"])
	}
	if ids[0] != ids[1] {
		t.Errorf("the finish step used GitHub deployment %s, the first step %s", ids[1], ids[0])
	}

	resp, err := http.Get(srv.URL + "/received")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got received
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Versioner) != 2 || got.Versioner[1].Body["status"] != "completed" {
		t.Errorf("Versioner received %+v, want a started and a completed event", got.Versioner)
	}
	if len(got.GitHub) != 1 || len(got.GitHub[0].Statuses) != 2 || got.GitHub[0].Statuses[1].State != "success" {
		t.Errorf("GitHub holds %+v, want one deployment marked in_progress then success", got.GitHub)
	}
}

func TestHandlerRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct{ key, repo string }{{"", "acme/shop"}, {"k", "shop"}, {"k", "acme/shop/x"}, {"k", "/shop"}} {
		if _, err := handler(tt.key, "", tt.repo); err == nil {
			t.Errorf("handler(%q, %q) accepted it", tt.key, tt.repo)
		}
	}
}

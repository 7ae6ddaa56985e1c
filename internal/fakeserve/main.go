// Command fakeserve serves the project's fakes of Versioner and GitHub on one address, for running
// the action somewhere the tests' in-process servers cannot reach: the CI workflow starts it as a
// step and points the container action at it, and a developer can run the Docker image against it.
//
//	go run ./internal/fakeserve -listen 0.0.0.0:8787 -api-key KEY -token TOKEN -repo owner/name
//
// Versioner answers under /versioner (use it as api-url), GitHub under /api/v3 (a GHES-style
// GITHUB_API_URL), and GET /received lists what each has recorded, as JSON.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/deploytrack/deploytrack/internal/fake"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8787", "the address to serve on")
	apiKey := flag.String("api-key", "", "the Versioner API key the fake accepts (required)")
	token := flag.String("token", "", "the GitHub token the fake accepts (default: none accepted)")
	repo := flag.String("repo", "acme/shop", "the GitHub repository owner/name the fake holds")
	flag.Parse()
	if err := serve(*listen, *apiKey, *token, *repo); err != nil {
		fmt.Fprintln(os.Stderr, "fakeserve:", err)
		os.Exit(1)
	}
}

func serve(listen, apiKey, token, repo string) error {
	h, err := handler(apiKey, token, repo)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// The address is printed once the socket is open, so a script may wait for the line.
	fmt.Printf("fakeserve: Versioner at http://%s/versioner, GitHub at http://%[1]s/api/v3, what they received at http://%[1]s/received\n", ln.Addr())
	return http.Serve(ln, h)
}

// handler mounts both fakes and the /received report on one mux.
func handler(apiKey, token, repo string) (http.Handler, error) {
	if apiKey == "" {
		return nil, errors.New("-api-key is required: the fake Versioner accepts exactly one key")
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("-repo %q: want owner/name", repo)
	}
	vs := fake.NewVersioner(apiKey)
	vs.PathPrefix = "/versioner"
	gh := fake.NewGitHub(token, owner, name)

	mux := http.NewServeMux()
	mux.Handle("/versioner/", vs)
	mux.Handle("/api/v3/", gh)
	mux.HandleFunc("GET /received", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(received{Versioner: vs.Events(), GitHub: gh.Deployments()})
	})
	return mux, nil
}

// received is the body of GET /received.
type received struct {
	Versioner []fake.Event      `json:"versioner"`
	GitHub    []fake.Deployment `json:"github"`
}

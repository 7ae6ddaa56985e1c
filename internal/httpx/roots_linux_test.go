package httpx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testRoots are self-signed certificates, PEM-encoded, named by their
// common name.
func testRoots(t testing.TB, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, name := range names {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	return out
}

// TestLoadRoots: the pool holds what crypto/x509's loading would (the
// first bundle that can be read, then every file of the directories,
// less their links to a file of their own), and each certificate was
// parsed once, however many files hold it.
func TestLoadRoots(t *testing.T) {
	t.Parallel()
	certs := testRoots(t, "a", "b", "c", "d")
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"
	withHeader := strings.Replace(certs["d"], "-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1)
	tests := []struct {
		name  string
		files map[string]string // under the test's directory; "->x" is a symbolic link to x
		src   rootSources       // paths under the test's directory
		want  []string          // the certificates in the pool
		read  int               // files read
		parse int               // texts decoded and parsed: a certificate, or a file not plain
	}{
		{
			name:  "the bundle, then the directory that holds it, read once",
			files: map[string]string{"certs/ca-certificates.crt": certs["a"] + certs["b"]},
			src:   rootSources{files: []string{"certs/ca-certificates.crt"}, dirs: []string{"certs"}},
			want:  []string{"a", "b"},
			read:  1, parse: 2,
		},
		{
			name: "a runner's directory: the bundle and each of its certificates in a file, parsed once each",
			files: map[string]string{
				"certs/ca-certificates.crt": certs["a"] + certs["b"],
				"share/a.crt":               certs["a"], "share/b.crt": certs["b"],
				"certs/a.pem": "->../share/a.crt", "certs/b.pem": "->../share/b.crt",
				"certs/1234abcd.0": "->a.pem", // c_rehash's link, skipped
			},
			src:  rootSources{files: []string{"private.pem", "certs/ca-certificates.crt"}, dirs: []string{"certs"}},
			want: []string{"a", "b"},
			read: 3, parse: 2,
		},
		{
			name: "SSL_CERT_FILE beside the directory",
			files: map[string]string{
				"private.pem": certs["c"], "certs/ca-certificates.crt": certs["a"] + certs["b"],
			},
			src:  rootSources{files: []string{"private.pem"}, dirs: []string{"certs"}},
			want: []string{"a", "b", "c"},
			read: 2, parse: 3,
		},
		{
			name:  "only the first bundle that can be read",
			files: map[string]string{"second.pem": certs["b"], "third.pem": certs["c"]},
			src:   rootSources{files: []string{"first.pem", "second.pem", "third.pem"}},
			want:  []string{"b"},
			read:  1, parse: 1,
		},
		{
			name: "each certificate in a file of its own, then the bundle, which is not decoded",
			files: map[string]string{
				"certs/a.pem": certs["a"], "certs/b.pem": certs["b"], "certs/ca-certificates.crt": certs["a"] + "\n" + certs["b"],
			},
			src:  rootSources{files: []string{"ca.pem"}, dirs: []string{"certs"}},
			want: []string{"a", "b"},
			read: 3, parse: 2,
		},
		{
			name: "a bundle with more than certificates is decoded, met or not",
			files: map[string]string{
				"certs/a.pem": certs["a"], "certs/bundle.crt": "# a\n" + certs["a"],
			},
			src:  rootSources{dirs: []string{"certs"}},
			want: []string{"a"},
			read: 2, parse: 2,
		},
		{
			name:  "every directory, those missing passed over",
			files: map[string]string{"one/a.pem": certs["a"], "two/b.pem": certs["b"] + certs["a"]},
			src:   rootSources{dirs: []string{"one", "missing", "two"}},
			want:  []string{"a", "b"},
			read:  2, parse: 2,
		},
		{
			name:  "blocks that are not certificates, or have headers, and text around them",
			files: map[string]string{"bundle.pem": "# roots\n" + key + certs["a"] + "junk\n" + withHeader + certs["c"]},
			src:   rootSources{files: []string{"bundle.pem"}},
			want:  []string{"a", "c"},
			read:  1, parse: 1,
		},
		{
			name: "nothing there",
			src:  rootSources{files: []string{"none.pem"}, dirs: []string{"none"}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, text := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if target, ok := strings.CutPrefix(text, "->"); ok {
					err = os.Symlink(target, path)
				} else {
					err = os.WriteFile(path, []byte(text), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			src := rootSources{}
			for _, f := range tt.src.files {
				src.files = append(src.files, filepath.Join(dir, f))
			}
			for _, d := range tt.src.dirs {
				src.dirs = append(src.dirs, filepath.Join(dir, d))
			}
			pool, n, err := loadRoots(src)
			if err != nil {
				t.Fatalf("loadRoots() error = %v", err)
			}
			want := x509.NewCertPool()
			for _, name := range tt.want {
				want.AppendCertsFromPEM([]byte(certs[name]))
			}
			if !pool.Equal(want) {
				t.Errorf("the pool does not hold %v alone", tt.want)
			}
			if got, want := n, (loaded{files: tt.read, appends: tt.parse}); got != want {
				t.Errorf("loadRoots() read %d files and parsed %d texts, want %d and %d", got.files, got.appends, want.files, want.appends)
			}
		})
	}
}

// A source that exists but cannot be read is an error only when no
// certificate was found elsewhere, as crypto/x509 has it.
func TestLoadRootsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	if err := os.WriteFile(good, []byte(testRoots(t, "a")["a"]), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := good // a file where a directory is expected: ENOTDIR, not "does not exist"
	if _, _, err := loadRoots(rootSources{files: []string{dir}, dirs: []string{notDir + "/x"}}); err == nil {
		t.Error("loadRoots() with a directory for a bundle and nothing else: no error")
	}
	pool, _, err := loadRoots(rootSources{files: []string{dir, good}})
	if err != nil || pool == nil {
		t.Errorf("loadRoots() with a readable bundle after an unreadable one = %v, %v; want its pool", pool, err)
	}
}

// The sources are crypto/x509's, with SSL_CERT_FILE and SSL_CERT_DIR
// (":"-separated) read as it reads them.
func TestSystemSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want rootSources
	}{
		{name: "defaults", want: rootSources{files: bundles, dirs: bundleDirs}},
		{name: "SSL_CERT_FILE", env: map[string]string{"SSL_CERT_FILE": "/ghes/ca.pem"}, want: rootSources{files: []string{"/ghes/ca.pem"}, dirs: bundleDirs}},
		{name: "SSL_CERT_DIR", env: map[string]string{"SSL_CERT_DIR": "/a:/b"}, want: rootSources{files: bundles, dirs: []string{"/a", "/b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := systemSources(func(k string) string { return tt.env[k] })
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(rootSources{})); diff != "" {
				t.Errorf("systemSources() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The client trusts the roots that SSL_CERT_FILE names, read through
// Options.Getenv and not the process's environment, and reads none for a
// request over plain HTTP.
func TestTrustSystemRoots(t *testing.T) {
	t.Parallel()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(tls.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(plain.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		url     string
		trusted bool // the request went through
		roots   bool // the client has a pool of its own
	}{
		{name: "SSL_CERT_FILE names the server's authority", env: map[string]string{"SSL_CERT_FILE": ca, "SSL_CERT_DIR": dir}, url: tls.URL, trusted: true, roots: true},
		{name: "the system's roots do not hold it", env: map[string]string{"SSL_CERT_DIR": filepath.Join(dir, "none")}, url: tls.URL, roots: true},
		{name: "plain HTTP reads no roots", env: map[string]string{"SSL_CERT_FILE": ca}, url: plain.URL, trusted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(Options{Retries: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond, Getenv: func(k string) string { return tt.env[k] }})
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.For("GitHub").Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil) != tt.trusted {
				t.Errorf("Do() error = %v, want trusted %v", err, tt.trusted)
			}
			if got := c.tls.RootCAs != nil; got != tt.roots {
				t.Errorf("the client has a pool of its own: %v, want %v", got, tt.roots)
			}
		})
	}
}

// FuzzLoadRoots: whatever two files hold, the pool holds what
// crypto/x509's loading would put in it: AppendCertsFromPEM of each. The
// certificates of a plain file are added one by one, those met already
// not at all (certTexts): this checks that doing so never loses one, nor
// adds one.
func FuzzLoadRoots(f *testing.F) {
	certs := testRoots(f, "a", "b")
	a, b := certs["a"], certs["b"]
	for _, seed := range [][2]string{
		{a + b, a}, {a, a + b}, {a + "\n\n" + b, b + a}, {a, " " + a}, {" " + a, a}, {a, a + "x"},
		{a, strings.Replace(a, "-----\n", "----- \r\n", 2)}, {a, strings.Replace(a, "\n-----END", "-----END", 1) + b},
		{"-----BEGIN CERTIFICATE-----\n" + a, a}, {a, strings.TrimSuffix(a, "\n")}, {a, "\t" + a + "\r\n"},
		{a, strings.Replace(a, "-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE----- x", 1)},
		{strings.Replace(a, "-----\n", "-----\r \n", 2), a}, {strings.TrimSuffix(a, "\n") + " \r \n", b}, {strings.TrimSuffix(a, "\n") + "\r", b},
		{strings.Replace(a, "-----\n", "-----\t\r\n", 2) + b, b + a},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, bundle, file string) {
		l := newRootLoader()
		l.addFile([]byte(bundle))
		l.addFile([]byte(file))
		want := x509.NewCertPool()
		want.AppendCertsFromPEM([]byte(bundle))
		want.AppendCertsFromPEM([]byte(file))
		if !l.pool.Equal(want) {
			t.Errorf("the pool differs from AppendCertsFromPEM's of\n%q\nthen\n%q", bundle, file)
		}
	})
}

package httpx

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The sources crypto/x509 reads the system's roots from on Linux
// (root_linux.go): the first of these bundles that can be read, or
// SSL_CERT_FILE, then every file of these directories, or of SSL_CERT_DIR.
var (
	bundles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine Linux
	}
	bundleDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
)

// rootSources are where the roots are read from.
type rootSources struct {
	files []string // the first that can be read is read
	dirs  []string // every file of each is read
}

// systemSources are crypto/x509's sources, as getenv sets them.
func systemSources(getenv func(string) string) rootSources {
	s := rootSources{files: bundles, dirs: bundleDirs}
	if f := getenv("SSL_CERT_FILE"); f != "" {
		s.files = []string{f}
	}
	if d := getenv("SSL_CERT_DIR"); d != "" {
		// OpenSSL's separator, as crypto/x509 reads it.
		s.dirs = strings.Split(d, ":")
	}
	return s
}

// systemRoots loads the system's roots as crypto/x509 does on Linux
// (root_unix.go, loadSystemRoots), from the same sources and with the same
// result, but parses each certificate once. crypto/x509 reads the bundle,
// then every file of /etc/ssl/certs, which holds that same bundle (the
// action's image holds nothing else there) or, on a runner, each of the
// bundle's certificates in a file of its own: it parses every root twice,
// and keeps the garbage until the first collection (which, at 4 MB of
// heap, a step may never reach). Here a file already read is not read
// again, and a certificate already added is not parsed again.
func systemRoots(getenv func(string) string) (*x509.CertPool, error) {
	pool, _, err := loadRoots(systemSources(getenv))
	return pool, err
}

// loaded counts what loadRoots read: files, and certificates parsed.
type loaded struct{ files, certs int }

// loadRoots reads src into a pool, and says what it read. Like
// crypto/x509, it fails only when it found no certificate and a source
// that exists could not be read.
func loadRoots(src rootSources) (*x509.CertPool, loaded, error) {
	l := rootLoader{pool: x509.NewCertPool(), seen: map[[sha256.Size224]byte]bool{}}
	var firstErr error
	note := func(err error) {
		if firstErr == nil && !os.IsNotExist(err) {
			firstErr = err
		}
	}
	for _, f := range src.files {
		err := l.read(f)
		if err == nil {
			break
		}
		note(err)
	}
	for _, dir := range src.dirs {
		entries, err := readUniqueDirectoryEntries(dir)
		if err != nil {
			note(err)
			continue
		}
		for _, e := range entries {
			l.read(dir + "/" + e.Name()) // as crypto/x509: an unreadable file is passed over
		}
	}
	n := loaded{files: len(l.files), certs: l.parsed}
	if l.parsed > 0 || firstErr == nil {
		return l.pool, n, nil
	}
	return nil, n, firstErr
}

// rootLoader adds the certificates of PEM files to pool, each file and
// each certificate once.
type rootLoader struct {
	pool   *x509.CertPool
	files  []os.FileInfo                 // read already
	seen   map[[sha256.Size224]byte]bool // the DER of each certificate met
	parsed int
	buf    bytes.Buffer
}

func (l *rootLoader) read(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	for _, read := range l.files {
		if os.SameFile(fi, read) {
			return nil
		}
	}
	// One buffer for every file, the pool keeps none of their bytes;
	// sized first, or a bundle would be read into a buffer doubled again
	// and again.
	l.buf.Reset()
	l.buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := l.buf.ReadFrom(f); err != nil {
		return err
	}
	l.files = append(l.files, fi)
	for data := l.buf.Bytes(); len(data) > 0; {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		// As AppendCertsFromPEM: other blocks, and those with headers,
		// are not certificates.
		if block.Type == "CERTIFICATE" && len(block.Headers) == 0 {
			sum := sha256.Sum224(block.Bytes)
			if !l.seen[sum] {
				l.seen[sum] = true
				// AppendCertsFromPEM keeps the certificate's bytes and
				// parses them again only when a chain leads to it;
				// AddCert would keep every parsed certificate.
				if l.pool.AppendCertsFromPEM(data[:len(data)-len(rest)]) {
					l.parsed++
				}
			}
		}
		data = rest
	}
	return nil
}

// readUniqueDirectoryEntries is crypto/x509's: dir's entries, less the
// symbolic links to a file of dir itself (the hash links of c_rehash).
func readUniqueDirectoryEntries(dir string) ([]fs.DirEntry, error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	uniq := files[:0]
	for _, f := range files {
		if !isSameDirSymlink(f, dir) {
			uniq = append(uniq, f)
		}
	}
	return uniq, nil
}

func isSameDirSymlink(f fs.DirEntry, dir string) bool {
	if f.Type()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(filepath.Join(dir, f.Name()))
	return err == nil && !strings.Contains(target, "/")
}

package httpx

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
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
// bundle's certificates in a file of its own: it decodes and parses every
// root twice, and keeps the garbage until the first collection (which, at
// 4 MB of heap, a step may never reach). Here a file already read is not
// read again, and a certificate met already is not decoded again (see
// certTexts).
func systemRoots(getenv func(string) string) (*x509.CertPool, error) {
	pool, _, err := loadRoots(systemSources(getenv))
	return pool, err
}

// loaded counts what loadRoots did: files read, and texts decoded and
// parsed (a certificate of a plain file, or a whole file).
type loaded struct{ files, appends int }

// loadRoots reads src into a pool, and says what it read. Like
// crypto/x509, it fails only when it found no certificate and a source
// that exists could not be read.
func loadRoots(src rootSources) (*x509.CertPool, loaded, error) {
	l := newRootLoader()
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
	n := loaded{files: len(l.files), appends: l.appends}
	if l.found || firstErr == nil {
		return l.pool, n, nil
	}
	return nil, n, firstErr
}

// rootLoader adds the certificates of PEM files to pool, each file once,
// and each certificate of a plain file (see certTexts) once.
type rootLoader struct {
	pool    *x509.CertPool
	files   []os.FileInfo                 // read already
	seen    map[[sha256.Size224]byte]bool // the text of each certificate of a plain file: it parsed
	appends int                           // texts handed to AppendCertsFromPEM
	found   bool                          // a certificate is in pool
	buf     bytes.Buffer
}

func newRootLoader() *rootLoader {
	return &rootLoader{pool: x509.NewCertPool(), seen: map[[sha256.Size224]byte]bool{}}
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
	l.addFile(l.buf.Bytes())
	return nil
}

// addFile adds the certificates of a file that holds data.
func (l *rootLoader) addFile(data []byte) {
	// AppendCertsFromPEM keeps each certificate's bytes and parses them
	// again only when a chain leads to it; AddCert would keep every
	// parsed certificate.
	texts, plain := certTexts(data)
	if !plain {
		l.add(data)
		return
	}
	for _, t := range texts {
		sum := sha256.Sum224(t)
		if _, met := l.seen[sum]; !met {
			l.seen[sum] = l.add(t)
		}
	}
}

// add adds the certificates of pemText to the pool, and reports whether
// one parsed.
func (l *rootLoader) add(pemText []byte) bool {
	l.appends++
	ok := l.pool.AppendCertsFromPEM(pemText)
	l.found = l.found || ok
	return ok
}

const (
	certBegin = "-----BEGIN CERTIFICATE-----"
	certEnd   = "-----END CERTIFICATE-----"
)

// certTexts splits data into the text of its certificates, BEGIN line to
// END line, without decoding them, and reports whether data is plain: those
// blocks alone, each of their marker lines to itself, with nothing but
// white space between them, and no other "-----" inside, as the bundles of
// ca-certificates and the files of /etc/ssl/certs are. pem.Decode finds
// exactly these blocks in a plain file, and a block's text decodes to the
// same certificate wherever it is: each text can be added on its own, and
// a text met before adds nothing. A file that is not plain is added whole,
// as crypto/x509 would.
func certTexts(data []byte) (texts [][]byte, plain bool) {
	for i := 0; ; {
		j := i
		for j < len(data) && isSpace(data[j]) {
			j++
		}
		if j == len(data) {
			return texts, true
		}
		// The BEGIN line starts a line, and ends after its marker.
		if j > 0 && data[j-1] != '\n' || !bytes.HasPrefix(data[j:], []byte(certBegin)) {
			return texts, false
		}
		if _, ok := lineEnd(data, j+len(certBegin)); !ok {
			return texts, false
		}
		k := bytes.Index(data[j+len(certBegin):], []byte("-----"))
		if k < 0 {
			return texts, false
		}
		k += j + len(certBegin)
		// So does the END line.
		if data[k-1] != '\n' || !bytes.HasPrefix(data[k:], []byte(certEnd)) {
			return texts, false
		}
		next, ok := lineEnd(data, k+len(certEnd))
		if !ok {
			return texts, false
		}
		texts = append(texts, data[j:k+len(certEnd)])
		i = next
	}
}

// lineEnd reports whether a line ends at data[i], as pem.Decode reads a
// marker's line: blanks, then "\n", "\r\n" or the end of data; and where
// the next line starts.
func lineEnd(data []byte, i int) (int, bool) {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i < len(data) && data[i] == '\r' {
		i++
		if i == len(data) {
			return 0, false
		}
	}
	switch {
	case i == len(data):
		return i, true
	case data[i] == '\n':
		return i + 1, true
	}
	return 0, false
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

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

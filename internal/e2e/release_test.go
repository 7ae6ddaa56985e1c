package e2e

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The release binary: built by tools/build.sh, the one definition of the
// release build, then read for what the build flags must have done.

const (
	releaseVersion = "v0.0.0-rehearsal"
	releaseCommit  = "0123456789abcdef0123456789abcdef01234567"
)

var release struct {
	once sync.Once
	path string
	err  error
}

// releaseBinary builds the binary once with tools/build.sh, as make build
// and the Dockerfile do, stamped with releaseVersion and releaseCommit.
func releaseBinary(t *testing.T) string {
	t.Helper()
	release.once.Do(func() {
		// binary's directory is TestMain's, removed when the tests end.
		release.path = filepath.Join(filepath.Dir(binary), "release", "deploytrack")
		cmd := exec.Command("tools/build.sh", release.path)
		cmd.Env = append(os.Environ(), "VERSION="+releaseVersion, "COMMIT="+releaseCommit)
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("tools/build.sh %s: %v\n%s", release.path, err, out)
		}
	})
	if release.err != nil {
		t.Fatalf("building the release binary: %v", release.err)
	}
	return release.path
}

// built is what a binary shows of how it was built. Go records CGO_ENABLED
// and -trimpath in the build info, but not -ldflags when -trimpath is set
// (go.dev/issue/52372), so the linker flags are judged by their effect.
type built struct {
	info     *debug.BuildInfo
	sections []string // ELF section names
	data     []byte   // the whole file
}

func readBuilt(name string) (*built, error) {
	info, err := buildinfo.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, err := elf.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := &built{info: info}
	for _, s := range f.Sections {
		b.sections = append(b.sections, s.Name)
	}
	if b.data, err = os.ReadFile(name); err != nil {
		return nil, err
	}
	return b, nil
}

// setting returns a build setting, and whether the build recorded it.
func (b *built) setting(key string) (string, bool) {
	for _, s := range b.info.Settings {
		if s.Key == key {
			return s.Value, true
		}
	}
	return "", false
}

// releaseChecks are what tools/build.sh's flags must have done, each named
// for the flag.
var releaseChecks = []struct {
	name  string
	check func(b *built) error
}{
	{"the action's main package", func(b *built) error {
		if b.info.Path != b.info.Main.Path {
			return fmt.Errorf("built %s, not the main package at the root of module %s", b.info.Path, b.info.Main.Path)
		}
		return nil
	}},
	{"CGO_ENABLED=0", func(b *built) error {
		if v, _ := b.setting("CGO_ENABLED"); v != "0" {
			return fmt.Errorf("built with CGO_ENABLED=%q: a cgo binary needs libc, which scratch lacks", v)
		}
		return nil
	}},
	{"-trimpath", func(b *built) error {
		if v, _ := b.setting("-trimpath"); v != "true" {
			return errors.New("built without -trimpath: the binary holds the build machine's paths and is not reproducible")
		}
		return nil
	}},
	{"-ldflags -s", func(b *built) error {
		if slices.Contains(b.sections, ".symtab") {
			return errors.New("the binary has a symbol table (.symtab): linked without -s")
		}
		return nil
	}},
	{"-ldflags -w", func(b *built) error {
		i := slices.IndexFunc(b.sections, func(s string) bool {
			return strings.HasPrefix(s, ".debug_") || strings.HasPrefix(s, ".zdebug_")
		})
		if i >= 0 {
			return fmt.Errorf("the binary has DWARF (%s): linked without -w", b.sections[i])
		}
		return nil
	}},
	{"-ldflags -X stamps VERSION and COMMIT", func(b *built) error {
		// The linker ignores -X for a variable that does not exist, so a
		// value in the file means it was set. That it is the one --version
		// prints is TestImageVersion's (make test-image).
		var missing []string
		for _, v := range []string{releaseVersion, releaseCommit} {
			if !bytes.Contains(b.data, []byte(v)) {
				missing = append(missing, v)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("the binary does not hold %q: does tools/build.sh's -X still name internal/step's version and commit?", missing)
		}
		return nil
	}},
}

// releaseProblems returns the error of each failing check by name.
func releaseProblems(b *built) map[string]error {
	failed := map[string]error{}
	for _, c := range releaseChecks {
		if err := c.check(b); err != nil {
			failed[c.name] = err
		}
	}
	return failed
}

// TestReleaseBuildFlags reads the release binary for the flags
// tools/build.sh must have built it with. The "catches" cases read a
// binary built without them (a plain go build, or its build info edited)
// to prove each check bites.
func TestReleaseBuildFlags(t *testing.T) {
	t.Parallel()
	bin, err := readBuilt(releaseBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	failed := releaseProblems(bin)
	for _, c := range releaseChecks {
		t.Run("as built/"+c.name, func(t *testing.T) {
			if err := failed[c.name]; err != nil {
				t.Error(err)
			}
		})
	}

	// Static and trimmed, as the release is, but neither stripped nor stamped.
	plainPath := filepath.Join(t.TempDir(), "plain")
	cmd := exec.Command("go", "build", "-trimpath", "-o", plainPath, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plain, err := readBuilt(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	setting := func(key, value string) func() *built {
		return func() *built {
			b := *bin
			info := *bin.info
			info.Settings = slices.DeleteFunc(slices.Clone(info.Settings), func(s debug.BuildSetting) bool { return s.Key == key })
			if value != "" {
				info.Settings = append(info.Settings, debug.BuildSetting{Key: key, Value: value})
			}
			b.info = &info
			return &b
		}
	}
	tests := []struct {
		name       string
		binary     func() *built
		wantFailed string // the check that must catch it
	}{
		{"cgo on", setting("CGO_ENABLED", "1"), "CGO_ENABLED=0"},
		{"cgo by default", setting("CGO_ENABLED", ""), "CGO_ENABLED=0"},
		{"no -trimpath", setting("-trimpath", ""), "-trimpath"},
		{"another package", func() *built {
			b := *bin
			info := *bin.info
			info.Path += "/internal/demo"
			b.info = &info
			return &b
		}, "the action's main package"},
		{"go build without -s", func() *built { return plain }, "-ldflags -s"},
		{"go build without -w", func() *built { return plain }, "-ldflags -w"},
		{"go build without -X", func() *built { return plain }, "-ldflags -X stamps VERSION and COMMIT"},
	}
	for _, tt := range tests {
		t.Run("catches/"+tt.name, func(t *testing.T) {
			t.Parallel()
			err := releaseProblems(tt.binary())[tt.wantFailed]
			if err == nil {
				t.Fatalf("check %q passed the broken binary", tt.wantFailed)
			}
			t.Logf("caught: %v", err)
		})
	}
}

// TestBinarySize keeps the shipped files small: users pull them on every
// job that uses the action.
func TestBinarySize(t *testing.T) {
	t.Parallel()
	bin := releaseBinary(t)
	size := func(name string) int64 {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	binSize := size(bin)
	type sized struct {
		name         string
		bytes, limit int64
	}
	tests := []sized{{"release binary", binSize, 8_000_000}}
	if _, err := os.Stat(caBundle); err == nil {
		// The image is these two files (and a link): issue #14's budget,
		// which make bench checks on the built image.
		tests = append(tests, sized{"image (binary and CA bundle)", binSize + size(caBundle), 8_000_000})
	}
	for _, tt := range tests {
		t.Logf("%s: %d bytes (%.2f MB, %.2f MiB), limit %d", tt.name, tt.bytes, float64(tt.bytes)/1e6, float64(tt.bytes)/(1<<20), tt.limit)
		if tt.bytes >= tt.limit {
			t.Errorf("%s is %d bytes; the limit is %d: look for a new dependency or lost -s -w", tt.name, tt.bytes, tt.limit)
		}
	}
}

// staticELF reports why the binary at name would not run on an empty image.
func staticELF(name string) error {
	f, err := elf.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(p.Open())
			return fmt.Errorf("dynamically linked: needs the loader %s", strings.TrimRight(string(interp), "\x00"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("dynamically linked: needs %v", libs)
	}
	return nil
}

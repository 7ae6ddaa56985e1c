package e2e

import (
	"bufio"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The native variant's binaries: tools/release-binaries.sh builds them
// for every target with tools/build.sh and sums them, for the release
// workflow; here, so that make test cross-compiles every target.

// target is one system and processor the native variant runs on.
type target struct{ goos, goarch string }

// nativeTargets are the runners GitHub hosts: Linux, macOS and Windows,
// x64 and ARM64.
var nativeTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// asset is the release asset's name for t.
func (t target) asset() string {
	name := "deploytrack-" + t.goos + "-" + t.goarch
	if t.goos == "windows" {
		name += ".exe"
	}
	return name
}

var dist struct {
	once sync.Once
	dir  string
	err  error
}

// releaseDist runs tools/release-binaries.sh once, stamped as the release
// binary is, and returns its directory.
func releaseDist(t *testing.T) string {
	t.Helper()
	dist.once.Do(func() {
		dist.dir = filepath.Join(filepath.Dir(binary), "dist")
		cmd := exec.Command("tools/release-binaries.sh", dist.dir)
		cmd.Env = append(os.Environ(), "VERSION="+releaseVersion, "COMMIT="+releaseCommit)
		if out, err := cmd.CombinedOutput(); err != nil {
			dist.err = fmt.Errorf("tools/release-binaries.sh: %v\n%s", err, out)
		}
	})
	if dist.err != nil {
		t.Fatal(dist.err)
	}
	return dist.dir
}

// executable reads the system and processor an executable is for from its
// header, in whichever format it is.
func executable(name string) (target, error) {
	if f, err := elf.Open(name); err == nil {
		defer f.Close()
		arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
		return target{"linux", arch}, nil
	}
	if f, err := macho.Open(name); err == nil {
		defer f.Close()
		arch := map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
		return target{"darwin", arch}, nil
	}
	if f, err := pe.Open(name); err == nil {
		defer f.Close()
		arch := map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
		return target{"windows", arch}, nil
	}
	return target{}, fmt.Errorf("%s is neither ELF, Mach-O nor PE", name)
}

// checkAsset reports what is wrong with the file the release would
// attach as t's binary.
func checkAsset(name string, t target) []string {
	var problems []string
	got, err := executable(name)
	if err != nil {
		return []string{err.Error()}
	}
	if got != t {
		problems = append(problems, fmt.Sprintf("%s is a %s/%s executable, not %s/%s", filepath.Base(name), got.goos, got.goarch, t.goos, t.goarch))
	}
	info, err := buildinfo.ReadFile(name)
	if err != nil {
		return append(problems, err.Error())
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": t.goos, "GOARCH": t.goarch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != want {
			problems = append(problems, fmt.Sprintf("%s: built with %s=%q, want %q (tools/build.sh)", filepath.Base(name), key, settings[key], want))
		}
	}
	return problems
}

// readSums reads a SHA256SUMS file: file name to hex sum.
func readSums(name string) (map[string]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, file, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("%s: %q is not a sha256sum line", name, sc.Text())
		}
		sums[file] = sum
	}
	return sums, sc.Err()
}

func fileSHA256(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestReleaseBinariesCrossCompile builds the six release binaries as the
// release does, and reads each for what it is: the right format and
// processor, built by tools/build.sh for its target, and listed in
// SHA256SUMS with its sum. The "catches" cases feed the checks a binary
// under another target's name.
func TestReleaseBinariesCrossCompile(t *testing.T) {
	t.Parallel()
	dir := releaseDist(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files, want []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	for _, tg := range nativeTargets {
		want = append(want, tg.asset())
	}
	want = append(want, "SHA256SUMS")
	slices.Sort(want)
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files tools/release-binaries.sh wrote (-want +got):\n%s", diff)
	}
	sums, err := readSums(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(nativeTargets) {
		t.Errorf("SHA256SUMS lists %d files, want %d", len(sums), len(nativeTargets))
	}
	for _, tg := range nativeTargets {
		t.Run(tg.goos+"/"+tg.goarch, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(dir, tg.asset())
			for _, p := range checkAsset(name, tg) {
				t.Error(p)
			}
			if got := fileSHA256(t, name); sums[tg.asset()] != got {
				t.Errorf("SHA256SUMS says %s has %q; it has %s", tg.asset(), sums[tg.asset()], got)
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), releaseVersion) {
				t.Errorf("%s does not hold the version %s it was stamped with", tg.asset(), releaseVersion)
			}
		})
	}
	for _, tt := range []struct {
		name       string
		file       target // the binary given
		as         target // the name it is given under
		wantCaught string
	}{
		{"linux amd64 as arm64", nativeTargets[0], nativeTargets[1], "is a linux/amd64 executable, not linux/arm64"},
		{"darwin arm64 as linux arm64", nativeTargets[3], nativeTargets[1], "is a darwin/arm64 executable, not linux/arm64"},
		{"windows amd64 as arm64", nativeTargets[4], nativeTargets[5], "GOARCH=\"amd64\", want \"arm64\""},
	} {
		t.Run("catches/"+tt.name, func(t *testing.T) {
			t.Parallel()
			problems := checkAsset(filepath.Join(dir, tt.file.asset()), tt.as)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.wantCaught) }) {
				t.Fatalf("want a problem containing %q, got %q", tt.wantCaught, problems)
			}
		})
	}
}

package main

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine says where and on what the figures were taken.
type machine struct {
	cpus    int
	cpu     string // the model, from /proc/cpuinfo
	goVer   string // the toolchain that built the binary
	date    time.Time
	binary  string
	size    int64
	release []string // the release flags the binary lacks, if any
	took    time.Duration
	load    string // /proc/loadavg's 1-minute figure before and after
}

func newMachine(bin string) (*machine, error) {
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: run `make build` first", err)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	return &machine{
		cpus: runtime.NumCPU(), cpu: cpuModel(), goVer: info.GoVersion, date: time.Now(),
		binary: bin, size: fi.Size(), release: missingReleaseFlags(bin, info),
	}, nil
}

// missingReleaseFlags lists the release flags of `make build` (the
// Dockerfile's) that the binary was built without: the size budget is
// about the binary users pull. -trimpath and CGO_ENABLED are in its build
// information; -s and -w are seen in what they strip (Go does not record
// -ldflags with -trimpath).
func missingReleaseFlags(bin string, info *buildinfo.BuildInfo) []string {
	set := map[string]string{}
	for _, s := range info.Settings {
		set[s.Key] = s.Value
	}
	var missing []string
	if set["-trimpath"] != "true" {
		missing = append(missing, "-trimpath")
	}
	if set["CGO_ENABLED"] != "0" {
		missing = append(missing, "CGO_ENABLED=0")
	}
	f, err := elf.Open(bin)
	if err != nil {
		return append(missing, "-ldflags \"-s -w\" (not an ELF file: "+err.Error()+")")
	}
	defer f.Close()
	var symtab, dwarf bool
	for _, s := range f.Sections {
		symtab = symtab || s.Name == ".symtab"
		dwarf = dwarf || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_")
	}
	if symtab {
		missing = append(missing, "-ldflags -s (it has a symbol table)")
	}
	if dwarf {
		missing = append(missing, "-ldflags -w (it has DWARF)")
	}
	return missing
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

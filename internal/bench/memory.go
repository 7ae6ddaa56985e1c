package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Peak RSS comes from a small program in between, not from the rusage of
// the child this process starts. On Linux a child's ru_maxrss is never
// below the peak RSS of the address space it left at exec, and Go starts
// children with vfork, so that address space is this process's: tens of
// megabytes of fakes and test data that the step never touched. The
// spawner below is the smallest Go program that can do the job (about 2 MB
// resident); it starts the binary, waits for it, and reports the child's
// ru_maxrss and its own peak, at or below which a reading only says "at
// most this much".
const spawnerSource = `package main

import "syscall"

// target is set at build time: -ldflags "-X main.target=PATH".
var target string

// main runs target with this process's environment and standard files,
// then appends "peakrss CHILD OWN" (KiB) to stderr and exits as it did.
// It uses syscall alone, to keep its own peak RSS low.
func main() {
	pid, err := syscall.ForkExec(target, []string{target}, &syscall.ProcAttr{Env: syscall.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		fail(err.Error())
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		if _, err = syscall.Wait4(pid, &ws, 0, &ru); err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		fail(err.Error())
	}
	syscall.Write(2, []byte("\npeakrss "+itoa(ru.Maxrss)+" "+hwm()+"\n"))
	syscall.Exit(ws.ExitStatus())
}

func fail(msg string) {
	syscall.Write(2, []byte("spawner: "+msg+"\n"))
	syscall.Exit(127)
}

// hwm is this process's peak RSS, VmHWM in /proc/self/status.
func hwm() string {
	fd, err := syscall.Open("/proc/self/status", syscall.O_RDONLY, 0)
	if err != nil {
		return "0"
	}
	defer syscall.Close(fd)
	var buf [8192]byte
	n, _ := syscall.Read(fd, buf[:])
	s := string(buf[:n])
	for i := 0; i+6 <= len(s); i++ {
		if s[i:i+6] == "VmHWM:" {
			j := i + 6
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			k := j
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			return s[j:k]
		}
	}
	return "0"
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
`

// goBuild builds the Go source src as a static, stripped binary, with
// the release flags of `make build` and extra -ldflags. It builds from
// the current directory, the module's root, so that the source may import
// the libraries the module requires.
func goBuild(dir, name, src, ldflags string) (string, error) {
	file := filepath.Join(dir, name+".go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", strings.TrimSpace("-s -w "+ldflags), "-o", bin, file)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %v\n%s", name, err, out)
	}
	return bin, nil
}

// spawner builds a spawner for the binary at target.
func spawner(dir, name, target string) (string, error) {
	abs, err := filepath.Abs(target)
	if err != nil {
		return "", err
	}
	return goBuild(dir, name, spawnerSource, "-X main.target="+abs)
}

// peakRSS reads the spawner's last line from a run's stderr: the child's
// peak RSS and the spawner's own, in bytes.
func peakRSS(stderr string) (child, own int64, err error) {
	i := strings.LastIndex(stderr, "\npeakrss ")
	if i < 0 {
		return 0, 0, fmt.Errorf("the spawner reported no peak RSS: %q", stderr)
	}
	f := strings.Fields(stderr[i+len("\npeakrss "):])
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("malformed peak RSS line %q", stderr[i:])
	}
	c, err1 := strconv.ParseInt(f[0], 10, 64)
	o, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("malformed peak RSS line %q", stderr[i:])
	}
	return c << 10, o << 10, nil
}

package step

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time:
// tools/build.sh, the one definition of the release build, stamps them
// with -X (VERSION and COMMIT from its environment).
var (
	version = "dev"
	commit  = ""
)

func versionLine() string {
	c := commit
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("deploytrack %s (commit %s, %s)", version, c, runtime.Version())
}

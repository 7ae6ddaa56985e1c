package step

// The exit codes Run returns; main hands them to os.Exit. The runner marks
// a step failed on any code but ExitOK.
const (
	// ExitOK: every sink recorded the event, or the failure was allowed
	// (fail-on-api-error: false), or there was nothing to do.
	ExitOK = 0
	// ExitFailed: an input was invalid, a preflight rule blocked the
	// deploy, Versioner failed with fail-on-api-error: true, or GitHub
	// failed with fail-on-github-error: true (its default is
	// fail-on-api-error's).
	ExitFailed = 1
	// ExitUsage: the binary was called with arguments it does not take.
	ExitUsage = 2
)

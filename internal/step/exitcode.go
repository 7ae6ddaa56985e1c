package step

// The exit codes Run returns; main hands them to os.Exit. The runner marks
// a step failed on any code but ExitOK.
const (
	// ExitOK: every sink recorded the event, or the failure was allowed
	// (fail-on-api-error: false), or there was nothing to do.
	ExitOK = 0
	// ExitFailed: an input was invalid, a preflight rule blocked the
	// deploy, or a sink failed with fail-on-api-error: true.
	ExitFailed = 1
	// ExitUsage: the binary was called with arguments it does not take.
	ExitUsage = 2
)

package step

import (
	"errors"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// inputErrors prints one error annotation per invalid input.
func inputErrors(a *githubactions.Action, err error) {
	for _, e := range flatten(err) {
		title := "Invalid input"
		var ie *config.InputError
		if errors.As(e, &ie) {
			title += ": " + ie.Input
		}
		a.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", e.Error())
	}
	workflow.Printf(a, "deploytrack: nothing was sent: fix the input(s) above")
}

// flatten lists the errors inside nested errors.Join results.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

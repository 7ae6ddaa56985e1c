package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want *Command // nil: plain text
	}{
		{"::warning::disk 90%25 full%0Aand more", &Command{Name: "warning", Data: "disk 90% full\nand more"}},
		{"::error title=Invalid input%3A status::bad", &Command{Name: "error", Data: "bad"}},
		{"::add-mask::s3cr3t", &Command{Name: "add-mask", Data: "s3cr3t"}},
		{"   \t::debug::indented", &Command{Name: "debug", Data: "indented"}},
		{"\u00a0\u2003::debug::unicode spaces", &Command{Name: "debug", Data: "unicode spaces"}},
		{"::ERROR::any case", &Command{Name: "error", Data: "any case"}},
		{"::stop-commands::tok", &Command{Name: "stop-commands", Data: "tok"}},
		{"::endgroup::", &Command{Name: "endgroup"}},
		{"text ##[error]legacy, mid-line", &Command{Name: "error", Legacy: true, Data: "legacy, mid-line"}},
		{"##[set-output name=x]forged%5D", &Command{Name: "set-output", Legacy: true, Data: "forged]"}},
		{"::warning ##[error]x", &Command{Name: "error", Legacy: true, Data: "x"}},
		{"::unknown::x", nil},
		{"::warning no end", nil},
		{"a ::warning::x", nil},
		{"##[unknown]x", nil},
		{"##[error no bracket", nil},
		{"\\::error::escaped", nil},
		{"\u200b::error::zero-width space is not white space", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.line)
		if ok != (tt.want != nil) {
			t.Errorf("ParseCommand(%q) = %+v, %v; want a command: %v", tt.line, got, ok, tt.want != nil)
			continue
		}
		if tt.want != nil {
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("ParseCommand(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		}
	}
}

func TestCheckLog(t *testing.T) {
	t.Parallel()
	secrets := []string{"sk_s3cr3t", "ghs_%tok", "abc"}
	tests := []struct {
		name   string
		stdout string
		want   int // problems found
	}{
		{name: "issued commands and text", stdout: "::add-mask::sk_s3cr3t\n::add-mask::ghs_%25tok\n::warning::careful\nrecorded event 1\n"},
		{name: "a command not issued", stdout: "::notice::hi\n", want: 1},
		{name: "an issued command, indented", stdout: "  ::warning::x\n", want: 1},
		{name: "a legacy command mid-line", stdout: "recorded ##[warning]x\n", want: 1},
		{name: "a mask of something else", stdout: "::add-mask::public\n", want: 1},
		{name: "a secret in text", stdout: "key sk_s3cr3t\n", want: 1},
		{name: "a secret in a message, escaped", stdout: "::warning::token ghs_%25tok\n", want: 1},
		{name: "a secret under four bytes is the runner's to mask", stdout: "abc\n"},
	}
	for _, tt := range tests {
		if got := CheckLog(tt.stdout, secrets, "add-mask", "warning"); len(got) != tt.want {
			t.Errorf("%s: CheckLog() = %q, want %d problems", tt.name, got, tt.want)
		}
	}
}

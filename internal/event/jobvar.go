package event

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// JobVar names a variable that a step hands to the later steps of its job
// through GITHUB_ENV (which reaches no other job): DEPLOYTRACK_, what it
// holds, and the first 12 hex digits of the SHA-256 of its key, so that a
// step that records another product, environment or commit does not pick
// it up. Upper case, as environment names are on every runner.
func JobVar(what string, key ...string) string {
	h := sha256.Sum256([]byte(strings.Join(key, "\x00")))
	return "DEPLOYTRACK_" + what + "_" + strings.ToUpper(hex.EncodeToString(h[:6]))
}

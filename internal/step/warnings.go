package step

import (
	"fmt"
	"net"
	"strings"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
)

// warnings are the problems worth telling that do not stop the step.
func warnings(cfg *config.Config, src ghcontext.Source) []string {
	var ws []string
	for _, alias := range cfg.Deprecated {
		for _, in := range config.Inputs {
			if in.Alias == alias {
				ws = append(ws, fmt.Sprintf("input %s is deprecated: rename it to %s", alias, in.Name))
			}
		}
	}
	ws = append(ws, src.Warnings...)
	if u := cfg.APIURL; u.Scheme == "http" && !loopback(u.Hostname()) {
		ws = append(ws, fmt.Sprintf("api-url %s is plain http: the api-key crosses the network in clear text; use https", u.Redacted()))
	}
	return ws
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

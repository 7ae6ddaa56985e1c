package versioner_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the data flowing one way (config -> event -> sinks ->
// report): the sink reads the Event alone, so of the project's packages
// it may import only event and the shared HTTP client.
func TestImports(t *testing.T) {
	t.Parallel()
	const internal = "github.com/deploytrack/deploytrack/internal/"
	allowed := []string{internal + "event", internal + "httpx"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/deploytrack/") && !slices.Contains(allowed, p) {
				t.Errorf("%s imports %s; versioner may import only %s", name, p, strings.Join(allowed, " and "))
			}
		}
	}
}

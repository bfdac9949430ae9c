// Command docgen writes the configuration reference page from the flag
// table of internal/config. It runs through `go generate ./internal/config`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/openacm/openacm/internal/config"
)

func main() {
	out := flag.String("out", "", "path of the page to write (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "docgen: -out is required")
		os.Exit(2)
	}
	if err := os.WriteFile(*out, []byte(config.ReferenceMarkdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

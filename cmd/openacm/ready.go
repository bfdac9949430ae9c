package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// readyTimeout bounds one readiness probe.
const readyTimeout = 5 * time.Second

// readyCommand runs `openacm ready`, which exits 0 when GET url returns
// 200. Container health checks use it, because the image has no curl.
func readyCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("openacm ready", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:4566/readyz", "readiness URL of the server to probe (URL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	client := &http.Client{Timeout: readyTimeout}
	response, err := client.Get(*url)
	if err != nil {
		fmt.Fprintln(stderr, "openacm ready:", err)
		return 1
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "openacm ready: %s returned %s\n", *url, response.Status)
		return 1
	}
	fmt.Fprintln(stdout, "ready")
	return 0
}

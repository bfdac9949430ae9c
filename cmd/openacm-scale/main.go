// Command openacm-scale measures OpenACM with one account holding many
// certificates. For each count it writes the certificate records straight
// into a new data dir through the store package, in large transactions,
// starts the built openacm binary on that data dir on a loopback port, and
// measures through aws-sdk-go-v2: ListCertificates page latency,
// SearchCertificates lookups by common name, the server's idle memory and
// the database bytes per certificate. It then writes a Markdown page of
// how each cost grows with the count.
//
// It is run by hand, not in CI: a run of 1,000,000 certificates needs a
// few GB of disk and several minutes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/benchkit"
)

// options are the command-line settings of one run.
type options struct {
	Counts    []int
	WorkDir   string
	Binary    string
	Listen    string
	Samples   int
	BatchSize int
	Output    string
	JSONPath  string
	Keep      bool
	Reuse     bool
	PageFrom  string
}

func main() {
	benchkit.SetLoadToolGC()

	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openacm-scale:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "openacm-scale:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, output io.Writer) (options, error) {
	var opts options
	var counts string
	fs := flag.NewFlagSet("openacm-scale", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&counts, "counts", "10000,100000,1000000", "comma-separated numbers of certificates, one run each")
	fs.StringVar(&opts.WorkDir, "work-dir", "", "folder for one data dir per count (required; each data dir is created fresh)")
	fs.StringVar(&opts.Binary, "binary", "./openacm", "path of the built openacm binary to start")
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:47150", "host:port the server listens on; only loopback addresses are accepted")
	fs.IntVar(&opts.Samples, "samples", 300, "timed calls per measurement")
	fs.IntVar(&opts.BatchSize, "batch", 2000, "certificates written per transaction")
	fs.StringVar(&opts.Output, "output", "docs/scale.md", "Markdown page to write, or \"\" for none")
	fs.StringVar(&opts.JSONPath, "json", "", "file to append one JSON line of results per count to")
	fs.BoolVar(&opts.Keep, "keep", false, "keep each data dir after its run instead of deleting it")
	fs.BoolVar(&opts.Reuse, "reuse", false, "measure a data dir that -keep kept, without loading it again; the load columns then read 0")
	fs.StringVar(&opts.PageFrom, "page-from", "", "write -output from the results in this -json file, one count per line, and measure nothing")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	for _, field := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return opts, fmt.Errorf("invalid -counts entry %q: must be a positive integer", field)
		}
		opts.Counts = append(opts.Counts, n)
	}
	if opts.PageFrom != "" {
		return opts, nil
	}
	if opts.WorkDir == "" {
		return opts, errors.New("missing -work-dir: name a folder for the data dirs")
	}
	if err := checkLoopback(opts.Listen); err != nil {
		return opts, err
	}
	if opts.Samples < 1 {
		return opts, fmt.Errorf("invalid -samples %d: must be at least 1", opts.Samples)
	}
	if opts.BatchSize < 1 {
		return opts, fmt.Errorf("invalid -batch %d: must be at least 1", opts.BatchSize)
	}
	return opts, nil
}

// checkLoopback rejects listen addresses that are not on this machine, so
// the server and the load stay on loopback.
func checkLoopback(listen string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("invalid -listen %q: %w", listen, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid -listen %q: port must be a number from 0 to 65535", listen)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q is not a loopback address: openacm-scale only runs against 127.0.0.0/8, ::1 or localhost", listen)
	}
	return nil
}

// run measures each count in turn and writes the page.
func run(ctx context.Context, opts options) error {
	if opts.PageFrom != "" {
		results, err := readJSON(opts.PageFrom)
		if err != nil {
			return err
		}
		return writePage(opts.Output, results)
	}

	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return fmt.Errorf("create -work-dir: %w", err)
	}

	var results []result
	for _, n := range opts.Counts {
		dataDir := filepath.Join(opts.WorkDir, fmt.Sprintf("scale-%d", n))
		res, err := measureCount(ctx, opts, n, dataDir)
		if err != nil {
			return fmt.Errorf("%d certificates: %w", n, err)
		}
		res.print(os.Stdout)
		if opts.JSONPath != "" {
			if err := appendJSON(opts.JSONPath, res); err != nil {
				return err
			}
		}
		results = append(results, res)
		if !opts.Keep {
			if err := os.RemoveAll(dataDir); err != nil {
				return fmt.Errorf("remove data dir %s: %w", dataDir, err)
			}
		}
	}

	if opts.Output == "" {
		return nil
	}
	return writePage(opts.Output, results)
}

// measureCount loads n certificates into a new data dir and measures the
// server on it.
func measureCount(ctx context.Context, opts options, n int, dataDir string) (result, error) {
	res := result{Certificates: n, Commit: commit(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	loaded := loaded{count: n}
	if !opts.Reuse {
		var err error
		loaded, err = loadFresh(ctx, dataDir, n, opts.BatchSize)
		if err != nil {
			return res, err
		}
		res.LoadSeconds = loaded.duration.Seconds()
		res.LoadPerSecond = float64(n) / loaded.duration.Seconds()
	}

	var err error
	res.BytesAfterLoad, err = databaseBytes(dataDir)
	if err != nil {
		return res, err
	}

	fmt.Println("starting", opts.Binary)
	srv, err := startServer(ctx, opts.Binary, dataDir, opts.Listen)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	res.StartToReadyMillis = float64(srv.startToReady.Microseconds()) / 1000

	// Wait until the work after a start is done, so the memory read and
	// the calls measure an idle server. The first start of a data dir
	// checks every sealed key in the background, and the worker makes its
	// first pass.
	waited, err := srv.waitIdle(ctx, idleWait, maxIdleWait)
	if err != nil {
		return res, err
	}
	res.IdleWaitSeconds = waited.Seconds()
	res.IdleRSSBytes, err = srv.rss()
	if err != nil {
		return res, err
	}

	if err := measureAPI(ctx, srv, loaded, opts.Samples, &res); err != nil {
		return res, err
	}

	if err := sleep(ctx, idleWait); err != nil {
		return res, err
	}
	res.RSSAfterCallsBytes, err = srv.rss()
	if err != nil {
		return res, err
	}
	res.PeakRSSBytes, err = srv.peakRSS()
	if err != nil {
		return res, err
	}

	if err := srv.stop(); err != nil {
		return res, err
	}
	res.BytesAfterServer, err = databaseBytes(dataDir)
	if err != nil {
		return res, err
	}
	return res, nil
}

// loadFresh creates dataDir anew and loads n certificates into it.
func loadFresh(ctx context.Context, dataDir string, n, batchSize int) (loaded, error) {
	if err := os.RemoveAll(dataDir); err != nil {
		return loaded{}, fmt.Errorf("clear data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return loaded{}, fmt.Errorf("create data dir: %w", err)
	}

	fmt.Printf("loading %d certificates into %s\n", n, dataDir)
	return load(ctx, dataDir, n, batchSize)
}

// idleWait is the least time the server is left alone before its memory
// is read. maxIdleWait bounds the wait for it to go idle after start.
const (
	idleWait    = 10 * time.Second
	maxIdleWait = 15 * time.Minute
)

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

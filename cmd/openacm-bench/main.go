// Command openacm-bench drives an ACM endpoint on this machine with a closed
// loop of workers through aws-sdk-go-v2 and reports throughput, latency
// percentiles and errors per operation. It works against OpenACM and against
// other ACM-compatible servers such as moto, and refuses any endpoint that is
// not a loopback address.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/benchkit"
)

// options are the command-line settings of one run.
type options struct {
	Endpoint         string
	Region           string
	PopulationRegion string
	AccessKey        string
	SecretKey        string
	Scenarios        []string
	Workers          int
	Duration         time.Duration
	Count            int
	Certificates     int
	PageSize         int
	KeyAlgorithm     string
	CAKeyAlgorithm   string
	Label            string
	JSONPath         string
	IssueTimeout     time.Duration
	SustainedAfter   int
	Drain            bool
	TraceClose       bool
	CPUProfile       string
}

func main() {
	os.Exit(runMain())
}

// runMain runs the tool and returns its exit status, so deferred steps such
// as writing the CPU profile happen before the process exits.
func runMain() int {
	benchkit.SetLoadToolGC()

	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openacm-bench:", err)
		return 2
	}

	if opts.CPUProfile != "" {
		stopProfile, err := startCPUProfile(opts.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "openacm-bench:", err)
			return 2
		}
		defer stopProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openacm-bench:", err)
		return 1
	}
	return 0
}

// startCPUProfile starts writing the process's CPU profile to path and
// returns the function that finishes it.
func startCPUProfile(path string) (func(), error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create -cpuprofile file: %w", err)
	}
	if err := pprof.StartCPUProfile(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("start the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := file.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "openacm-bench: write -cpuprofile file:", err)
		}
	}, nil
}

func parseFlags(args []string, output io.Writer) (options, error) {
	var opts options
	var scenarios string
	fs := flag.NewFlagSet("openacm-bench", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&opts.Endpoint, "endpoint", "http://127.0.0.1:4566", "endpoint URL; only loopback hosts are accepted")
	fs.StringVar(&opts.Region, "region", "us-east-1", "region of the certificates the request and mixed scenarios create")
	fs.StringVar(&opts.PopulationRegion, "population-region", "eu-west-1", "region of the imported certificates that describe, list and search read, kept apart so other scenarios do not change their number")
	fs.StringVar(&opts.AccessKey, "access-key", "test", "access key ID")
	fs.StringVar(&opts.SecretKey, "secret-key", "test", "secret access key")
	fs.StringVar(&scenarios, "scenario", "all", "comma-separated scenarios: "+strings.Join(scenarioNames(), ", ")+", or all")
	fs.IntVar(&opts.Workers, "workers", 4, "number of concurrent workers, each with one request in flight")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.IntVar(&opts.Count, "count", 0, "maximum iterations per scenario, 0 for no limit")
	fs.IntVar(&opts.Certificates, "certificates", 1000, "certificates the list, search and describe scenarios create first (imported, so none needs issuing)")
	fs.IntVar(&opts.PageSize, "page-size", 1000, "MaxItems of each ListCertificates page in the list scenario")
	fs.StringVar(&opts.KeyAlgorithm, "key-algorithm", "RSA_2048", "KeyAlgorithm of private certificates: RSA_2048, EC_prime256v1, ...")
	fs.StringVar(&opts.CAKeyAlgorithm, "ca-key-algorithm", "", "key algorithm of the private CA the private scenarios create; by default RSA_2048 for RSA certificates and EC_prime256v1 otherwise, since a CA signs only certificates of its own key family")
	fs.StringVar(&opts.Label, "label", "", "name of the target in the report, such as openacm or moto")
	fs.StringVar(&opts.JSONPath, "json", "", "file to append one JSON line of results per scenario to")
	fs.DurationVar(&opts.IssueTimeout, "issue-timeout", 2*time.Minute, "how long request-private waits for its certificates to be issued")
	fs.BoolVar(&opts.Drain, "drain", false, "run no scenario: wait until no certificate of -region is PENDING_VALIDATION, for at most -issue-timeout")
	fs.IntVar(&opts.SustainedAfter, "sustained-after", 0, "request-private also reports the issuance rate after this many certificates are issued, so keys a server kept ready beforehand do not count")
	fs.StringVar(&opts.CPUProfile, "cpuprofile", "", "file to write the load tool's own CPU profile to, to see what the client spends per call")
	fs.BoolVar(&opts.TraceClose, "trace-close", false, "print the stack that closed a connection when a request then fails with \"use of closed network connection\"")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	if err := checkLoopback(opts.Endpoint); err != nil {
		return opts, err
	}
	if opts.Workers < 1 {
		return opts, fmt.Errorf("invalid -workers %d: must be at least 1", opts.Workers)
	}
	if opts.Duration <= 0 && opts.Count <= 0 {
		return opts, errors.New("set -duration or -count to bound the run")
	}
	if opts.PageSize < 1 || opts.PageSize > 1000 {
		return opts, fmt.Errorf("invalid -page-size %d: must be 1 to 1000", opts.PageSize)
	}
	names, err := selectScenarios(scenarios)
	if err != nil {
		return opts, err
	}
	opts.Scenarios = names
	if opts.CAKeyAlgorithm == "" {
		opts.CAKeyAlgorithm = "EC_prime256v1"
		if strings.HasPrefix(opts.KeyAlgorithm, "RSA") {
			opts.CAKeyAlgorithm = "RSA_2048"
		}
	}
	if opts.Label == "" {
		opts.Label = opts.Endpoint
	}
	return opts, nil
}

// checkLoopback rejects endpoints that are not on this machine, so a load
// run can never be aimed at AWS or another host by mistake.
func checkLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("invalid -endpoint %q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("invalid -endpoint %q: scheme must be http or https", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-endpoint %q is not a loopback address: openacm-bench only sends load to 127.0.0.0/8, ::1 or localhost", endpoint)
	}
	return nil
}

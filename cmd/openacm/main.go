// Command openacm runs the OpenACM server, an AWS Certificate Manager
// compatible certificate service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/gctune"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// shutdownTimeout bounds how long a stop waits for requests in flight.
const shutdownTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}

	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "ca":
		return caCommand(args[1:], stdout, stderr)
	case "ready":
		return readyCommand(args[1:], stdout, stderr)
	case "rotate-master-key":
		return rotateMasterKey(args[1:], stdout, stderr)
	case "in-use":
		return inUse(args[1:], stdout, stderr, os.Getenv)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "openacm", version)
		return 0
	case "help", "-h", "--help":
		printHelp(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "openacm: unknown command %q\n\n", args[0])
		printHelp(stderr)
		return 2
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "OpenACM serves the AWS Certificate Manager API and issues real certificates.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	fmt.Fprintln(w, "  serve     run the server (openacm serve -h lists its flags)")
	fmt.Fprintln(w, "  ca        print the issuing CA's root, chain and fingerprints (openacm ca help)")
	fmt.Fprintln(w, "  ready     exit 0 when the server's /readyz answers 200 (--url, default http://127.0.0.1:4566/readyz)")
	fmt.Fprintln(w, "  rotate-master-key")
	fmt.Fprintln(w, "            replace the master key and rewrap every stored private key while servers run;")
	fmt.Fprintln(w, "            takes the flags of serve, of which it uses --data-dir and --master-key-file")
	fmt.Fprintln(w, "  in-use    mark a certificate as used by a resource, or no longer used: in-use add|remove")
	fmt.Fprintln(w, "            --certificate-arn ARN (required)")
	fmt.Fprintln(w, "            --resource-arn ARN (required) of the resource, such as a load balancer")
	fmt.Fprintln(w, "            --endpoint URL, default: $AWS_ENDPOINT_URL, then "+defaultEndpoint)
	fmt.Fprintln(w, "            --region region name, default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1")
	fmt.Fprintln(w, "  version   print the version")
	fmt.Fprintln(w, "  help      print this help")
	fmt.Fprintln(w)
	defaults := config.Default()
	config.PrintUsage(w, defaults.Flags())
}

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, stderr io.Writer) int {
	cfg, err := config.Parse(args, config.GetenvOS, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "openacm serve:", err)
		return 2
	}

	logger := newLogger(cfg.LogFormat, stderr)
	gcTuner := gctune.Start(uint64(cfg.GCHeadroomMiB)<<20, logger)
	defer gcTuner.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// SIGHUP is caught before the server starts, so an early one cannot
	// kill the process.
	hangups := make(chan os.Signal, 1)
	signal.Notify(hangups, syscall.SIGHUP)
	defer signal.Stop(hangups)

	server, err := app.Start(ctx, cfg, logger, app.Options{})
	if err != nil {
		logger.Error("openacm failed to start", "error", err)
		return 1
	}

	for waiting := true; waiting; {
		select {
		case <-hangups:
			logger.Info("SIGHUP received: reloading credentials")
			// ReloadCredentials logs its own failure, and the keys loaded
			// before stay in use.
			_ = server.ReloadCredentials()
		case <-ctx.Done():
			waiting = false
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Close(shutdownCtx); err != nil {
		logger.Error("openacm stopped with an error", "error", err)
		return 1
	}
	return 0
}

// rotateMasterKey runs `openacm rotate-master-key`.
func rotateMasterKey(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args, config.GetenvOS, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "openacm rotate-master-key:", err)
		return 2
	}

	logger := newLogger(cfg.LogFormat, stderr)
	result, err := app.RotateMasterKey(context.Background(), cfg, logger)
	if err != nil {
		logger.Error("master key rotation failed", "error", err)
		return 1
	}
	fmt.Fprintf(stdout, "master key rotated: old key id %s, new key id %s, %d values rewrapped\n",
		result.OldKeyID, result.NewKeyID, result.Rewrapped)
	return 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

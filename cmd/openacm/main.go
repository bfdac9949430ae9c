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
	case "in-use":
		return inUse(args[1:], stdout, stderr, os.Getenv)
	case "version":
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
	fmt.Fprintln(w, "  in-use    mark a certificate as used by a resource: in-use add|remove --certificate-arn ARN --resource-arn ARN")
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	server, err := app.Start(ctx, cfg, logger, app.Options{})
	if err != nil {
		logger.Error("openacm failed to start", "error", err)
		return 1
	}

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Close(shutdownCtx); err != nil {
		logger.Error("openacm stopped with an error", "error", err)
		return 1
	}
	return 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/ownca"
)

// caTimeout bounds opening the store and reading the CA.
const caTimeout = 30 * time.Second

func printCAHelp(w io.Writer) {
	fmt.Fprintln(w, "Usage: openacm ca <command> [--data-dir DIR] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Reads OpenACM's own issuing CA from the data dir of a server that has started once.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	fmt.Fprintln(w, "  root     print the root certificate as PEM, so clients can trust it")
	fmt.Fprintln(w, "           --out FILE writes it to FILE instead; --der writes DER instead of PEM")
	fmt.Fprintln(w, "  chain    print the intermediate and the root as PEM, issuer last")
	fmt.Fprintln(w, "  show     print the subject, issuer, serial, validity and SHA-256 and SHA-1")
	fmt.Fprintln(w, "           fingerprints of both CA certificates")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "--data-dir defaults to $"+config.EnvPrefix+"DATA_DIR, then "+config.Default().DataDir+".")
}

// caCommand runs `openacm ca ...` and returns the exit code.
func caCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printCAHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}

	command := args[0]
	fs := flag.NewFlagSet("openacm ca "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", defaultDataDir(), "data dir of the OpenACM server (path)")
	masterKeyFile := fs.String("master-key-file", os.Getenv(config.EnvPrefix+"MASTER_KEY_FILE"),
		"master key file of the server (path; default: master.key in the data dir)")
	out := fs.String("out", "", "root: file to write instead of standard output (path)")
	der := fs.Bool("der", false, "root: write DER instead of PEM")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openacm ca %s: unexpected argument %q\n", command, fs.Arg(0))
		return 2
	}
	if command != "root" && command != "chain" && command != "show" {
		fmt.Fprintf(stderr, "openacm ca: unknown command %q\n\n", command)
		printCAHelp(stderr)
		return 2
	}

	authority, err := readAuthority(*dataDir, *masterKeyFile)
	if err != nil {
		fmt.Fprintln(stderr, "openacm ca:", err)
		return 1
	}

	switch command {
	case "root":
		err = writeRoot(authority.CA.Root, *out, *der, stdout)
	case "chain":
		err = writeChain([]*x509.Certificate{authority.CA.Intermediate, authority.CA.Root}, stdout)
	case "show":
		showCertificates(stdout, authority.CA.Intermediate, authority.CA.Root)
	}
	if err != nil {
		fmt.Fprintln(stderr, "openacm ca:", err)
		return 1
	}
	return 0
}

func defaultDataDir() string {
	if dir := os.Getenv(config.EnvPrefix + "DATA_DIR"); dir != "" {
		return dir
	}
	return config.Default().DataDir
}

// readAuthority opens the data dir's database and loads the stored CA
// without creating one.
func readAuthority(dataDir, masterKeyFile string) (*ownca.Authority, error) {
	path := filepath.Join(dataDir, app.DatabaseFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no OpenACM database at %s: start openacm serve --data-dir %s once, or pass the right --data-dir", path, dataDir)
	}

	ctx, cancel := context.WithTimeout(context.Background(), caTimeout)
	defer cancel()
	st, err := app.OpenExistingStore(ctx, dataDir, masterKeyFile, os.Getenv(config.MasterKeyEnv))
	if err != nil {
		return nil, err
	}
	defer st.Close()

	authority, err := ownca.LoadExisting(ctx, st, clock.System{})
	if errors.Is(err, ownca.ErrNoCA) {
		return nil, fmt.Errorf("the database at %s has no CA yet: start openacm serve --data-dir %s once", path, dataDir)
	}
	return authority, err
}

func writeRoot(root *x509.Certificate, out string, der bool, stdout io.Writer) error {
	content := root.Raw
	if !der {
		content = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})
	}
	if out == "" {
		_, err := stdout.Write(content)
		return err
	}
	if err := os.WriteFile(out, content, 0o644); err != nil {
		return fmt.Errorf("write root certificate: %w", err)
	}
	return nil
}

func writeChain(chain []*x509.Certificate, w io.Writer) error {
	for _, cert := range chain {
		if err := pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); err != nil {
			return err
		}
	}
	return nil
}

func showCertificates(w io.Writer, certs ...*x509.Certificate) {
	for i, cert := range certs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		role := "intermediate"
		if i == len(certs)-1 {
			role = "root"
		}
		sha256Sum := sha256.Sum256(cert.Raw)
		sha1Sum := sha1.Sum(cert.Raw)
		fmt.Fprintf(w, "%s\n", role)
		fmt.Fprintf(w, "  subject:     %s\n", cert.Subject)
		fmt.Fprintf(w, "  issuer:      %s\n", cert.Issuer)
		fmt.Fprintf(w, "  serial:      %s\n", colonHex(cert.SerialNumber.Bytes()))
		fmt.Fprintf(w, "  not before:  %s\n", cert.NotBefore.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "  not after:   %s\n", cert.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "  SHA-256:     %s\n", colonHex(sha256Sum[:]))
		fmt.Fprintf(w, "  SHA-1:       %s\n", colonHex(sha1Sum[:]))
	}
}

// colonHex formats bytes as upper-case hex pairs joined by colons, as openssl prints fingerprints.
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = fmt.Sprintf("%02X", v)
	}
	return strings.Join(parts, ":")
}

// Package config defines the settings of `openacm serve`: one table of
// flags, each with an environment twin, parsed strictly and validated
// before the server starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/throttle"
)

// Validation modes.
const (
	ValidationAuto = "auto"
	ValidationReal = "real"
)

// Values of --state-controls.
const (
	StateControlsAuto = "auto"
	StateControlsOn   = "on"
	StateControlsOff  = "off"
)

// EnvPrefix starts the environment twin of every flag.
const EnvPrefix = "OPENACM_"

// Config contains every setting of `openacm serve`.
type Config struct {
	Listen                   string
	DataDir                  string
	Validation               string
	AutoValidateDelay        time.Duration
	DNSResolver              string
	DNSRecheckInterval       time.Duration
	InsecureAutoValidation   bool
	MaxDomainsPerCertificate int
	PublicValidity           time.Duration
	ValidationZone           string
	CAOrganization           string
	PublicURL                string
	LogFormat                string
	StateControls            string

	CredentialsFile         string
	InsecureTestCredentials bool
	MasterKeyFile           string
	// MasterKey is the text of MasterKeyEnv: base64 master keys between
	// commas, the primary key first. It has no flag, so keys never appear
	// in a process list.
	MasterKey       string
	TLSCert         string
	TLSKey          string
	TLSSelfIssued   bool
	Throttle        string
	MaxCertificates int

	// Settings of e-mail validation, CAA checks and events; see domaincontrol.go.
	SMTPAddr         string
	SMTPFrom         string
	SMTPStartTLS     bool
	SMTPUsername     string
	SMTPPasswordFile string
	CAAIdentities    string
	EventWebhookURL  string

	// Store is "" for the SQLite file in DataDir, or a PostgreSQL URL
	// (postgres:// or postgresql://) that several nodes may share.
	Store string
	// NodeID names this node in worker leases and logs; "" picks the host
	// name and process id at start.
	NodeID string
	// WorkerInterval is the longest wait between passes of the background
	// worker, which bounds how late a node picks up work another node left.
	WorkerInterval time.Duration
	// WorkerLease is how long a node may work on a pending certificate
	// before another node may take it over.
	WorkerLease time.Duration

	// Settings of the pool of certificate keys; see keypool.go.
	KeyPool               string
	KeyPoolGenerators     int
	KeyPoolBusyGenerators int

	// GCHeadroomMiB keeps the garbage collector's heap goal about this
	// many MiB above the live heap (package gctune). 0 leaves GOGC alone.
	GCHeadroomMiB int
}

// MasterKeyEnv is the environment variable that may hold the master keys
// instead of --master-key-file.
const MasterKeyEnv = EnvPrefix + "MASTER_KEY"

// AWSMaxCertificates is ACM's default quota of certificates per account
// and region, applied by --throttle aws unless --max-certificates is set.
const AWSMaxCertificates = 2500

// DefaultGCHeadroomMiB is the default of --gc-headroom. The server's live
// heap is 2 to 3 MiB, so GOGC=100 alone ran about 45 collections a second
// under DescribeCertificate at 4 workers on 2 cores. 16 MiB cut that to
// about 7, and the p99 latency from 2.05-2.14 ms to 1.74-1.77 ms. The cost
// is memory under load: 60 MB of RSS instead of 46 MB after the describe
// runs of scripts/bench. An idle server allocates little, so its memory
// does not grow.
const DefaultGCHeadroomMiB = 16

// MaxGCHeadroomMiB bounds --gc-headroom at 64 GiB.
const MaxGCHeadroomMiB = 64 << 10

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Listen:                   "127.0.0.1:4566",
		DataDir:                  "./openacm-data",
		Validation:               ValidationAuto,
		AutoValidateDelay:        2 * time.Second,
		DNSRecheckInterval:       10 * time.Second,
		MaxDomainsPerCertificate: 10,
		PublicValidity:           198 * 24 * time.Hour,
		ValidationZone:           "acm-validations.aws.",
		CAOrganization:           "OpenACM",
		LogFormat:                "text",
		StateControls:            StateControlsAuto,
		Throttle:                 "off",
		SMTPFrom:                 "openacm@localhost",
		SMTPStartTLS:             true,
		CAAIdentities:            DefaultCAAIdentities,
		WorkerInterval:           5 * time.Second,
		WorkerLease:              time.Minute,
		KeyPool:                  DefaultKeyPool,
		GCHeadroomMiB:            DefaultGCHeadroomMiB,
	}
}

// Flag describes one setting, for parsing, help text and documentation.
type Flag struct {
	Name    string
	Default string
	Usage   string
	// Unit is the form of the value, such as "duration" or "host:port".
	Unit string
	bind func(fs *flag.FlagSet, name, usage string)
}

// Env returns the flag's environment variable, such as OPENACM_DNS_RESOLVER.
func (f Flag) Env() string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// Flags returns the table of serve flags bound to c's fields, with c's
// current values as defaults.
func (c *Config) Flags() []Flag {
	return []Flag{
		stringFlag(&c.Listen, "listen", "address to listen on, host:port; 4566 is the port AWS emulators use"),
		stringFlag(&c.DataDir, "data-dir", "folder of the SQLite database and other files kept on disk"),
		stringFlag(&c.Validation, "validation", "domain validation mode: auto (approve every name after --auto-validate-delay) or real (check DNS records)"),
		durationFlag(&c.AutoValidateDelay, "auto-validate-delay", "how long auto validation waits before approving a name (Go duration or days, such as 2s or 1d)"),
		stringFlag(&c.DNSResolver, "dns-resolver", "host:port of the DNS resolver for every lookup OpenACM makes (default: first nameserver of /etc/resolv.conf)"),
		durationFlag(&c.DNSRecheckInterval, "dns-recheck-interval", "how long real validation waits before looking up a missing DNS record again"),
		boolFlag(&c.InsecureAutoValidation, "insecure-auto-validation", "allow auto validation on a non-loopback listen address, where anyone who reaches it gets certificates for any name"),
		intFlag(&c.MaxDomainsPerCertificate, "max-domains-per-certificate", "most names allowed on one certificate, ACM's quota (1 to 100)"),
		durationFlag(&c.PublicValidity, "public-validity", "validity of certificates from OpenACM's own CA (such as 198d)"),
		stringFlag(&c.ValidationZone, "validation-zone", "DNS zone of the values of DNS validation records"),
		stringFlag(&c.CAOrganization, "ca-organization", "subject organization of OpenACM's own CA, set when the CA is first created"),
		stringFlag(&c.PublicURL, "public-url", "base URL at which clients reach this server, written into certificates as the CA certificate and CRL location (default: http://<listen>)"),
		stringFlag(&c.LogFormat, "log-format", "log format: text or json"),
		stringFlag(&c.StateControls, "state-controls", "test-environment calls that wipe all state and set a certificate's status: auto (on when --validation is auto), on or off"),
		stringFlag(&c.CredentialsFile, "credentials-file", "JSON file of access keys and their accounts, reread on SIGHUP; when set, the built-in test credential is off"),
		boolFlag(&c.InsecureTestCredentials, "insecure-test-credentials", "allow the built-in test credential (access key test, secret test) on a non-loopback listen address"),
		stringFlag(&c.MasterKeyFile, "master-key-file", "file of the master keys that seal private keys at rest (default: <data-dir>/master.key, created when missing); nodes sharing a database need the same file"),
		stringFlag(&c.TLSCert, "tls-cert", "PEM certificate chain of the listener; with --tls-key, the server speaks HTTPS"),
		stringFlag(&c.TLSKey, "tls-key", "PEM private key of --tls-cert"),
		boolFlag(&c.TLSSelfIssued, "tls-self-issued", "speak HTTPS with a certificate that OpenACM issues to itself from its own CA for the host names of --public-url and --listen, kept in memory and reissued before it expires"),
		stringFlag(&c.Throttle, "throttle", "request rate limits per account and operation: off, aws (ACM's published rates), or Target=rate,...,*=rate in requests per second"),
		intFlag(&c.MaxCertificates, "max-certificates", "quota of certificates per account and region; 0 means none, or 2500 with --throttle aws"),
		stringFlag(&c.SMTPAddr, "smtp-addr", "host:port of the SMTP server that sends approval e-mail for EMAIL validation in real mode (default: none, so EMAIL names stay pending)"),
		stringFlag(&c.SMTPFrom, "smtp-from", "sender address of approval e-mail"),
		boolFlag(&c.SMTPStartTLS, "smtp-starttls", "require STARTTLS before authenticating and sending"),
		stringFlag(&c.SMTPUsername, "smtp-username", "SMTP AUTH PLAIN user name; the password comes from --smtp-password-file or OPENACM_SMTP_PASSWORD"),
		stringFlag(&c.SMTPPasswordFile, "smtp-password-file", "file whose first line is the SMTP password"),
		stringFlag(&c.CAAIdentities, "caa-identities", "comma-separated issuer domain names that CAA records must name for real validation to issue"),
		stringFlag(&c.EventWebhookURL, "event-webhook-url", "http or https URL that receives each certificate event as a JSON POST (default: none, events go only to the log)"),
		stringFlag(&c.Store, "store", "database: empty for the SQLite file in --data-dir, or a PostgreSQL URL such as postgres://openacm@db:5432/openacm?sslmode=verify-full that several nodes share"),
		stringFlag(&c.NodeID, "node-id", "name of this node in worker leases and logs (default: host name and process id)"),
		durationFlag(&c.WorkerInterval, "worker-interval", "longest wait between passes of the background worker, so pending work left by another node is picked up"),
		durationFlag(&c.WorkerLease, "worker-lease", "how long a node may work on a pending certificate before another node may take it over; set it above the longest issuance"),
		stringFlag(&c.KeyPool, "key-pool", "keys of new certificates kept ready per key algorithm, as ALGORITHM=COUNT,... such as RSA_2048=32,EC_prime256v1=0; kept in memory sealed with the master key and generated in the background; empty generates every key at issuance"),
		intFlag(&c.KeyPoolGenerators, "key-pool-generators", "keys of --key-pool generated at once while the server is idle; 0 means one per core"),
		intFlag(&c.KeyPoolBusyGenerators, "key-pool-busy-generators", "fewest keys of --key-pool generated at once while the server is busy (an API request in flight or ended under 100ms ago): generation leaves one core to each request in flight down to this number, and refills only pools under half full or with issuance waiting; 0 means half of --key-pool-generators, at least 1"),
		intFlag(&c.GCHeadroomMiB, "gc-headroom", "memory in MiB that the heap may grow past the live heap before the garbage collector runs, when GOGC alone would allow less; fewer collections under load cost up to this much more memory; 0, GOGC=0 or GOGC=off leaves GOGC alone, and GOMEMLIMIT still bounds the heap"),
	}
}

// Parse reads flags from args and, for flags not given, their environment
// twins through getenv. It returns an error naming the bad flag or variable.
func Parse(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("openacm serve", flag.ContinueOnError)
	fs.SetOutput(output)
	flags := cfg.Flags()
	for _, f := range flags {
		f.bind(fs, f.Name, f.Usage+" [env "+f.Env()+"]")
	}
	fs.Usage = func() { PrintUsage(output, flags) }

	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: serve takes only flags", fs.Arg(0))
	}

	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, f := range flags {
		value := getenv(f.Env())
		if given[f.Name] || value == "" {
			continue
		}
		if err := fs.Set(f.Name, value); err != nil {
			return Config{}, fmt.Errorf("invalid value %q for %s (flag --%s): %w", value, f.Env(), f.Name, err)
		}
	}

	cfg.MasterKey = getenv(MasterKeyEnv)
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// PrintUsage writes the help text of serve.
func PrintUsage(w io.Writer, flags []Flag) {
	fmt.Fprintln(w, "Usage: openacm serve [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every flag can also be set through its environment variable; a flag on the command line wins.")
	fmt.Fprintln(w)
	for _, f := range flags {
		fmt.Fprintf(w, "  --%s\n      %s\n      %s\n", f.Name, f.Usage, usageDetails(f))
	}
}

// usageDetails returns the help line of a flag's value form, default and environment variable.
func usageDetails(f Flag) string {
	return "value: " + f.Unit + "; default: " + displayDefault(f.Default) + "; env: " + f.Env()
}

func displayDefault(value string) string {
	if value == "" {
		return "none"
	}
	return value
}

// Validate checks values that parse but make no sense together.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("invalid --listen %q: want host:port, such as 127.0.0.1:4566", c.Listen)
	}
	if c.Validation != ValidationAuto && c.Validation != ValidationReal {
		return fmt.Errorf("invalid --validation %q: want auto or real", c.Validation)
	}
	if c.Validation == ValidationAuto && !IsLoopback(c.Listen) && !c.InsecureAutoValidation {
		return fmt.Errorf("--validation auto approves every name without checking it, so it is rejected on the non-loopback address %s; listen on 127.0.0.1, use --validation real, or pass --insecure-auto-validation", c.Listen)
	}
	if c.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(c.DNSResolver); err != nil {
			return fmt.Errorf("invalid --dns-resolver %q: want host:port, such as 127.0.0.1:53", c.DNSResolver)
		}
	}
	if c.MaxDomainsPerCertificate < 1 || c.MaxDomainsPerCertificate > 100 {
		return fmt.Errorf("invalid --max-domains-per-certificate %d: want 1 to 100", c.MaxDomainsPerCertificate)
	}
	if c.PublicValidity < 24*time.Hour {
		return fmt.Errorf("invalid --public-validity %s: want at least 1d", c.PublicValidity)
	}
	if c.AutoValidateDelay < 0 {
		return fmt.Errorf("invalid --auto-validate-delay %s: want 0 or more", c.AutoValidateDelay)
	}
	if c.DNSRecheckInterval <= 0 {
		return fmt.Errorf("invalid --dns-recheck-interval %s: want more than 0", c.DNSRecheckInterval)
	}
	if strings.Trim(c.ValidationZone, ".") == "" {
		return errors.New("invalid --validation-zone: want a DNS zone such as acm-validations.aws.")
	}
	if strings.TrimSpace(c.CAOrganization) == "" {
		return errors.New("invalid --ca-organization: want a non-empty organization name")
	}
	if c.StateControls != StateControlsAuto && c.StateControls != StateControlsOn && c.StateControls != StateControlsOff {
		return fmt.Errorf("invalid --state-controls %q: want auto, on or off", c.StateControls)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("invalid --log-format %q: want text or json", c.LogFormat)
	}
	if c.GCHeadroomMiB < 0 || c.GCHeadroomMiB > MaxGCHeadroomMiB {
		return fmt.Errorf("invalid --gc-headroom %d: want 0 (leave GOGC alone) to %d MiB", c.GCHeadroomMiB, MaxGCHeadroomMiB)
	}
	return c.validateSecurity()
}

// validateSecurity checks the settings of credentials, keys, TLS and limits.
func (c *Config) validateSecurity() error {
	if c.CredentialsFile == "" && !IsLoopback(c.Listen) && !c.InsecureTestCredentials {
		return fmt.Errorf("the built-in test credential (access key test, secret test) would let anyone who reaches the non-loopback address %s use the API; give --credentials-file, listen on 127.0.0.1, or pass --insecure-test-credentials", c.Listen)
	}
	if c.MasterKey != "" && c.MasterKeyFile != "" {
		return fmt.Errorf("both %s and --master-key-file are set: give only one", MasterKeyEnv)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if c.TLSSelfIssued && c.TLSCert != "" {
		return errors.New("--tls-self-issued and --tls-cert both set the listener's certificate: give only one")
	}
	if _, err := throttle.Parse(c.Throttle); err != nil {
		return fmt.Errorf("invalid --throttle: %w", err)
	}
	if c.MaxCertificates < 0 {
		return fmt.Errorf("invalid --max-certificates %d: want 0 (no quota) or more", c.MaxCertificates)
	}
	if err := c.validateDomainControl(); err != nil {
		return err
	}
	if err := c.validateKeyPool(); err != nil {
		return err
	}
	return c.validateCluster()
}

// StateControlsEnabled reports whether the test-environment state controls
// are on and, when they are off, why.
func (c *Config) StateControlsEnabled() (bool, string) {
	switch {
	case c.StateControls == StateControlsOn:
		return true, ""
	case c.StateControls == StateControlsOff:
		return false, "the server runs with --state-controls off"
	case c.Validation == ValidationAuto:
		return true, ""
	default:
		return false, "the server runs with --validation " + c.Validation + "; start it with --state-controls on to allow them"
	}
}

// CertificateQuota returns the quota of certificates per account and
// region, or 0 for none.
func (c *Config) CertificateQuota() int {
	if c.MaxCertificates == 0 && c.Throttle == "aws" {
		return AWSMaxCertificates
	}
	return c.MaxCertificates
}

// Scheme returns "https" when the listener speaks TLS, else "http".
func (c *Config) Scheme() string {
	if c.TLSCert != "" || c.TLSSelfIssued {
		return "https"
	}
	return "http"
}

// validateCluster checks the settings of the store and of sharing work
// between nodes.
func (c *Config) validateCluster() error {
	if c.Store != "" && !c.UsesPostgres() {
		return errors.New("invalid --store: want empty for SQLite in --data-dir, or a URL starting with postgres:// or postgresql://")
	}
	if c.WorkerInterval <= 0 {
		return fmt.Errorf("invalid --worker-interval %s: want more than 0", c.WorkerInterval)
	}
	if c.WorkerLease < time.Second {
		return fmt.Errorf("invalid --worker-lease %s: want at least 1s", c.WorkerLease)
	}
	return nil
}

// UsesPostgres reports whether Store names a PostgreSQL database.
func (c *Config) UsesPostgres() bool {
	return strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://")
}

// BaseURL returns the URL at which clients reach the server.
func (c *Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Listen
}

// IsLoopback reports whether a listen address accepts only local connections.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GetenvOS is os.Getenv, the getenv of a real process.
var GetenvOS = os.Getenv

func stringFlag(p *string, name, usage string) Flag {
	return Flag{Name: name, Default: *p, Usage: usage, Unit: unitOf(name, "text"), bind: func(fs *flag.FlagSet, name, usage string) {
		fs.StringVar(p, name, *p, usage)
	}}
}

func boolFlag(p *bool, name, usage string) Flag {
	return Flag{Name: name, Default: strconv.FormatBool(*p), Usage: usage, Unit: unitOf(name, "true or false"), bind: func(fs *flag.FlagSet, name, usage string) {
		fs.BoolVar(p, name, *p, usage)
	}}
}

func intFlag(p *int, name, usage string) Flag {
	return Flag{Name: name, Default: strconv.Itoa(*p), Usage: usage, Unit: unitOf(name, "integer"), bind: func(fs *flag.FlagSet, name, usage string) {
		fs.IntVar(p, name, *p, usage)
	}}
}

func durationFlag(p *time.Duration, name, usage string) Flag {
	return Flag{Name: name, Default: FormatDuration(*p), Usage: usage, Unit: unitOf(name, "duration (such as 2s, 10m or 198d)"), bind: func(fs *flag.FlagSet, name, usage string) {
		fs.Var((*durationValue)(p), name, usage)
	}}
}

// durationValue is a flag.Value for Go durations that also accepts whole
// days with a "d" suffix, since certificate lifetimes are counted in days.
type durationValue time.Duration

func (d *durationValue) String() string { return FormatDuration(time.Duration(*d)) }

func (d *durationValue) Set(s string) error {
	parsed, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(parsed)
	return nil
}

// ParseDuration parses a Go duration ("2s", "1h30m") or a number of days ("198d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: want a whole number of days such as 198d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want such as 2s, 10m or 198d", s)
	}
	return d, nil
}

// FormatDuration prints whole days as "Nd" and other durations as Go does.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

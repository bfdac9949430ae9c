package config

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatalf("Parse(no flags): %v", err)
	}
	want := Default()
	if cfg != want {
		t.Errorf("Parse(no flags) = %+v, want %+v", cfg, want)
	}
	if cfg.PublicValidity != 198*24*time.Hour {
		t.Errorf("default public validity = %s, want 198 days", cfg.PublicValidity)
	}
}

func TestParseFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{
		"OPENACM_DNS_RESOLVER":        "127.0.0.1:5353",
		"OPENACM_PUBLIC_VALIDITY":     "90d",
		"OPENACM_AUTO_VALIDATE_DELAY": "5s",
		"OPENACM_VALIDATION":          "real",
		"OPENACM_GC_HEADROOM":         "0",
	}
	args := []string{"--auto-validate-delay", "1s", "--max-domains-per-certificate=100"}

	cfg, err := Parse(args, mapEnv(env), io.Discard)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.DNSResolver != "127.0.0.1:5353" {
		t.Errorf("DNSResolver = %q, want the environment's 127.0.0.1:5353", cfg.DNSResolver)
	}
	if cfg.PublicValidity != 90*24*time.Hour {
		t.Errorf("PublicValidity = %s, want 90 days", cfg.PublicValidity)
	}
	if cfg.AutoValidateDelay != time.Second {
		t.Errorf("AutoValidateDelay = %s, want the flag's 1s over the environment's 5s", cfg.AutoValidateDelay)
	}
	if cfg.MaxDomainsPerCertificate != 100 {
		t.Errorf("MaxDomainsPerCertificate = %d, want 100", cfg.MaxDomainsPerCertificate)
	}
	if cfg.Validation != ValidationReal {
		t.Errorf("Validation = %q, want real", cfg.Validation)
	}
	if cfg.GCHeadroomMiB != 0 {
		t.Errorf("GCHeadroomMiB = %d, want the environment's 0 over the default %d", cfg.GCHeadroomMiB, DefaultGCHeadroomMiB)
	}
}

func TestParseGCHeadroomBounds(t *testing.T) {
	for _, value := range []string{"0", "65536"} {
		cfg, err := Parse([]string{"--gc-headroom", value}, noEnv, io.Discard)
		if err != nil {
			t.Errorf("Parse(--gc-headroom %s): %v, want it accepted", value, err)
			continue
		}
		if got := strconv.Itoa(cfg.GCHeadroomMiB); got != value {
			t.Errorf("GCHeadroomMiB = %s, want %s", got, value)
		}
	}
}

func TestParseErrorsNameTheFlag(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--no-such-flag"}, nil, "no-such-flag"},
		{"bad validation mode", []string{"--validation", "maybe"}, nil, "--validation"},
		{"bad duration", []string{"--auto-validate-delay", "soon"}, nil, "auto-validate-delay"},
		{"quota above 100", []string{"--max-domains-per-certificate", "101"}, nil, "--max-domains-per-certificate"},
		{"quota zero", []string{"--max-domains-per-certificate", "0"}, nil, "--max-domains-per-certificate"},
		{"bad listen", []string{"--listen", "nowhere"}, nil, "--listen"},
		{"bad resolver", []string{"--dns-resolver", "10.0.0.1"}, nil, "--dns-resolver"},
		{"short validity", []string{"--public-validity", "1h"}, nil, "--public-validity"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad environment value", nil, map[string]string{"OPENACM_PUBLIC_VALIDITY": "forever"}, "OPENACM_PUBLIC_VALIDITY"},
		{"stray argument", []string{"extra"}, nil, "extra"},
		{"auto on a public address", []string{"--listen", "0.0.0.0:4566"}, nil, "--insecure-auto-validation"},
		{"store not postgres", []string{"--store", "mysql://db/x"}, nil, "--store"},
		{"store from environment", nil, map[string]string{"OPENACM_STORE": "/var/lib/openacm.db"}, "--store"},
		{"zero worker interval", []string{"--worker-interval", "0s"}, nil, "--worker-interval"},
		{"short worker lease", []string{"--worker-lease", "500ms"}, nil, "--worker-lease"},
		{"key pool without count", []string{"--key-pool", "RSA_2048"}, nil, "--key-pool"},
		{"key pool unknown algorithm", []string{"--key-pool", "DSA_1024=4"}, nil, "--key-pool"},
		{"key pool negative count", []string{"--key-pool", "RSA_2048=-1"}, nil, "--key-pool"},
		{"key pool listed twice", []string{"--key-pool", "RSA_2048=1,RSA_2048=2"}, nil, "--key-pool"},
		{"negative generators", []string{"--key-pool-generators", "-1"}, nil, "--key-pool-generators"},
		{"negative busy generators", []string{"--key-pool-busy-generators", "-1"}, nil, "--key-pool-busy-generators"},
		{"negative GC headroom", []string{"--gc-headroom", "-1"}, nil, "--gc-headroom"},
		{"GC headroom above 64 GiB", []string{"--gc-headroom", "65537"}, nil, "--gc-headroom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.args, mapEnv(tc.env), io.Discard)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error naming %s", tc.args, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error %q does not name %s", tc.args, err, tc.want)
			}
		})
	}
}

func TestParseInsecureAutoValidation(t *testing.T) {
	args := []string{"--listen", "0.0.0.0:4566", "--insecure-auto-validation", "--insecure-test-credentials"}
	if _, err := Parse(args, noEnv, io.Discard); err != nil {
		t.Errorf("Parse(%q): %v", args, err)
	}
	args = []string{"--listen", "0.0.0.0:4566", "--validation", "real", "--insecure-test-credentials"}
	if _, err := Parse(args, noEnv, io.Discard); err != nil {
		t.Errorf("Parse(%q): %v", args, err)
	}
}

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:4566": true,
		"127.1.2.3:80":   true,
		"[::1]:4566":     true,
		"localhost:4566": true,
		"0.0.0.0:4566":   false,
		":4566":          false,
		"[::]:4566":      false,
		"192.0.2.1:4566": false,
	}
	for listen, want := range cases {
		if got := IsLoopback(listen); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", listen, got, want)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	cases := map[string]time.Duration{
		"198d": 198 * 24 * time.Hour,
		"2s":   2 * time.Second,
		"1h0m": time.Hour,
		"0d":   0,
	}
	for text, want := range cases {
		got, err := ParseDuration(text)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", text, err)
			continue
		}
		if got != want {
			t.Errorf("ParseDuration(%q) = %s, want %s", text, got, want)
		}
	}
	if got := FormatDuration(198 * 24 * time.Hour); got != "198d" {
		t.Errorf("FormatDuration(198 days) = %q, want 198d", got)
	}
	if _, err := ParseDuration("-3d"); err == nil {
		t.Error("ParseDuration(-3d) succeeded, want an error")
	}
}

func TestFlagEnvNames(t *testing.T) {
	cfg := Default()
	for _, f := range cfg.Flags() {
		want := "OPENACM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if f.Env() != want {
			t.Errorf("flag %s: Env() = %s, want %s", f.Name, f.Env(), want)
		}
	}
}

func noEnv(string) string { return "" }

func mapEnv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

func TestParseStoreURL(t *testing.T) {
	for _, store := range []string{"postgres://u@db:5432/x", "postgresql://db/x?sslmode=disable"} {
		cfg, err := Parse(nil, mapEnv(map[string]string{"OPENACM_STORE": store}), io.Discard)
		if err != nil {
			t.Fatalf("Parse(OPENACM_STORE=%s): %v", store, err)
		}
		if cfg.Store != store || !cfg.UsesPostgres() {
			t.Errorf("Parse(OPENACM_STORE=%s): Store %q, UsesPostgres %v; want the URL and true", store, cfg.Store, cfg.UsesPostgres())
		}
	}
}

func TestKeyPoolSizes(t *testing.T) {
	cfg := Default()
	cfg.KeyPool = " RSA_2048=16, EC_prime256v1=0,RSA_4096=2 "
	sizes, err := cfg.KeyPoolSizes()
	if err != nil {
		t.Fatalf("KeyPoolSizes: %v", err)
	}
	want := map[string]int{"RSA_2048": 16, "EC_prime256v1": 0, "RSA_4096": 2}
	if len(sizes) != len(want) {
		t.Fatalf("KeyPoolSizes = %v, want %v", sizes, want)
	}
	for algorithm, n := range want {
		if sizes[algorithm] != n {
			t.Errorf("size of %s = %d, want %d", algorithm, sizes[algorithm], n)
		}
	}

	cfg.KeyPool = ""
	if sizes, err := cfg.KeyPoolSizes(); err != nil || len(sizes) != 0 {
		t.Errorf("empty --key-pool = %v, %v; want no sizes", sizes, err)
	}
}

func TestKeyPoolGeneratorCounts(t *testing.T) {
	cases := []struct {
		name               string
		generators, busy   int
		wantIdle, wantBusy int
	}{
		{"explicit", 4, 2, 4, 2},
		{"busy defaults to half", 4, 0, 4, 2},
		{"busy at least one", 1, 0, 1, 1},
		{"busy at most idle", 2, 8, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			cfg.KeyPoolGenerators, cfg.KeyPoolBusyGenerators = tc.generators, tc.busy
			idle, busy := cfg.KeyPoolGeneratorCounts()
			if idle != tc.wantIdle {
				t.Errorf("idle generators = %d, want %d", idle, tc.wantIdle)
			}
			if busy != tc.wantBusy {
				t.Errorf("busy generators = %d, want %d", busy, tc.wantBusy)
			}
		})
	}
}

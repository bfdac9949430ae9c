package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("openacm version exited %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "openacm ") {
		t.Errorf("openacm version printed %q, want it to start with \"openacm \"", stdout.String())
	}
}

func TestRunHelpListsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("openacm help exited %d", code)
	}
	for _, flag := range []string{"--listen", "--data-dir", "--validation", "--auto-validate-delay", "--dns-resolver",
		"--insecure-auto-validation", "--max-domains-per-certificate", "--public-validity", "--validation-zone", "--ca-organization"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("openacm help does not list %s", flag)
		}
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"launch"}, `unknown command "launch"`},
		{"unknown flag", []string{"serve", "--colour"}, "colour"},
		{"bad value", []string{"serve", "--validation", "sometimes"}, "--validation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("openacm %q exited %d, want 2", tc.args, code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("openacm %q printed %q, want it to name %s", tc.args, stderr.String(), tc.want)
			}
		})
	}
}

package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// modelPatterns returns every pattern of an embedded model.
func modelPatterns(t *testing.T, data []byte) []string {
	t.Helper()
	var file modelFile
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("decode model: %v", err)
	}

	var patterns []string
	for _, entry := range file.Shapes {
		if entry.Pattern != "" {
			patterns = append(patterns, entry.Pattern)
		}
	}
	return patterns
}

// TestEveryModelPatternCompiles fails when a botocore update brings a pattern
// that neither translates to RE2 nor has a hand-written equivalent.
func TestEveryModelPatternCompiles(t *testing.T) {
	used := map[string]bool{}
	for name, data := range map[string][]byte{"acm.json": acmModel, "acmpca.json": acmPCAModel} {
		patterns := modelPatterns(t, data)
		if len(patterns) == 0 {
			t.Fatalf("%s has no patterns", name)
		}

		for _, pattern := range patterns {
			if _, ok := handWrittenPatterns[pattern]; ok {
				used[pattern] = true
				continue
			}
			if _, err := compilePattern(pattern); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}

	for pattern := range handWrittenPatterns {
		if !used[pattern] {
			t.Errorf("hand-written pattern %q is in no model", pattern)
		}
	}
}

func TestModelsLoad(t *testing.T) {
	for name, data := range map[string][]byte{"acm.json": acmModel, "acmpca.json": acmPCAModel} {
		if _, err := load(data, nil); err != nil {
			t.Errorf("load %s: %v", name, err)
		}
	}
}

func TestHandWrittenPatterns(t *testing.T) {
	re, err := compilePattern(domainPattern)
	if err != nil {
		t.Fatalf("compile domain pattern: %v", err)
	}

	label63 := strings.Repeat("a", 63)
	label64 := strings.Repeat("a", 64)
	cases := []struct {
		value string
		want  bool
	}{
		{"example.com", true},
		{"*.example.com", true},
		{"xn--bcher-kva.example", true},
		{"a.co", true},
		{"1.2.3.com", true},
		{"a-b.c-d.com", true},
		{label63 + ".com", true},
		{"www." + label63, true},
		{label64 + ".com", false},
		{"www." + label64, false},
		{"-a.com", false},
		{"a-.com", false},
		{"a.-com", false},
		{"a.com-", false},
		{"a.b", false},
		{"example", false},
		{"", false},
		{".com", false},
		{"a..com", false},
		{"example.com.", false},
		{"*example.com", false},
		{"*.*.example.com", false},
		{"a.*.com", false},
		{"exa_mple.com", false},
		{"example.com\n", false},
		{"ex ample.com", false},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			if got := re.MatchString(tc.value); got != tc.want {
				t.Errorf("match %q = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestTranslatePattern(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		want    string
		wantErr bool
	}{
		{name: "unicode escapes", pattern: `[\u0009\u000A\u000D\u0020-\u00FF]*`, want: `[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]*`},
		{name: "escaped backslash before u", pattern: `\\u0041`, want: `\\u0041`},
		{name: "dot outside class", pattern: `a.b`, want: `a[^\n\r\x{85}\x{2028}\x{2029}]b`},
		{name: "dot inside class", pattern: `[.]`, want: `[.]`},
		{name: "escaped dot", pattern: `\.`, want: `\.`},
		{name: "space class", pattern: `\s[\s]`, want: `[\t\n\x0B\f\r ][\t\n\x0B\f\r ]`},
		{name: "leading bracket in class", pattern: `[]a]`, want: `[]a]`},
		{name: "escaped bracket in class", pattern: `[\[a]`, want: `[\[a]`},
		{name: "intersection", pattern: `[a-z&&[^b]]`, wantErr: true},
		{name: "nested class", pattern: `[[a-z]]`, wantErr: true},
		{name: "short unicode escape", pattern: `\u00`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := translatePattern(tc.pattern)
			if tc.wantErr {
				if err == nil {
					t.Errorf("translatePattern(%q) = %q, want an error", tc.pattern, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("translatePattern(%q): %v", tc.pattern, err)
			}
			if got != tc.want {
				t.Errorf("translatePattern(%q) = %q, want %q", tc.pattern, got, tc.want)
			}
		})
	}
}

// TestTranslatedPatterns checks translated model patterns on values where
// Java and a naive RE2 reading could disagree.
func TestTranslatedPatterns(t *testing.T) {
	const pem = "-----BEGIN CERTIFICATE-----\n" +
		"MIIBszCCAVmgAwIBAgIUBqLTvNdK3QqZ5Dq8pGz7+0rZ1ZEwCgYIKoZIzj0EAwIw\r\n" +
		"EjEQMA4GA1UEAwwHdGVzdCBjYQ==\n" +
		"-----END CERTIFICATE-----\n"

	cases := []struct {
		name    string
		pattern string
		value   string
		want    bool
	}{
		{"latin-1 tab", `[\u0009\u000A\u000D\u0020-\u00FF]*`, "a\tb", true},
		{"latin-1 euro", `[\u0009\u000A\u000D\u0020-\u00FF]*`, "€", false},
		{"latin-1 bell", `[\u0009\u000A\u000D\u0020-\u00FF]*`, "\a", false},
		{"word token", `\w+`, "abc_123", true},
		{"word token unicode", `\w+`, "é", false},
		{"word token is whole match", `\w+`, "abc-", false},
		{"tag unicode letters", `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`, "Ünï cödé 9/=+-@", true},
		{"tag star", `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`, "*", false},
		{"acm arn", acmArnPattern, certificateArn, true},
		{"acm arn without account", acmArnPattern, "arn:aws:acm:us-east-1::certificate/x", false},
		{"pca arn without account", pcaArnPattern, "arn:aws:acm-pca:us-east-1::template/x", true},
		{"printable range includes comma", `[a-zA-Z0-9'()+-.?:/= ]*`, "a,b", true},
		{"printable excludes star", `[a-zA-Z0-9'()+-.?:/= ]*`, "a*b", false},
		{"certificate PEM", `-{5}BEGIN CERTIFICATE-{5}\u000D?\u000A([A-Za-z0-9/+]{64}\u000D?\u000A)*[A-Za-z0-9/+]{1,64}={0,2}\u000D?\u000A-{5}END CERTIFICATE-{5}(\u000D?\u000A)?`, pem, true},
		{"certificate PEM trailing text", `-{5}BEGIN CERTIFICATE-{5}\u000D?\u000A([A-Za-z0-9/+]{64}\u000D?\u000A)*[A-Za-z0-9/+]{1,64}={0,2}\u000D?\u000A-{5}END CERTIFICATE-{5}(\u000D?\u000A)?`, pem + "x", false},
		{"OID", `([0-2])\.([0-9]|([0-3][0-9]))((\.([0-9]+)){0,126})`, "1.3.6.1.4.1", true},
		{"OID bad arc", `([0-2])\.([0-9]|([0-3][0-9]))((\.([0-9]+)){0,126})`, "3.1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			re, err := compilePattern(tc.pattern)
			if err != nil {
				t.Fatalf("compile %q: %v", tc.pattern, err)
			}
			if got := re.MatchString(tc.value); got != tc.want {
				t.Errorf("match %q = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

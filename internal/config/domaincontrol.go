package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// DefaultCAAIdentities are the issuer domain names ACM accepts in CAA
// records, so zones already set up for ACM allow OpenACM too. Operators
// who publish CAA records for OpenACM itself set their own.
const DefaultCAAIdentities = "amazon.com,amazontrust.com,awstrust.com,amazonaws.com"

// SMTPPasswordEnv is the environment variable that carries the SMTP
// password when no --smtp-password-file is given. It has no flag, so the
// password never appears in a process list.
const SMTPPasswordEnv = EnvPrefix + "SMTP_PASSWORD"

// validateDomainControl checks the e-mail, CAA and event settings.
func (c *Config) validateDomainControl() error {
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return fmt.Errorf("invalid --smtp-addr %q: want host:port, such as 127.0.0.1:25", c.SMTPAddr)
		}
		if !strings.Contains(c.SMTPFrom, "@") || strings.ContainsAny(c.SMTPFrom, "\r\n<> ") {
			return fmt.Errorf("invalid --smtp-from %q: want an address such as openacm@example.com", c.SMTPFrom)
		}
	}
	if len(c.CAAIdentityList()) == 0 {
		return errors.New("invalid --caa-identities: want at least one issuer domain name, such as amazon.com")
	}
	if c.EventWebhookURL != "" {
		parsed, err := url.Parse(c.EventWebhookURL)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			return errors.New("invalid --event-webhook-url: want an http or https URL")
		}
	}
	return nil
}

// CAAIdentityList returns the entries of --caa-identities, trimmed and lower case.
func (c *Config) CAAIdentityList() []string {
	var identities []string
	for _, identity := range strings.Split(c.CAAIdentities, ",") {
		identity = strings.ToLower(strings.TrimSpace(identity))
		if identity != "" {
			identities = append(identities, identity)
		}
	}
	return identities
}

// SMTPPassword returns the SMTP password from --smtp-password-file, or
// from OPENACM_SMTP_PASSWORD through getenv when no file is given.
func (c *Config) SMTPPassword(getenv func(string) string) (string, error) {
	if c.SMTPPasswordFile == "" {
		return getenv(SMTPPasswordEnv), nil
	}
	content, err := os.ReadFile(c.SMTPPasswordFile)
	if err != nil {
		return "", fmt.Errorf("read --smtp-password-file: %w", err)
	}
	password, _, _ := strings.Cut(string(content), "\n")
	return strings.TrimSuffix(password, "\r"), nil
}

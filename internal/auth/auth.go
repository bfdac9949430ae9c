// Package auth maps access key ids to the credentials and accounts that
// own them.
package auth

import "github.com/openacm/openacm/internal/sigv4"

// Built-in test credential, the one AWS emulators accept by convention.
const (
	TestAccessKeyID     = "test"
	TestSecretAccessKey = "test"
	TestAccount         = "000000000000"
)

// Static is a fixed set of credentials keyed by access key id.
type Static map[string]sigv4.Credential

// Lookup returns the credential of an access key id.
func (s Static) Lookup(accessKeyID string) (sigv4.Credential, bool) {
	credential, ok := s[accessKeyID]
	return credential, ok
}

// TestCredentials returns the built-in test credential alone.
func TestCredentials() Static {
	return Static{TestAccessKeyID: {
		AccessKeyID:     TestAccessKeyID,
		SecretAccessKey: TestSecretAccessKey,
		Account:         TestAccount,
	}}
}

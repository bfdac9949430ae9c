package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/openacm/openacm/internal/sigv4"
)

// accountPattern is the form of an AWS account id.
var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// accessKeyPattern is the form AWS gives access key ids: 16 to 128 word
// characters. A "/" would break the credential scope it is sent in.
var accessKeyPattern = regexp.MustCompile(`^\w{16,128}$`)

// fileFormat is the JSON document of a credentials file.
type fileFormat struct {
	Credentials []fileCredential `json:"credentials"`
}

// fileCredential is one access key in a credentials file.
type fileCredential struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	AccountID       string `json:"account_id"`
	DisplayName     string `json:"display_name,omitempty"`
	// SessionToken makes the key temporary: requests must carry the token
	// in X-Amz-Security-Token.
	SessionToken string `json:"session_token,omitempty"`
	// Expiration (RFC 3339) ends a temporary key.
	Expiration *time.Time `json:"expiration,omitempty"`
}

// File is the set of credentials read from a credentials file. Reload
// rereads the file and swaps the set at once, so a request sees either the
// old set or the new one. It is safe for concurrent use.
type File struct {
	path    string
	current atomic.Pointer[Static]
}

// LoadFile reads the credentials file at path.
func LoadFile(path string) (*File, error) {
	f := &File{path: path}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the file the credentials come from.
func (f *File) Path() string { return f.path }

// Lookup returns the credential of an access key id.
func (f *File) Lookup(accessKeyID string) (sigv4.Credential, bool) {
	return f.current.Load().Lookup(accessKeyID)
}

// Len returns how many access keys are loaded.
func (f *File) Len() int { return len(*f.current.Load()) }

// Reload rereads the file. When the file cannot be read or is invalid it
// keeps the credentials loaded before and returns the error.
func (f *File) Reload() error {
	text, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("read credentials file: %w", err)
	}
	loaded, err := ParseFile(text)
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	f.current.Store(&loaded)
	return nil
}

// ParseFile decodes a credentials file strictly: unknown fields, a
// duplicate access key id, a malformed account id or a missing secret are
// errors naming the entry. Error messages never contain a secret.
func ParseFile(text []byte) (Static, error) {
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.DisallowUnknownFields()
	var doc fileFormat
	if err := decoder.Decode(&doc); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if decoder.More() {
		return nil, errors.New("invalid JSON: data after the top-level object")
	}
	if len(doc.Credentials) == 0 {
		return nil, errors.New(`no credentials: want {"credentials": [{"access_key_id": ..., "secret_access_key": ..., "account_id": ...}]}`)
	}

	loaded := make(Static, len(doc.Credentials))
	for i, entry := range doc.Credentials {
		credential, err := entry.credential()
		if err != nil {
			return nil, fmt.Errorf("credentials[%d]: %w", i, err)
		}
		if _, ok := loaded[credential.AccessKeyID]; ok {
			return nil, fmt.Errorf("credentials[%d]: access key id %s appears twice", i, credential.AccessKeyID)
		}
		loaded[credential.AccessKeyID] = credential
	}
	return loaded, nil
}

func (e fileCredential) credential() (sigv4.Credential, error) {
	if !accessKeyPattern.MatchString(e.AccessKeyID) {
		return sigv4.Credential{}, fmt.Errorf("invalid access_key_id %q: want 16 to 128 letters, digits or underscores", e.AccessKeyID)
	}
	if strings.TrimSpace(e.SecretAccessKey) == "" {
		return sigv4.Credential{}, fmt.Errorf("access key %s: secret_access_key is missing", e.AccessKeyID)
	}
	if !accountPattern.MatchString(e.AccountID) {
		return sigv4.Credential{}, fmt.Errorf("access key %s: invalid account_id %q: want 12 digits", e.AccessKeyID, e.AccountID)
	}
	if e.Expiration != nil && e.SessionToken == "" {
		return sigv4.Credential{}, fmt.Errorf("access key %s: expiration is set without session_token", e.AccessKeyID)
	}

	credential := sigv4.Credential{
		AccessKeyID:     e.AccessKeyID,
		SecretAccessKey: e.SecretAccessKey,
		Account:         e.AccountID,
		DisplayName:     e.DisplayName,
		SessionToken:    e.SessionToken,
	}
	if e.Expiration != nil {
		credential.Expiration = *e.Expiration
	}
	return credential, nil
}

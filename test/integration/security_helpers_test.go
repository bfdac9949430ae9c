package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/openacm/openacm/internal/app"

	// The "sqlite" driver, to read the server's database as an outsider.
	_ "modernc.org/sqlite"
)

// Access keys of the credentials files the security tests write.
const (
	ownerKey      = "AKIAOPENACMOWNER0001"
	ownerSecret   = "owner-secret-0001"
	ownerAccount  = "111122223333"
	otherKey      = "AKIAOPENACMOTHER0002"
	otherSecret   = "other-secret-0002"
	otherAccount  = "444455556666"
	tempKey       = "ASIAOPENACMTEMP00003"
	tempSecret    = "temp-secret-0003"
	tempToken     = "temp-session-token-0003"
	expiredKey    = "ASIAOPENACMEXPIRED04"
	expiredSecret = "expired-secret-0004"
	expiredToken  = "expired-session-token-0004"
	testRegion    = "us-east-1"
)

// credentialEntry is one entry of a credentials file.
type credentialEntry struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	AccountID       string `json:"account_id"`
	SessionToken    string `json:"session_token,omitempty"`
	Expiration      string `json:"expiration,omitempty"`
}

// standardCredentials are the owner, the other account, a temporary key
// and an expired temporary key.
func standardCredentials() []credentialEntry {
	return []credentialEntry{
		{AccessKeyID: ownerKey, SecretAccessKey: ownerSecret, AccountID: ownerAccount},
		{AccessKeyID: otherKey, SecretAccessKey: otherSecret, AccountID: otherAccount},
		{AccessKeyID: tempKey, SecretAccessKey: tempSecret, AccountID: ownerAccount, SessionToken: tempToken},
		{AccessKeyID: expiredKey, SecretAccessKey: expiredSecret, AccountID: ownerAccount, SessionToken: expiredToken,
			Expiration: "2001-01-01T00:00:00Z"},
	}
}

// writeCredentials writes a credentials file at path.
func writeCredentials(t *testing.T, path string, entries []credentialEntry) {
	t.Helper()
	text, err := json.Marshal(map[string]any{"credentials": entries})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
}

// clientFor returns an ACM client signing with the given key.
func (s *server) clientFor(accessKey, secret, token string) *acm.Client {
	return acm.New(acm.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, token),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// rawRequest is one hand-built ACM call, signed by aws-sdk-go-v2's SigV4
// signer and then, for attacks, changed.
type rawRequest struct {
	target    string
	body      []byte
	accessKey string
	secret    string
	token     string
	service   string
	signedAt  time.Time
	// tamper changes the request after it was signed.
	tamper func(r *http.Request)
	// unsigned sends the request with no signature at all.
	unsigned bool
}

// send signs and sends r to the server and returns the status and the
// decoded error body.
func (s *server) send(t *testing.T, r rawRequest) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url()+"/", bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", r.target)

	if !r.unsigned {
		service := r.service
		if service == "" {
			service = "acm"
		}
		signedAt := r.signedAt
		if signedAt.IsZero() {
			signedAt = time.Now()
		}
		hash := sha256.Sum256(r.body)
		creds := aws.Credentials{AccessKeyID: r.accessKey, SecretAccessKey: r.secret, SessionToken: r.token}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(hash[:]), service, testRegion, signedAt); err != nil {
			t.Fatalf("sign request: %v", err)
		}
	}
	if r.tamper != nil {
		r.tamper(req)
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send request: %v", err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	var decoded struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	_ = json.Unmarshal(text, &decoded)
	if decoded.Message == "" {
		decoded.Message = decoded.Upper
	}
	return resp.StatusCode, decoded.Type, decoded.Message
}

// storeFingerprint returns a digest of every row the server keeps, read
// straight from the database file, so a test can prove that nothing changed.
func storeFingerprint(t *testing.T, dataDir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, app.DatabaseFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	digest := sha256.New()
	for _, query := range []string{
		`SELECT arn, account, status, version, updated_at, hex(private_key) FROM certificates ORDER BY arn`,
		`SELECT arn, tag_key, coalesce(tag_value, '<nil>') FROM certificate_tags ORDER BY arn, tag_key`,
		`SELECT account, region, token, arn FROM idempotency_tokens ORDER BY account, region, token`,
		`SELECT name, hex(value) FROM settings ORDER BY name`,
		`SELECT name, hex(value) FROM secrets ORDER BY name`,
	} {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		columns, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(columns))
			pointers := make([]any, len(columns))
			for i := range values {
				pointers[i] = &values[i]
			}
			if err := rows.Scan(pointers...); err != nil {
				t.Fatal(err)
			}
			line, _ := json.Marshal(values)
			digest.Write(line)
		}
		rows.Close()
	}
	return hex.EncodeToString(digest.Sum(nil))
}

// readCloser returns a request body of text.
func readCloser(text string) io.ReadCloser {
	return io.NopCloser(strings.NewReader(text))
}

package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openacm/openacm/internal/apierr"
)

const (
	testAccessKeyID = "AKIDEXAMPLE"
	testSecret      = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testAccount     = "123456789012"
	testRegion      = "us-east-1"
	testService     = "acm"
)

// testSigningTime is the clock of every signed request in these tests.
var testSigningTime = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// mapSource is a CredentialSource backed by a map of access key id to credential.
type mapSource map[string]Credential

func (m mapSource) Lookup(accessKeyID string) (Credential, bool) {
	credential, ok := m[accessKeyID]
	return credential, ok
}

func testCredentials() mapSource {
	return mapSource{
		testAccessKeyID: {AccessKeyID: testAccessKeyID, SecretAccessKey: testSecret, Account: testAccount},
		"test":          {AccessKeyID: "test", SecretAccessKey: "test", Account: "000000000000"},
	}
}

// verifyReply is what the test server sends back: the identity on success,
// or the code, message and status of the *apierr.Error.
type verifyReply struct {
	Account string
	Region  string
	Service string
	Code    string
	Message string
	Status  int
}

// newVerifyServer starts a server whose handler reads the body and calls
// Verify with the expected signing name "acm". clock is read on each request.
func newVerifyServer(t *testing.T, clock *time.Time) *httptest.Server {
	t.Helper()
	verifier := &Verifier{Credentials: testCredentials(), Now: func() time.Time { return *clock }}

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}

		var reply verifyReply
		identity, err := verifier.Verify(r, body, testService)
		if err != nil {
			apiErr, ok := apierr.As(err)
			if !ok {
				http.Error(w, "Verify returned a non-API error: "+err.Error(), http.StatusInternalServerError)
				return
			}
			reply = verifyReply{Code: apiErr.Code, Message: apiErr.Message, Status: apiErr.Status}
		} else {
			reply = verifyReply{Account: identity.Credential.Account, Region: identity.Region, Service: identity.Service, Status: http.StatusOK}
		}

		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	}))
	t.Cleanup(server.Close)
	return server
}

func send(t *testing.T, req *http.Request) verifyReply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send request: %v", err)
	}
	defer resp.Body.Close()

	var reply verifyReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("decode reply (HTTP %d): %v", resp.StatusCode, err)
	}
	return reply
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signedRequestOptions describe one request signed with the SDK signer.
type signedRequestOptions struct {
	path        string
	secret      string
	accessKeyID string
	service     string
	region      string
	signingTime time.Time
	body        []byte
	beforeSign  func(*http.Request)
}

// newSignedRequest builds an ACM-style JSON 1.1 POST and signs it with
// aws-sdk-go-v2's SigV4 signer, the same code real clients run.
func newSignedRequest(t *testing.T, baseURL string, opts signedRequestOptions) *http.Request {
	t.Helper()
	if opts.path == "" {
		opts.path = "/"
	}
	if opts.secret == "" {
		opts.secret = testSecret
	}
	if opts.accessKeyID == "" {
		opts.accessKeyID = testAccessKeyID
	}
	if opts.service == "" {
		opts.service = testService
	}
	if opts.region == "" {
		opts.region = testRegion
	}
	if opts.signingTime.IsZero() {
		opts.signingTime = testSigningTime
	}
	if opts.body == nil {
		opts.body = []byte(`{"DomainName":"example.com","ValidationMethod":"DNS"}`)
	}

	req, err := http.NewRequest(http.MethodPost, baseURL+opts.path, bytes.NewReader(opts.body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CertificateManager.RequestCertificate")
	if opts.beforeSign != nil {
		opts.beforeSign(req)
	}

	credentials := aws.Credentials{AccessKeyID: opts.accessKeyID, SecretAccessKey: opts.secret}
	err = v4.NewSigner().SignHTTP(context.Background(), credentials, req, sha256Hex(opts.body), opts.service, opts.region, opts.signingTime)
	if err != nil {
		t.Fatalf("sign request: %v", err)
	}
	return req
}

// replaceBody swaps the body for one of the same length, so that the
// Content-Length header still matches and only the signature can catch it.
func replaceBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
}

const mismatchMessage = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func TestVerifySignedRequests(t *testing.T) {
	clock := testSigningTime
	server := newVerifyServer(t, &clock)

	tests := []struct {
		name        string
		opts        signedRequestOptions
		afterSign   func(*http.Request)
		now         time.Time
		wantCode    string
		wantMessage string
	}{
		{
			name: "valid",
		},
		{
			name: "valid with content hash header",
			opts: signedRequestOptions{beforeSign: func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte(`{"DomainName":"example.com","ValidationMethod":"DNS"}`)))
			}},
		},
		{
			name: "valid with path and query",
			opts: signedRequestOptions{path: "/a%20b/c~d/?b=2&a=1&a=0&sp=x%20y&plus=1%2B1&empty="},
		},
		{
			name: "valid with repeated and spaced header",
			opts: signedRequestOptions{beforeSign: func(r *http.Request) {
				r.Header.Add("X-Amz-Meta-Note", "  first   value ")
				r.Header.Add("X-Amz-Meta-Note", "second")
			}},
		},
		{
			name: "valid at skew limit",
			now:  testSigningTime.Add(5 * time.Minute),
		},
		{
			name: "body byte changed",
			afterSign: func(r *http.Request) {
				replaceBody(r, []byte(`{"DomainName":"exbmple.com","ValidationMethod":"DNS"}`))
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name: "content hash header kept after body change",
			opts: signedRequestOptions{beforeSign: func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte(`{"DomainName":"example.com","ValidationMethod":"DNS"}`)))
			}},
			afterSign: func(r *http.Request) {
				replaceBody(r, []byte(`{"DomainName":"exbmple.com","ValidationMethod":"DNS"}`))
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name: "signed header changed",
			afterSign: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "CertificateManager.DeleteCertificate")
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name: "query changed",
			opts: signedRequestOptions{path: "/?a=1"},
			afterSign: func(r *http.Request) {
				r.URL.RawQuery = "a=2"
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name:        "wrong secret",
			opts:        signedRequestOptions{secret: "not-the-secret"},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name:        "unknown access key",
			opts:        signedRequestOptions{accessKeyID: "AKIDUNKNOWN"},
			wantCode:    apierr.UnrecognizedClient,
			wantMessage: "The security token included in the request is invalid.",
		},
		{
			name:        "wrong service",
			opts:        signedRequestOptions{service: "acm-pca"},
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Credential should be scoped to correct service: 'acm'. ",
		},
		{
			name:        "invalid region",
			opts:        signedRequestOptions{region: "local"},
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Credential should be scoped to a valid region, not 'local'. ",
		},
		{
			name:        "signed six minutes ago",
			now:         testSigningTime.Add(6 * time.Minute),
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Signature expired: 20250314T120000Z is now earlier than 20250314T120100Z (20250314T120600Z - 5 min.)",
		},
		{
			name:        "signed six minutes ahead",
			now:         testSigningTime.Add(-6 * time.Minute),
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Signature not yet current: 20250314T120000Z is still later than 20250314T115900Z (20250314T115400Z + 5 min.)",
		},
		{
			name: "scope date differs from request date",
			opts: signedRequestOptions{signingTime: time.Date(2025, 3, 14, 23, 59, 59, 0, time.UTC)},
			afterSign: func(r *http.Request) {
				r.Header.Set("X-Amz-Date", "20250315T000001Z")
			},
			now:         time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC),
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250314' != '20250315', from '20250315T000001Z'. ",
		},
		{
			name: "missing signature and signed headers",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request",
		},
		{
			name: "missing date header",
			afterSign: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=abc")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=abc",
		},
		{
			name: "garbage header",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
		},
		{
			name: "space inside credential",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20250314/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=abc")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "'/20250314/us-east-1/acm/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20250314/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=abc'.",
		},
		{
			name: "unsupported algorithm",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20250314/acm/aws4_request, SignedHeaders=host, Signature=abc")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.",
		},
		{
			name: "credential with four elements",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm, SignedHeaders=host;x-amz-date, Signature=abc")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20250314/us-east-1/acm'",
		},
		{
			name: "wrong terminator",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws5_request, SignedHeaders=host;x-amz-date, Signature=abc")
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
		},
		{
			name: "host not signed",
			afterSign: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "malformed date",
			afterSign: func(r *http.Request) {
				r.Header.Set("X-Amz-Date", "2025-03-14T12:00:00Z")
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "Date must be in ISO-8601 'basic format'. Got '2025-03-14T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "no authorization",
			afterSign: func(r *http.Request) {
				r.Header.Del("Authorization")
			},
			wantCode:    apierr.MissingAuthenticationToken,
			wantMessage: "Missing Authentication Token",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock = testSigningTime
			if !tt.now.IsZero() {
				clock = tt.now
			}
			req := newSignedRequest(t, server.URL, tt.opts)
			if tt.afterSign != nil {
				tt.afterSign(req)
			}

			reply := send(t, req)

			if reply.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (message %q)", reply.Code, tt.wantCode, reply.Message)
			}
			if reply.Message != tt.wantMessage {
				t.Errorf("message = %q, want %q", reply.Message, tt.wantMessage)
			}
			if tt.wantCode == "" {
				if reply.Account != testAccount {
					t.Errorf("account = %q, want %q", reply.Account, testAccount)
				}
				if reply.Region != testRegion {
					t.Errorf("region = %q, want %q", reply.Region, testRegion)
				}
				if reply.Service != testService {
					t.Errorf("service = %q, want %q", reply.Service, testService)
				}
			} else if reply.Status != http.StatusBadRequest {
				t.Errorf("status = %d, want %d", reply.Status, http.StatusBadRequest)
			}
		})
	}
}

// TestVerifyContentLengthOutsideHeader calls Verify on the client's own
// request object, where Go keeps the length only in ContentLength and never
// in Header, while the signer signed "content-length".
func TestVerifyContentLengthOutsideHeader(t *testing.T) {
	body := []byte(`{"CertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/x"}`)
	req := newSignedRequest(t, "http://127.0.0.1:1", signedRequestOptions{body: body})

	if !strings.Contains(req.Header.Get("Authorization"), "content-length") {
		t.Fatalf("signer did not sign content-length: %s", req.Header.Get("Authorization"))
	}
	if req.Header.Get("Content-Length") != "" {
		t.Fatalf("request unexpectedly has a Content-Length header")
	}

	verifier := &Verifier{Credentials: testCredentials(), Now: func() time.Time { return testSigningTime }}
	identity, err := verifier.Verify(req, body, testService)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if identity.Credential.AccessKeyID != testAccessKeyID {
		t.Errorf("access key id = %q, want %q", identity.Credential.AccessKeyID, testAccessKeyID)
	}
}

// newPresignedRequest presigns a GET with the SDK signer and returns a
// request for the signed URL carrying the headers the signer signed.
func newPresignedRequest(t *testing.T, baseURL string, expires string) *http.Request {
	t.Helper()
	target := baseURL + "/?Action=ListCertificates"
	if expires != "" {
		target += "&X-Amz-Expires=" + expires
	}

	unsigned, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}

	credentials := aws.Credentials{AccessKeyID: testAccessKeyID, SecretAccessKey: testSecret}
	signedURL, signedHeaders, err := v4.NewSigner().PresignHTTP(context.Background(), credentials, unsigned, sha256Hex(nil), testService, testRegion, testSigningTime)
	if err != nil {
		t.Fatalf("presign request: %v", err)
	}

	req, err := http.NewRequest(http.MethodGet, signedURL, nil)
	if err != nil {
		t.Fatalf("build presigned request: %v", err)
	}
	for name, values := range signedHeaders {
		if !strings.EqualFold(name, "host") {
			req.Header[name] = values
		}
	}
	return req
}

func TestVerifyPresignedRequests(t *testing.T) {
	clock := testSigningTime
	server := newVerifyServer(t, &clock)

	tests := []struct {
		name        string
		expires     string
		afterSign   func(*http.Request)
		now         time.Time
		wantCode    string
		wantMessage string
	}{
		{
			name:    "valid",
			expires: "900",
			now:     testSigningTime.Add(14 * time.Minute),
		},
		{
			name: "valid without expires",
		},
		{
			name:        "expired",
			expires:     "300",
			now:         testSigningTime.Add(6 * time.Minute),
			wantCode:    apierr.InvalidSignature,
			wantMessage: "Signature expired: 20250314T120000Z is now earlier than 20250314T120100Z (20250314T120600Z - 5 min.)",
		},
		{
			name:    "query changed",
			expires: "300",
			afterSign: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "ListCertificates", "DeleteCertificate", 1)
			},
			wantCode:    apierr.InvalidSignature,
			wantMessage: mismatchMessage,
		},
		{
			name:    "signature missing",
			expires: "300",
			afterSign: func(r *http.Request) {
				query := r.URL.Query()
				query.Del("X-Amz-Signature")
				r.URL.RawQuery = query.Encode()
			},
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
		},
		{
			name:        "expires over a week",
			expires:     "604801",
			wantCode:    apierr.IncompleteSignature,
			wantMessage: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock = testSigningTime
			if !tt.now.IsZero() {
				clock = tt.now
			}
			req := newPresignedRequest(t, server.URL, tt.expires)
			if tt.afterSign != nil {
				tt.afterSign(req)
			}

			reply := send(t, req)

			if reply.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (message %q)", reply.Code, tt.wantCode, reply.Message)
			}
			if reply.Message != tt.wantMessage {
				t.Errorf("message = %q, want %q", reply.Message, tt.wantMessage)
			}
		})
	}
}

func TestSigningKeyCacheReturnsDerivedKey(t *testing.T) {
	scope := credentialScope{accessKeyID: testAccessKeyID, date: "20250314", region: testRegion, service: testService, terminator: scopeTerminator}

	first := signingKeys.get(testSecret, scope)
	second := signingKeys.get(testSecret, scope)
	want := deriveSigningKey(testSecret, scope)

	if !bytes.Equal(first, want) {
		t.Errorf("first key = %x, want %x", first, want)
	}
	if !bytes.Equal(second, want) {
		t.Errorf("cached key = %x, want %x", second, want)
	}

	otherRegion := scope
	otherRegion.region = "eu-west-1"
	if bytes.Equal(signingKeys.get(testSecret, otherRegion), want) {
		t.Errorf("key for eu-west-1 equals key for us-east-1")
	}
}

func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"DomainName":"example.com","ValidationMethod":"DNS","SubjectAlternativeNames":["www.example.com"]}`)
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
	if err != nil {
		b.Fatalf("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CertificateManager.RequestCertificate")
	credentials := aws.Credentials{AccessKeyID: testAccessKeyID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), credentials, req, sha256Hex(body), testService, testRegion, testSigningTime); err != nil {
		b.Fatalf("sign request: %v", err)
	}

	verifier := &Verifier{Credentials: testCredentials(), Now: func() time.Time { return testSigningTime }}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verifier.Verify(req, body, testService); err != nil {
			b.Fatalf("Verify: %v", err)
		}
	}
}

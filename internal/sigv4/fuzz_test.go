package sigv4

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers through the
// parser, the scope parser and a whole Verify call. None may panic, and any
// failure must be an *apierr.Error.
func FuzzParseAuthorization(f *testing.F) {
	seeds := []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/acm/aws4_request,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"AWS4-HMAC-SHA256 ,,, = =,",
		"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AKID /20250314/us-east-1/acm/aws4_request",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID/20250314/acm/aws4_request",
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
		"",
		" ",
		"=",
		"\x00\xff\t,",
		"AWS4-HMAC-SHA256 Credential=ключ/20250314/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=é",
	}
	for _, seed := range seeds {
		f.Add(seed)
	}

	verifier := &Verifier{Credentials: testCredentials(), Now: func() time.Time { return testSigningTime }}

	f.Fuzz(func(t *testing.T, header string) {
		auth, err := parseAuthorization(header)
		if err == nil {
			requireAuthorizationParts(auth, header, true)
			requireSignedHost(auth.signedHeaders)
			if scope, err := parseCredentialScope(auth.credential); err == nil {
				scope.check(testService, testSigningTime)
			}
		}

		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Header["Authorization"] = []string{header}
		req.Header.Set("X-Amz-Date", "20250314T120000Z")
		if _, err := verifier.Verify(req, []byte("{}"), testService); err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Errorf("Verify returned %T, want *apierr.Error", err)
			}
		}
	})
}

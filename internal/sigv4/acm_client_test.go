package sigv4

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
)

// TestVerifyACMClientRequest sends a RequestCertificate call from the real
// aws-sdk-go-v2 ACM client, signed with the real clock, and checks that the
// handler's Verify accepted it with the expected scope and account.
func TestVerifyACMClientRequest(t *testing.T) {
	verifier := &Verifier{Credentials: testCredentials()}

	var (
		mu          sync.Mutex
		identity    Identity
		verifyErr   error
		verifyCalls int
	)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}

		id, err := verifier.Verify(r, body, "acm")
		mu.Lock()
		identity, verifyErr, verifyCalls = id, err, verifyCalls+1
		mu.Unlock()
		if err != nil {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"InvalidSignatureException","message":"rejected by test server"}`)
			return
		}

		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"CertificateArn":"arn:aws:acm:us-east-1:000000000000:certificate/x"}`)
	}))
	t.Cleanup(server.Close)

	client := acm.New(acm.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})

	out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName: aws.String("example.com"),
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if verifyCalls != 1 {
		t.Fatalf("Verify calls = %d, want 1", verifyCalls)
	}
	if verifyErr != nil {
		t.Fatalf("Verify: %v", verifyErr)
	}
	if identity.Region != "us-east-1" {
		t.Errorf("region = %q, want us-east-1", identity.Region)
	}
	if identity.Service != "acm" {
		t.Errorf("service = %q, want acm", identity.Service)
	}
	if identity.Credential.Account != "000000000000" {
		t.Errorf("account = %q, want 000000000000", identity.Credential.Account)
	}
	if got := aws.ToString(out.CertificateArn); got != "arn:aws:acm:us-east-1:000000000000:certificate/x" {
		t.Errorf("CertificateArn = %q, want the ARN the server sent", got)
	}
}

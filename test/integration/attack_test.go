package integration

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/config"
)

// startSecuredServer starts a server that takes the standard credentials file.
func startSecuredServer(t *testing.T, edit ...func(*config.Config)) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials.json")
	writeCredentials(t, path, standardCredentials())
	return startServer(t, append([]func(*config.Config){func(c *config.Config) { c.CredentialsFile = path }}, edit...)...)
}

// TestAttackSuite sends forged, replayed, misdirected, oversized and
// foreign-account requests. Each must get AWS's error and leave every row
// of the database as it was.
func TestAttackSuite(t *testing.T) {
	s := startSecuredServer(t)
	owner := s.clientFor(ownerKey, ownerSecret, "")
	ctx := context.Background()

	requested, err := owner.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("victim.example.com"),
		Tags:       []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	victim := *requested.CertificateArn
	waitForStatus(t, owner, victim, "ISSUED")

	deleteBody := []byte(`{"CertificateArn":"` + victim + `"}`)
	deleteTarget := "CertificateManager.DeleteCertificate"
	signed := func(r rawRequest) rawRequest {
		if r.target == "" {
			r.target = deleteTarget
		}
		if r.body == nil {
			r.body = deleteBody
		}
		if r.accessKey == "" {
			r.accessKey = ownerKey
		}
		if r.secret == "" {
			r.secret = ownerSecret
		}
		return r
	}

	attacks := []struct {
		name        string
		request     rawRequest
		wantStatus  int
		wantType    string
		wantMessage string
	}{
		{"unsigned", signed(rawRequest{unsigned: true}), 400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", signed(rawRequest{secret: "not-the-secret"}), 400, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown access key", signed(rawRequest{accessKey: "AKIAUNKNOWNKEY000000", secret: "x"}), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"built-in test credential", signed(rawRequest{accessKey: "test", secret: "test"}), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"tampered body", signed(rawRequest{tamper: func(r *http.Request) {
			r.Body = http.NoBody
			forged := `{"CertificateArn":"` + victim + `" }`
			r.Body = readCloser(forged)
			r.ContentLength = int64(len(forged))
		}}), 400, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"tampered target header", signed(rawRequest{target: "CertificateManager.DescribeCertificate", tamper: func(r *http.Request) {
			r.Header.Set("X-Amz-Target", deleteTarget)
		}}), 400, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"replayed after 10 minutes", signed(rawRequest{signedAt: time.Now().Add(-10 * time.Minute)}), 400, "InvalidSignatureException", "Signature expired"},
		{"signed 10 minutes ahead", signed(rawRequest{signedAt: time.Now().Add(10 * time.Minute)}), 400, "InvalidSignatureException", "Signature not yet current"},
		{"scope for another service", signed(rawRequest{service: "acm-pca"}), 400, "InvalidSignatureException", "Credential should be scoped to correct service: 'acm'"},
		{"session token on a long-term key", signed(rawRequest{token: "forged-token"}), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"temporary key without its token", signed(rawRequest{accessKey: tempKey, secret: tempSecret}), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"temporary key with a wrong token", signed(rawRequest{accessKey: tempKey, secret: tempSecret, token: "guess"}), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"expired temporary key", signed(rawRequest{accessKey: expiredKey, secret: expiredSecret, token: expiredToken}), 400, "ExpiredTokenException", "The security token included in the request is expired"},
		{"oversize body", signed(rawRequest{body: []byte(`{"CertificateArn":"` + strings.Repeat("a", 5<<20) + `"}`)}), 413, "RequestEntityTooLargeException", "larger than the maximum"},
		{"deeply nested body", signed(rawRequest{body: []byte(strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200))}), 400, "SerializationException", ""},
		{"other account deletes", signed(rawRequest{accessKey: otherKey, secret: otherSecret}), 400, "ResourceNotFoundException", "Could not find certificate " + victim + "."},
	}

	before := storeFingerprint(t, s.dataDir)
	for _, attack := range attacks {
		t.Run(attack.name, func(t *testing.T) {
			status, errorType, message := s.send(t, attack.request)
			if status != attack.wantStatus {
				t.Errorf("status = %d, want %d", status, attack.wantStatus)
			}
			if errorType != attack.wantType {
				t.Errorf("__type = %q, want %q (message %q)", errorType, attack.wantType, message)
			}
			if !strings.Contains(message, attack.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", message, attack.wantMessage)
			}
			if after := storeFingerprint(t, s.dataDir); after != before {
				t.Errorf("the attack changed the database")
			}
		})
	}

	if _, err := owner.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(victim)}); err != nil {
		t.Errorf("the owner lost the certificate: %v", err)
	}
}

// TestForeignAccountOnEveryOperation runs every operation that takes an
// ARN with another account's certificate ARN. Each must behave as for an
// unknown ARN, and nothing may change.
func TestForeignAccountOnEveryOperation(t *testing.T) {
	s := startSecuredServer(t)
	owner := s.clientFor(ownerKey, ownerSecret, "")
	other := s.clientFor(otherKey, otherSecret, "")
	ctx := context.Background()

	requested, err := owner.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("owned.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	victim := requested.CertificateArn
	waitForStatus(t, owner, *victim, "ISSUED")
	// An ARN of the same shape that names no certificate at all.
	unknown := aws.String(strings.Replace(*victim, "certificate/", "certificate/00000000-", 1))
	tag := []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}

	operations := map[string]func(arn *string) error{
		"DescribeCertificate": func(arn *string) error {
			_, err := other.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: arn})
			return err
		},
		"GetCertificate": func(arn *string) error {
			_, err := other.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: arn})
			return err
		},
		"DeleteCertificate": func(arn *string) error {
			_, err := other.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: arn})
			return err
		},
		"AddTagsToCertificate": func(arn *string) error {
			_, err := other.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: arn, Tags: tag})
			return err
		},
		"RemoveTagsFromCertificate": func(arn *string) error {
			_, err := other.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: tag})
			return err
		},
		"ListTagsForCertificate": func(arn *string) error {
			_, err := other.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: arn})
			return err
		},
	}

	before := storeFingerprint(t, s.dataDir)
	for name, call := range operations {
		t.Run(name, func(t *testing.T) {
			code, message := apiError(t, call(victim))
			unknownCode, unknownMessage := apiError(t, call(unknown))
			if code != "ResourceNotFoundException" || code != unknownCode {
				t.Errorf("code = %s, want ResourceNotFoundException as for an unknown ARN (%s)", code, unknownCode)
			}
			if want := strings.ReplaceAll(unknownMessage, *unknown, *victim); message != want {
				t.Errorf("message = %q, want %q as for an unknown ARN", message, want)
			}
		})
	}
	if after := storeFingerprint(t, s.dataDir); after != before {
		t.Errorf("a foreign account's calls changed the database")
	}

	listed, err := other.ListCertificates(ctx, &acm.ListCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.CertificateSummaryList) != 0 {
		t.Errorf("the other account lists %d certificates, want 0", len(listed.CertificateSummaryList))
	}
}

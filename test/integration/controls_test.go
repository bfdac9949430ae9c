package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/api"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

// controlResponse is the status and decoded JSON body of a state control call.
type controlResponse struct {
	status int
	body   map[string]any
}

// callControl posts body to a state control path, signed for acm in
// region with the built-in test credential unless unsigned is set.
func (s *server) callControl(t *testing.T, path, region string, body any, unsigned bool) controlResponse {
	t.Helper()
	payload, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encode control body: %v", err)
	}
	request, err := http.NewRequest(http.MethodPost, s.url()+path, bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("build control request: %v", err)
	}
	request.Header.Set("Content-Type", "application/json")

	if !unsigned {
		signRequest(t, request, string(payload), testCredentials, region)
	}

	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read %s response: %v", path, err)
	}
	decoded := map[string]any{}
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatalf("POST %s: body %q is not a JSON object: %v", path, raw, err)
	}
	return controlResponse{status: response.StatusCode, body: decoded}
}

// message returns the error message, which AWS spells "Message" for
// AccessDeniedException and "message" elsewhere.
func (r controlResponse) message() string {
	if message, ok := r.body["Message"].(string); ok {
		return message
	}
	message, _ := r.body["message"].(string)
	return message
}

func (s *server) requestCertificate(t *testing.T, client *acm.Client, name string) string {
	t.Helper()
	out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName:       aws.String(name),
		ValidationMethod: types.ValidationMethodDns,
		IdempotencyToken: aws.String("token1"),
		Tags:             []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	if err != nil {
		t.Fatalf("request certificate %s: %v", name, err)
	}
	return aws.ToString(out.CertificateArn)
}

func fetchRootPEM(t *testing.T, s *server) string {
	t.Helper()
	response, err := http.Get(s.url() + api.RootCertificatePEMPath)
	if err != nil {
		t.Fatalf("GET root: %v", err)
	}
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read root: %v", err)
	}
	return string(raw)
}

func TestResetRefusedInRealMode(t *testing.T) {
	s, _ := startRealValidation(t)
	client := s.client("us-east-1")
	arn := s.requestCertificate(t, client, "kept.example.com")

	got := s.callControl(t, api.ResetPath, "us-east-1", map[string]any{}, false)
	if got.status != http.StatusForbidden {
		t.Errorf("reset in real mode: status %d, want 403", got.status)
	}
	if got.body["__type"] != "AccessDeniedException" {
		t.Errorf("reset in real mode: __type %v, want AccessDeniedException", got.body["__type"])
	}
	message := got.message()
	if !strings.Contains(message, "--validation real") || !strings.Contains(message, "--state-controls on") {
		t.Errorf("reset in real mode: message %q, want it to name --validation real and --state-controls on", message)
	}

	state := s.callControl(t, api.CertificateStatePath, "us-east-1", map[string]any{"CertificateArn": arn, "Status": "ISSUED"}, false)
	if state.status != http.StatusForbidden {
		t.Errorf("certificate-state in real mode: status %d, want 403", state.status)
	}

	out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("describe after refused reset: %v", err)
	}
	if out.Certificate.Status != types.CertificateStatusPendingValidation {
		t.Errorf("status after refused controls = %s, want PENDING_VALIDATION", out.Certificate.Status)
	}
}

func TestResetAllowedByFlagInRealMode(t *testing.T) {
	dns := dnsserver.Start(t)
	s := startServer(t, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dns.Addr()
		cfg.StateControls = config.StateControlsOn
	})
	client := s.client("us-east-1")
	arn := s.requestCertificate(t, client, "wiped.example.com")

	got := s.callControl(t, api.ResetPath, "us-east-1", map[string]any{}, false)
	if got.status != http.StatusOK {
		t.Errorf("reset with --state-controls on: status %d, body %v; want 200", got.status, got.body)
	}
	_, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("describe after reset: %s, want ResourceNotFoundException", code)
	}
}

func TestResetOffInAutoMode(t *testing.T) {
	s := startServer(t, func(cfg *config.Config) { cfg.StateControls = config.StateControlsOff })
	got := s.callControl(t, api.ResetPath, "us-east-1", map[string]any{}, false)
	if got.status != http.StatusForbidden {
		t.Errorf("reset with --state-controls off: status %d, want 403", got.status)
	}
	message := got.message()
	if !strings.Contains(message, "--state-controls off") {
		t.Errorf("reset with --state-controls off: message %q, want it to name the flag", message)
	}
}

func TestResetNeedsSignature(t *testing.T) {
	s := startServer(t)
	got := s.callControl(t, api.ResetPath, "us-east-1", map[string]any{}, true)
	if got.status == http.StatusOK {
		t.Fatalf("unsigned reset: status 200, want an authentication error")
	}
	if got.body["__type"] != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned reset: __type %v, want MissingAuthenticationTokenException", got.body["__type"])
	}
}

func TestResetWipesCertificates(t *testing.T) {
	s := startServer(t)
	east, west := s.client("us-east-1"), s.client("eu-west-1")
	first := s.requestCertificate(t, east, "one.example.com")
	s.requestCertificate(t, west, "two.example.com")
	rootBefore := fetchRootPEM(t, s)

	got := s.callControl(t, api.ResetPath, "us-east-1", map[string]any{}, false)
	if got.status != http.StatusOK {
		t.Fatalf("reset: status %d, body %v; want 200", got.status, got.body)
	}

	_, err := east.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(first)})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("describe after reset: %s, want ResourceNotFoundException", code)
	}
	for name, client := range map[string]*acm.Client{"us-east-1": east, "eu-west-1": west} {
		list, err := client.ListCertificates(context.Background(), &acm.ListCertificatesInput{})
		if err != nil {
			t.Fatalf("list in %s after reset: %v", name, err)
		}
		if len(list.CertificateSummaryList) != 0 {
			t.Errorf("list in %s after reset: %d certificates, want 0", name, len(list.CertificateSummaryList))
		}
	}
	if rootAfter := fetchRootPEM(t, s); rootAfter != rootBefore {
		t.Errorf("root certificate changed across reset")
	}

	// The idempotency token was wiped too, so it gives a new certificate.
	again := s.requestCertificate(t, east, "one.example.com")
	if again == first {
		t.Errorf("same idempotency token after reset returned the deleted ARN %s", first)
	}
}

func TestCertificateStateControl(t *testing.T) {
	s := startServer(t, func(cfg *config.Config) { cfg.AutoValidateDelay = time.Hour })
	client := s.client("us-east-1")
	arn := s.requestCertificate(t, client, "state.example.com")
	set := func(body map[string]any) controlResponse {
		t.Helper()
		body["CertificateArn"] = arn
		return s.callControl(t, api.CertificateStatePath, "us-east-1", body, false)
	}

	issued := set(map[string]any{"Status": "ISSUED"})
	if issued.status != http.StatusOK {
		t.Fatalf("set ISSUED: status %d, body %v", issued.status, issued.body)
	}
	detail := waitForStatus(t, client, arn, "ISSUED").Certificate
	if detail.DomainValidationOptions[0].ValidationStatus != types.DomainStatusSuccess {
		t.Errorf("validation status after set ISSUED = %s, want SUCCESS", detail.DomainValidationOptions[0].ValidationStatus)
	}
	if _, err := client.GetCertificate(context.Background(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		t.Errorf("get certificate after set ISSUED: %v", err)
	}

	inUse := set(map[string]any{"InUseBy": []string{"arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/1"}})
	if inUse.status != http.StatusOK {
		t.Fatalf("set InUseBy: status %d, body %v", inUse.status, inUse.body)
	}
	_, err := client.DeleteCertificate(context.Background(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	if code, _ := apiError(t, err); code != "ResourceInUseException" {
		t.Errorf("delete while in use: %s, want ResourceInUseException", code)
	}

	revoked := set(map[string]any{"Status": "REVOKED", "RevocationReason": "KEY_COMPROMISE", "InUseBy": []string{}})
	if revoked.status != http.StatusOK {
		t.Fatalf("set REVOKED: status %d, body %v", revoked.status, revoked.body)
	}
	out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("describe revoked: %v", err)
	}
	if out.Certificate.Status != types.CertificateStatusRevoked || out.Certificate.RevocationReason != types.RevocationReasonKeyCompromise {
		t.Errorf("after set REVOKED: status %s reason %s, want REVOKED KEY_COMPROMISE", out.Certificate.Status, out.Certificate.RevocationReason)
	}
	if len(out.Certificate.InUseBy) != 0 {
		t.Errorf("InUseBy after clearing = %v, want none", out.Certificate.InUseBy)
	}

	cases := []struct {
		name string
		body map[string]any
		code string
	}{
		{"back to pending", map[string]any{"Status": "PENDING_VALIDATION"}, "InvalidParameterException"},
		{"unknown status", map[string]any{"Status": "DONE"}, "InvalidParameterException"},
		{"bad failure reason", map[string]any{"Status": "FAILED", "FailureReason": "BROKEN"}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := set(tc.body)
			if got.status != http.StatusBadRequest || got.body["__type"] != tc.code {
				t.Errorf("status %d __type %v, want 400 %s", got.status, got.body["__type"], tc.code)
			}
		})
	}

	missing := s.callControl(t, api.CertificateStatePath, "us-east-1",
		map[string]any{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000", "Status": "ISSUED"}, false)
	if missing.body["__type"] != "ResourceNotFoundException" {
		t.Errorf("unknown ARN: __type %v, want ResourceNotFoundException", missing.body["__type"])
	}

	failed := set(map[string]any{"Status": "FAILED", "FailureReason": "CAA_ERROR"})
	if failed.status != http.StatusOK {
		t.Fatalf("set FAILED: status %d, body %v", failed.status, failed.body)
	}
	out, err = client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("describe failed: %v", err)
	}
	if out.Certificate.Status != types.CertificateStatusFailed || out.Certificate.FailureReason != types.FailureReasonCaaError {
		t.Errorf("after set FAILED: status %s reason %s, want FAILED CAA_ERROR", out.Certificate.Status, out.Certificate.FailureReason)
	}
}

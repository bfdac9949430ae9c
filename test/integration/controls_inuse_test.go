package integration

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/api"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
)

// The state control's InUseBy goes through the same service steps as
// OpenACMAdmin.AddCertificateUse: RenewalEligibility follows the list and
// managed renewal, with its events, starts for a certificate in use.
func TestCertificateStateInUseRenews(t *testing.T) {
	hook := startWebhook(t)
	s := startTimeServer(t, func(cfg *config.Config) { cfg.EventWebhookURL = hook.url })
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("controls-renew.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	set := func(body map[string]any) controlResponse {
		t.Helper()
		body["CertificateArn"] = arn
		return s.callControl(t, api.CertificateStatePath, "us-east-1", body, false)
	}

	if got := set(map[string]any{"Status": "ISSUED"}); got.status != http.StatusOK {
		t.Fatalf("set ISSUED: status %d, body %v", got.status, got.body)
	}
	original := describeCertificate(t, client, arn)
	if original.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Errorf("RenewalEligibility after set ISSUED = %s, want INELIGIBLE", original.RenewalEligibility)
	}

	balancer := "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/1"
	distribution := "arn:aws:cloudfront::000000000000:distribution/E2"
	t.Run("rejects a resource that is not an ARN", func(t *testing.T) {
		got := set(map[string]any{"InUseBy": []string{balancer, "web-1"}})
		if got.status != http.StatusBadRequest || got.body["__type"] != "InvalidParameterException" {
			t.Errorf("status %d __type %v, want 400 InvalidParameterException", got.status, got.body["__type"])
		}
		if detail := describeCertificate(t, client, arn); len(detail.InUseBy) != 0 {
			t.Errorf("InUseBy after a rejected call = %v, want none", detail.InUseBy)
		}
	})

	t.Run("eligibility follows the list", func(t *testing.T) {
		got := set(map[string]any{"InUseBy": []string{balancer, distribution}})
		if got.status != http.StatusOK {
			t.Fatalf("set InUseBy: status %d, body %v", got.status, got.body)
		}
		certificate, _ := got.body["Certificate"].(map[string]any)
		if certificate["RenewalEligibility"] != "ELIGIBLE" {
			t.Errorf("response RenewalEligibility = %v, want ELIGIBLE", certificate["RenewalEligibility"])
		}

		set(map[string]any{"InUseBy": []string{}})
		if detail := describeCertificate(t, client, arn); detail.RenewalEligibility != types.RenewalEligibilityIneligible || len(detail.InUseBy) != 0 {
			t.Errorf("after clearing: InUseBy %v, RenewalEligibility %s; want none, INELIGIBLE", detail.InUseBy, detail.RenewalEligibility)
		}

		set(map[string]any{"InUseBy": []string{distribution, distribution}})
		detail := describeCertificate(t, client, arn)
		if !slices.Equal(detail.InUseBy, []string{distribution}) || detail.RenewalEligibility != types.RenewalEligibilityEligible {
			t.Errorf("InUseBy %v, RenewalEligibility %s; want [%s], ELIGIBLE", detail.InUseBy, detail.RenewalEligibility, distribution)
		}
	})

	t.Run("in-use certificate renews", func(t *testing.T) {
		s.clock.Set(aws.ToTime(original.NotAfter).Add(-RenewalLead))
		s.runPass(t)
		detail := describeCertificate(t, client, arn)
		if detail.RenewalSummary == nil || detail.RenewalSummary.RenewalStatus != types.RenewalStatusSuccess {
			t.Fatalf("RenewalSummary = %+v, want SUCCESS", detail.RenewalSummary)
		}
		if aws.ToString(detail.Serial) == aws.ToString(original.Serial) {
			t.Errorf("serial after renewal = %s, want a new one", aws.ToString(detail.Serial))
		}

		if !hasRenewalEvent(hook) {
			t.Errorf("no %q event with Action RENEWAL", events.Available)
		}
	})

	_, err := client.DeleteCertificate(context.Background(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	if code, _ := apiError(t, err); code != "ResourceInUseException" {
		t.Errorf("delete while in use: %s, want ResourceInUseException", code)
	}
}

// hasRenewalEvent reports whether the webhook receives an "ACM Certificate
// Available" event with Action RENEWAL within 10 seconds.
func hasRenewalEvent(hook *webhookRecorder) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, event := range hook.ofType(events.Available) {
			if detail, _ := event.Detail.(map[string]any); detail["Action"] == "RENEWAL" {
				return true
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestCertificateStateRevokedInCRL(t *testing.T) {
	s := startServer(t, func(cfg *config.Config) { cfg.AutoValidateDelay = time.Hour })
	client := s.client("us-east-1")
	arn := s.requestCertificate(t, client, "controls-crl.example.com")
	set := func(body map[string]any) {
		t.Helper()
		body["CertificateArn"] = arn
		if got := s.callControl(t, api.CertificateStatePath, "us-east-1", body, false); got.status != http.StatusOK {
			t.Fatalf("set %v: status %d, body %v", body, got.status, got.body)
		}
	}

	set(map[string]any{"Status": "ISSUED"})
	leaf := parseSingleCertificate(t, aws.ToString(getCertificate(t, client, arn).Certificate))
	if listed(t, s, leaf) {
		t.Fatalf("serial %x is in the CRL before revocation", leaf.SerialNumber)
	}

	set(map[string]any{"Status": "REVOKED", "RevocationReason": "KEY_COMPROMISE"})
	if !listed(t, s, leaf) {
		t.Errorf("serial %x is not in the CRL after the control revoked it", leaf.SerialNumber)
	}
}

// listed reports whether the CRL of OpenACM's intermediate lists leaf.
func listed(t *testing.T, s *server, leaf *x509.Certificate) bool {
	t.Helper()
	response, err := http.Get(s.url() + api.CRLPath)
	if err != nil {
		t.Fatalf("GET CRL: %v", err)
	}
	defer response.Body.Close()
	der, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read CRL: %v", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("parse CRL: %v", err)
	}
	for _, entry := range crl.RevokedCertificateEntries {
		if entry.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			return true
		}
	}
	return false
}

package integration

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/adminclient"
	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

// clockStart is the fake clock's start. Clients of a time server sign
// with the fake clock too, so SigV4's skew check compares like with like.
var clockStart = time.Now().UTC().Truncate(time.Second)

// timeServer is an OpenACM whose clock a test moves.
type timeServer struct {
	*server
	clock *clock.Fake
}

func startTimeServer(t *testing.T, edit ...func(*config.Config)) *timeServer {
	t.Helper()
	fake := clock.NewFake(clockStart)
	s := startServerWith(t, app.Options{Clock: fake}, edit...)
	return &timeServer{server: s, clock: fake}
}

// advance moves the clock and runs one worker pass.
func (s *timeServer) advance(t *testing.T, d time.Duration) {
	t.Helper()
	s.clock.Advance(d)
	s.runPass(t)
}

func (s *timeServer) runPass(t *testing.T) {
	t.Helper()
	if err := s.app.RunWorkerOnce(context.Background()); err != nil {
		t.Fatalf("worker pass: %v", err)
	}
}

func (s *timeServer) admin() *adminclient.Client {
	return &adminclient.Client{
		Endpoint:    s.url(),
		Region:      "us-east-1",
		Credentials: aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		Now:         s.clock.Now,
	}
}

// client returns an ACM client that signs with the fake clock's time, as
// a client whose clock agrees with the server's does.
func (s *timeServer) client(region string) *acm.Client {
	return acm.New(acm.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		HTTPSignerV4: fakeTimeSigner{signer: v4.NewSigner(), clock: s.clock},
	})
}

// fakeTimeSigner signs at the fake clock's time instead of the real one.
type fakeTimeSigner struct {
	signer *v4.Signer
	clock  *clock.Fake
}

func (f fakeTimeSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, options ...func(*v4.SignerOptions)) error {
	return f.signer.SignHTTP(ctx, creds, r, payloadHash, service, region, f.clock.Now(), options...)
}

// webhookRecorder is a loopback webhook that keeps every event it receives.
type webhookRecorder struct {
	mu     sync.Mutex
	events []events.Event
	url    string
}

func startWebhook(t *testing.T) *webhookRecorder {
	t.Helper()
	recorder := &webhookRecorder{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var event events.Event
		if err := json.NewDecoder(r.Body).Decode(&event); err != nil {
			t.Errorf("webhook: decode event: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		recorder.mu.Lock()
		recorder.events = append(recorder.events, event)
		recorder.mu.Unlock()
	}))
	t.Cleanup(server.Close)
	recorder.url = server.URL
	return recorder
}

// waitFor waits until count events of detailType arrived and returns them.
func (r *webhookRecorder) waitFor(t *testing.T, detailType string, count int) []events.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		matching := r.ofType(detailType)
		if len(matching) >= count {
			return matching
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook received %d %q events, want %d", len(matching), detailType, count)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *webhookRecorder) ofType(detailType string) []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var matching []events.Event
	for _, event := range r.events {
		if event.DetailType == detailType {
			matching = append(matching, event)
		}
	}
	return matching
}

func detailNumber(t *testing.T, event events.Event, member string) float64 {
	t.Helper()
	detail, _ := event.Detail.(map[string]any)
	number, ok := detail[member].(float64)
	if !ok {
		t.Fatalf("event %s detail %v has no number %s", event.DetailType, event.Detail, member)
	}
	return number
}

func TestValidationTimeout(t *testing.T) {
	s := startTimeServer(t, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = "127.0.0.1:1"
	})
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("timeout.example.com"), ValidationMethod: types.ValidationMethodEmail,
	})

	s.advance(t, 71*time.Hour)
	if status := describeCertificate(t, client, arn).Status; status != types.CertificateStatusPendingValidation {
		t.Fatalf("Status after 71 h = %s, want PENDING_VALIDATION", status)
	}

	// A resend restarts the 72-hour window.
	_, err := client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
		CertificateArn: aws.String(arn), Domain: aws.String("timeout.example.com"), ValidationDomain: aws.String("timeout.example.com"),
	})
	if err != nil {
		t.Fatalf("ResendValidationEmail at 71 h: %v", err)
	}
	s.advance(t, 71*time.Hour)
	if status := describeCertificate(t, client, arn).Status; status != types.CertificateStatusPendingValidation {
		t.Fatalf("Status 71 h after the resend = %s, want PENDING_VALIDATION", status)
	}

	s.advance(t, time.Hour)
	if status := describeCertificate(t, client, arn).Status; status != types.CertificateStatusValidationTimedOut {
		t.Fatalf("Status 72 h after the resend = %s, want VALIDATION_TIMED_OUT", status)
	}
	_, err = client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
		CertificateArn: aws.String(arn), Domain: aws.String("timeout.example.com"), ValidationDomain: aws.String("timeout.example.com"),
	})
	if code, _ := apiError(t, err); code != "InvalidStateException" {
		t.Errorf("resend after the time-out: %s, want InvalidStateException", code)
	}
}

func TestExpiryAndEvents(t *testing.T) {
	hook := startWebhook(t)
	s := startTimeServer(t, func(cfg *config.Config) { cfg.EventWebhookURL = hook.url })
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("expiry.example.com"), ValidationMethod: types.ValidationMethodDns,
	})

	s.advance(t, time.Second)
	detail := describeCertificate(t, client, arn)
	if detail.Status != types.CertificateStatusIssued {
		t.Fatalf("Status = %s, want ISSUED", detail.Status)
	}
	available := hook.waitFor(t, events.Available, 1)[0]
	if available.Source != "aws.acm" || available.Account != "000000000000" || available.Region != "us-east-1" ||
		len(available.Resources) != 1 || available.Resources[0] != arn {
		t.Errorf("available event envelope = %+v", available)
	}
	notAfter := aws.ToTime(detail.NotAfter)

	t.Run("approaching expiration daily", func(t *testing.T) {
		s.clock.Set(notAfter.Add(-45*24*time.Hour - time.Hour))
		s.runPass(t)
		if got := hook.ofType(events.ApproachingExpiration); len(got) != 0 {
			t.Fatalf("%d approaching-expiration events 45 days and 1 hour before NotAfter, want 0", len(got))
		}

		s.advance(t, time.Hour)
		first := hook.waitFor(t, events.ApproachingExpiration, 1)[0]
		if days := detailNumber(t, first, "DaysToExpiry"); days != 45 {
			t.Errorf("DaysToExpiry = %v, want 45", days)
		}
		if detail, _ := first.Detail.(map[string]any); detail["CommonName"] != "expiry.example.com" {
			t.Errorf("CommonName = %v, want expiry.example.com", detail["CommonName"])
		}

		s.advance(t, 12*time.Hour)
		if got := hook.ofType(events.ApproachingExpiration); len(got) != 1 {
			t.Errorf("%d approaching-expiration events within a day, want 1", len(got))
		}
		s.advance(t, 12*time.Hour)
		second := hook.waitFor(t, events.ApproachingExpiration, 2)[1]
		if days := detailNumber(t, second, "DaysToExpiry"); days != 44 {
			t.Errorf("second DaysToExpiry = %v, want 44", days)
		}
	})

	t.Run("expires after NotAfter", func(t *testing.T) {
		s.clock.Set(notAfter.Add(-time.Minute))
		s.runPass(t)
		if status := describeCertificate(t, client, arn).Status; status != types.CertificateStatusIssued {
			t.Fatalf("Status a minute before NotAfter = %s, want ISSUED", status)
		}
		s.advance(t, time.Minute)
		detail := describeCertificate(t, client, arn)
		if detail.Status != types.CertificateStatusExpired {
			t.Fatalf("Status at NotAfter = %s, want EXPIRED", detail.Status)
		}
		if detail.RenewalSummary != nil {
			t.Errorf("RenewalSummary of a certificate not in use = %+v, want none", detail.RenewalSummary)
		}
		hook.waitFor(t, events.Expired, 1)
	})
}

func TestManagedRenewal(t *testing.T) {
	dnsServer, hook := startDNS(t), startWebhook(t)
	s := startTimeServer(t, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dnsServer.Addr()
		cfg.EventWebhookURL = hook.url
	})
	client := s.client("us-east-1")
	names := []string{"renew.example.com", "www.renew.example.com"}
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String(names[0]), SubjectAlternativeNames: names[1:], ValidationMethod: types.ValidationMethodDns,
	})
	publishValidationRecords(t, dnsServer, describeCertificate(t, client, arn))
	s.advance(t, time.Second)
	original := describeCertificate(t, client, arn)
	if original.Status != types.CertificateStatusIssued || original.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Fatalf("after validation: Status %s, RenewalEligibility %s; want ISSUED, INELIGIBLE", original.Status, original.RenewalEligibility)
	}

	resource := "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/1"
	t.Run("mark in use", func(t *testing.T) {
		if err := s.admin().AddCertificateUse(context.Background(), adminclient.CertificateUse{CertificateArn: arn, ResourceArn: resource}); err != nil {
			t.Fatalf("AddCertificateUse: %v", err)
		}
		detail := describeCertificate(t, client, arn)
		if len(detail.InUseBy) != 1 || detail.InUseBy[0] != resource || detail.RenewalEligibility != types.RenewalEligibilityEligible {
			t.Errorf("InUseBy %v, RenewalEligibility %s; want [%s], ELIGIBLE", detail.InUseBy, detail.RenewalEligibility, resource)
		}

		_, err := client.DeleteCertificate(context.Background(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
		code, message := apiError(t, err)
		if code != "ResourceInUseException" || message != "Certificate "+arn+" in account 000000000000 is in use." {
			t.Errorf("DeleteCertificate of a certificate in use = %s %q", code, message)
		}

		err = s.admin().AddCertificateUse(context.Background(), adminclient.CertificateUse{CertificateArn: arn, ResourceArn: "not-an-arn"})
		if adminErr, ok := err.(*adminclient.Error); !ok || adminErr.Code != "InvalidParameterException" {
			t.Errorf("AddCertificateUse with a bad resource ARN = %v, want InvalidParameterException", err)
		}
	})

	notAfter := aws.ToTime(original.NotAfter)
	t.Run("renews with records in place", func(t *testing.T) {
		s.clock.Set(notAfter.Add(-RenewalLead - time.Hour))
		s.runPass(t)
		if detail := describeCertificate(t, client, arn); detail.RenewalSummary != nil {
			t.Fatalf("RenewalSummary before the renewal window = %+v, want none", detail.RenewalSummary)
		}

		s.advance(t, time.Hour)
		detail := describeCertificate(t, client, arn)
		if detail.RenewalSummary == nil || detail.RenewalSummary.RenewalStatus != types.RenewalStatusSuccess {
			t.Fatalf("RenewalSummary = %+v, want SUCCESS", detail.RenewalSummary)
		}
		if aws.ToString(detail.Serial) == aws.ToString(original.Serial) || !aws.ToTime(detail.NotAfter).After(notAfter) {
			t.Errorf("renewed serial %s NotAfter %s; want a new serial and a later NotAfter than %s", aws.ToString(detail.Serial), aws.ToTime(detail.NotAfter), notAfter)
		}
		if aws.ToString(detail.CertificateArn) != arn || detail.Status != types.CertificateStatusIssued {
			t.Errorf("renewed certificate ARN %s status %s; want %s ISSUED", aws.ToString(detail.CertificateArn), detail.Status, arn)
		}
		for _, option := range detail.RenewalSummary.DomainValidationOptions {
			if option.ValidationStatus != types.DomainStatusSuccess {
				t.Errorf("renewal validation of %s = %s, want SUCCESS", aws.ToString(option.DomainName), option.ValidationStatus)
			}
		}
		// checkIssued verifies at the real time and lints against today's
		// rules, so the renewed certificate, valid from the fake time, is
		// checked here for what renewal changes.
		leaf := checkLeafParses(t, aws.ToString(getCertificate(t, client, arn).Certificate))
		if !slices.Equal(leaf.DNSNames, names) || !leaf.NotAfter.Equal(aws.ToTime(detail.NotAfter)) {
			t.Errorf("renewed leaf names %v NotAfter %s; want %v and %s", leaf.DNSNames, leaf.NotAfter, names, aws.ToTime(detail.NotAfter))
		}

		renewal := hook.waitFor(t, events.Available, 2)[1]
		if detail, _ := renewal.Detail.(map[string]any); detail["Action"] != "RENEWAL" {
			t.Errorf("second available event Action = %v, want RENEWAL", detail["Action"])
		}
		notAfter = aws.ToTime(detail.NotAfter)
	})

	t.Run("waits for removed records", func(t *testing.T) {
		for _, option := range original.DomainValidationOptions {
			dnsServer.Remove(aws.ToString(option.ResourceRecord.Name))
		}
		s.clock.Set(notAfter.Add(-RenewalLead))
		s.runPass(t)
		detail := describeCertificate(t, client, arn)
		if detail.RenewalSummary == nil || detail.RenewalSummary.RenewalStatus != types.RenewalStatusPendingValidation {
			t.Fatalf("RenewalSummary without records = %+v, want PENDING_VALIDATION", detail.RenewalSummary)
		}
		if got := len(detail.RenewalSummary.DomainValidationOptions); got != len(names) {
			t.Errorf("renewal DomainValidationOptions has %d names, want %d", got, len(names))
		}
		hook.waitFor(t, events.RenewalActionRequired, 1)

		publishValidationRecords(t, dnsServer, original)
		s.advance(t, time.Hour)
		detail = describeCertificate(t, client, arn)
		if detail.RenewalSummary.RenewalStatus != types.RenewalStatusSuccess {
			t.Errorf("RenewalSummary after publishing the records = %s, want SUCCESS", detail.RenewalSummary.RenewalStatus)
		}
	})
}

// RenewalLead is how long before NotAfter managed renewal starts.
const RenewalLead = 60 * 24 * time.Hour

func TestRenewalReadsAreWhole(t *testing.T) {
	s := startTimeServer(t)
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("reads.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	s.advance(t, time.Second)
	old := getCertificate(t, client, arn)
	if err := s.admin().AddCertificateUse(context.Background(), adminclient.CertificateUse{
		CertificateArn: arn, ResourceArn: "arn:aws:cloudfront::000000000000:distribution/E1",
	}); err != nil {
		t.Fatalf("AddCertificateUse: %v", err)
	}
	notAfter := aws.ToTime(describeCertificate(t, client, arn).NotAfter)

	// Readers run until each has seen a certificate other than the old
	// one three times; every certificate and chain they see is recorded.
	var (
		group sync.WaitGroup
		mu    sync.Mutex
		seen  = map[string]int{}
	)
	deadline := time.Now().Add(20 * time.Second)
	for range 4 {
		group.Go(func() {
			newReads := 0
			for newReads < 3 && time.Now().Before(deadline) {
				got, err := client.GetCertificate(context.Background(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
				if err != nil {
					t.Errorf("GetCertificate during renewal: %v", err)
					return
				}
				certificate := aws.ToString(got.Certificate)
				if certificate != aws.ToString(old.Certificate) {
					newReads++
				} else if newReads > 0 {
					t.Error("GetCertificate returned the old certificate after a new one")
				}
				if aws.ToString(got.CertificateChain) != aws.ToString(old.CertificateChain) {
					t.Error("GetCertificate returned another chain during renewal")
				}
				mu.Lock()
				seen[certificate]++
				mu.Unlock()
			}
		})
	}

	s.clock.Set(notAfter.Add(-RenewalLead))
	s.runPass(t)
	group.Wait()
	renewed := getCertificate(t, client, arn)

	if aws.ToString(renewed.Certificate) == aws.ToString(old.Certificate) {
		t.Fatal("certificate did not change in the renewal window")
	}
	checkLeafParses(t, aws.ToString(renewed.Certificate))
	for certificate, reads := range seen {
		if certificate != aws.ToString(old.Certificate) && certificate != aws.ToString(renewed.Certificate) {
			t.Errorf("%d reads returned a certificate that is neither the old nor the renewed one:\n%s", reads, certificate)
		}
	}
	if seen[aws.ToString(renewed.Certificate)] == 0 {
		t.Error("no read returned the renewed certificate")
	}
	results := map[string]int{"old": seen[aws.ToString(old.Certificate)], "new": seen[aws.ToString(renewed.Certificate)]}
	t.Logf("reads during renewal: %v", results)
}

func startDNS(t *testing.T) *dnsserver.Server {
	t.Helper()
	return dnsserver.Start(t)
}

// checkLeafParses returns the certificate in text, failing the test unless
// text is one PEM certificate that parses.
func checkLeafParses(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" || strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("certificate is not one PEM CERTIFICATE block:\n%s", text)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return leaf
}

package integration

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

// redirectServer is a loopback web server that returns, for each host and
// path, a redirect set by the test.
type redirectServer struct {
	mu        sync.Mutex
	locations map[string]string
	port      int
}

func startRedirectServer(t *testing.T) *redirectServer {
	t.Helper()
	r := &redirectServer{locations: map[string]string{}}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		location, ok := r.locations[strings.ToLower(req.Host)+req.URL.Path]
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		http.Redirect(w, req, location, http.StatusMovedPermanently)
	}))
	t.Cleanup(server.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(server.URL, "http://"))
	r.port, _ = strconv.Atoi(port)
	return r
}

// redirect makes the URL from redirect to location.
func (r *redirectServer) redirect(t *testing.T, from, location string) {
	t.Helper()
	parsed, err := http.NewRequest(http.MethodGet, from, nil)
	if err != nil {
		t.Fatalf("parse %s: %v", from, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.locations[strings.ToLower(parsed.URL.Host)+parsed.URL.Path] = location
}

func TestHTTPValidation(t *testing.T) {
	dns := dnsserver.Start(t)
	web := startRedirectServer(t)
	s := startServerWith(t, app.Options{HTTPValidationPort: web.port}, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dns.Addr()
		cfg.DNSRecheckInterval = 50 * time.Millisecond
	})
	client := s.client("us-east-1")
	for _, host := range []string{"cdn.example.com", "elsewhere.example.com"} {
		dns.SetA(host, net.ParseIP("127.0.0.1"))
	}

	good := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("cdn.example.com"), ValidationMethod: types.ValidationMethodHttp, ManagedBy: types.CertificateManagedByCloudfront,
	})
	bad := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("elsewhere.example.com"), ValidationMethod: types.ValidationMethodHttp, ManagedBy: types.CertificateManagedByCloudfront,
	})

	goodRedirect := describeCertificate(t, client, good).DomainValidationOptions[0].HttpRedirect
	badRedirect := describeCertificate(t, client, bad).DomainValidationOptions[0].HttpRedirect
	if goodRedirect == nil || !strings.HasPrefix(aws.ToString(goodRedirect.RedirectFrom), "http://cdn.example.com/.well-known/pki-validation/") ||
		!strings.HasPrefix(aws.ToString(goodRedirect.RedirectTo), "https://") {
		t.Fatalf("HttpRedirect = %+v, want RedirectFrom on cdn.example.com and an https RedirectTo", goodRedirect)
	}
	web.redirect(t, aws.ToString(goodRedirect.RedirectFrom), aws.ToString(goodRedirect.RedirectTo))
	web.redirect(t, aws.ToString(badRedirect.RedirectFrom), "https://attacker.example.net/token.txt")

	detail := waitForStatus(t, client, good, "ISSUED").Certificate
	s.checkIssued(t, detail, getCertificate(t, client, good), []string{"cdn.example.com"}, types.KeyAlgorithmRsa2048)
	if detail.DomainValidationOptions[0].ValidationMethod != types.ValidationMethodHttp {
		t.Errorf("ValidationMethod = %s, want HTTP", detail.DomainValidationOptions[0].ValidationMethod)
	}

	// The worker has looked at the other certificate several times by now.
	time.Sleep(200 * time.Millisecond)
	if status := describeCertificate(t, client, bad).Status; status != types.CertificateStatusPendingValidation {
		t.Errorf("certificate redirecting elsewhere is %s, want PENDING_VALIDATION", status)
	}
}

func TestCAAChecks(t *testing.T) {
	dns := dnsserver.Start(t)
	s := startServer(t, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dns.Addr()
		cfg.DNSRecheckInterval = 50 * time.Millisecond
		cfg.CAAIdentities = "openacm.example.org, amazon.com"
	})
	client := s.client("us-east-1")
	dns.SetCAA("allowed.example.com", 0, "issue", "openacm.example.org")
	dns.SetCAA("forbidden.example.com", 0, "issue", "letsencrypt.org")
	dns.SetCAA("forbidden.example.com", 0, "issuewild", "openacm.example.org")

	cases := []struct {
		name       string
		domain     string
		sans       []string
		wantStatus string
	}{
		{"allowing set at parent", "www.allowed.example.com", nil, "ISSUED"},
		{"no set anywhere", "free.example.com", nil, "ISSUED"},
		{"forbidding set", "www.forbidden.example.com", nil, "FAILED"},
		{"one forbidden name fails all", "shop.allowed.example.com", []string{"shop.forbidden.example.com"}, "FAILED"},
		{"issuewild allows wildcard", "*.forbidden.example.com", nil, "ISSUED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			arn := requestCertificate(t, client, &acm.RequestCertificateInput{
				DomainName: aws.String(tc.domain), SubjectAlternativeNames: tc.sans, ValidationMethod: types.ValidationMethodDns,
			})
			publishValidationRecords(t, dns, describeCertificate(t, client, arn))
			detail := waitForStatus(t, client, arn, tc.wantStatus).Certificate
			if tc.wantStatus == "FAILED" && detail.FailureReason != types.FailureReasonCaaError {
				t.Errorf("FailureReason = %s, want CAA_ERROR", detail.FailureReason)
			}
		})
	}
}

package integration

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openacm/openacm/internal/adminclient"
	"github.com/openacm/openacm/internal/api"
)

// scrape reads /metrics and parses the Prometheus text format.
func scrape(t *testing.T, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	response, err := http.Get(s.url() + api.MetricsPath)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", response.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(response.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// metricValue returns the value of the series of family whose labels
// include every pair of labels: a counter or gauge value, or a histogram's
// sample count. It returns -1 when no series matches.
func metricValue(families map[string]*dto.MetricFamily, family string, labels map[string]string) float64 {
	f, ok := families[family]
	if !ok {
		return -1
	}
	for _, metric := range f.GetMetric() {
		if !hasLabels(metric, labels) {
			continue
		}
		switch {
		case metric.Counter != nil:
			return metric.Counter.GetValue()
		case metric.Gauge != nil:
			return metric.Gauge.GetValue()
		case metric.Histogram != nil:
			return float64(metric.Histogram.GetSampleCount())
		}
	}
	return -1
}

func hasLabels(metric *dto.Metric, want map[string]string) bool {
	matched := 0
	for _, pair := range metric.GetLabel() {
		if value, ok := want[pair.GetName()]; ok && value == pair.GetValue() {
			matched++
		}
	}
	return matched == len(want)
}

func TestMetricsAfterWorkload(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	ctx := context.Background()

	var arns []string
	for _, name := range []string{"m1.example.com", "m2.example.com", "m3.example.com"} {
		out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(name), ValidationMethod: types.ValidationMethodDns})
		if err != nil {
			t.Fatalf("request %s: %v", name, err)
		}
		arns = append(arns, aws.ToString(out.CertificateArn))
	}
	for _, arn := range arns {
		waitForStatus(t, client, arn, "ISSUED")
	}
	if _, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arns[0])}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arns[0])})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Fatalf("describe deleted: %s, want ResourceNotFoundException", code)
	}
	if _, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{}); err != nil {
		t.Fatalf("list: %v", err)
	}
	postTarget(t, s, "CertificateManager.MadeUpOperation")

	families := scrape(t, s)
	checks := []struct {
		name   string
		family string
		labels map[string]string
		want   float64
	}{
		{"requests ok", "openacm_api_requests_total",
			map[string]string{"service": "acm", "operation": "RequestCertificate", "error_code": "none"}, 3},
		{"request errors", "openacm_api_requests_total",
			map[string]string{"service": "acm", "operation": "DescribeCertificate", "error_code": "ResourceNotFoundException"}, 1},
		{"unknown operation", "openacm_api_requests_total",
			map[string]string{"service": "acm", "operation": "unknown", "error_code": "UnknownOperationException"}, 1},
		{"request latency", "openacm_api_request_duration_seconds",
			map[string]string{"service": "acm", "operation": "RequestCertificate"}, 3},
		{"certificates issued", "openacm_certificates",
			map[string]string{"status": "ISSUED", "type": "AMAZON_ISSUED"}, 2},
		{"issuances", "openacm_issuances_total",
			map[string]string{"type": "AMAZON_ISSUED", "outcome": "success"}, 3},
		{"issuance latency", "openacm_issuance_duration_seconds",
			map[string]string{"type": "AMAZON_ISSUED"}, 3},
		{"validations", "openacm_validations_total",
			map[string]string{"method": "DNS", "outcome": "success"}, 3},
		{"validation latency", "openacm_validation_duration_seconds",
			map[string]string{"method": "DNS"}, 3},
		{"store creates", "openacm_store_operation_duration_seconds",
			map[string]string{"operation": "CreateCertificate"}, 3},
		{"store deletes", "openacm_store_operation_duration_seconds",
			map[string]string{"operation": "DeleteCertificate"}, 1},
		{"store errors", "openacm_store_errors_total", nil, -1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := metricValue(families, c.family, c.labels); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
			}
		})
	}

	if passes := metricValue(families, "openacm_worker_passes_total", nil); passes < 1 {
		t.Errorf("openacm_worker_passes_total = %v, want at least 1", passes)
	}
	for _, family := range []string{"openacm_worker_lag_seconds", "openacm_worker_pending_certificates", "openacm_worker_pass_duration_seconds", "go_goroutines"} {
		if _, ok := families[family]; !ok {
			t.Errorf("family %s missing from /metrics", family)
		}
	}
}

// postTarget sends a signed ACM call with the given X-Amz-Target and an empty body.
func postTarget(t *testing.T, s *server, target string) {
	t.Helper()
	request := newRawRequest(t, s, target, "{}")
	signRequest(t, request, "{}", testCredentials, "us-east-1")
	sendRaw(t, request)
}

// TestRenewalMetrics drives a public renewal to SUCCESS and two private
// ones, of which one succeeds once its CA grants ACM access and the other
// fails when the certificate expires while it still waits.
func TestRenewalMetrics(t *testing.T) {
	s := startTimeServer(t)
	acmClient, pcaClient := s.client("us-east-1"), s.pcaClient("us-east-1")
	ctx := context.Background()
	rootArn, subArn, _ := activeHierarchy(t, pcaClient)

	public := requestCertificate(t, acmClient, &acm.RequestCertificateInput{
		DomainName: aws.String("metrics-renew.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	permitted := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
		DomainName: aws.String("permitted.internal.example.com"), CertificateAuthorityArn: aws.String(subArn),
		KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
	})
	denied := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
		DomainName: aws.String("denied.internal.example.com"), CertificateAuthorityArn: aws.String(rootArn),
		KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
	})
	s.advance(t, time.Second)
	for _, arn := range []string{public, permitted, denied} {
		waitForStatus(t, acmClient, arn, "ISSUED")
	}
	err := s.admin().AddCertificateUse(ctx, adminclient.CertificateUse{
		CertificateArn: public, ResourceArn: "arn:aws:cloudfront::000000000000:distribution/E2",
	})
	if err != nil {
		t.Fatalf("AddCertificateUse: %v", err)
	}
	for _, arn := range []string{permitted, denied} {
		if _, err := acmClient.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: []byte("passphrase")}); err != nil {
			t.Fatalf("ExportCertificate(%s): %v", arn, err)
		}
	}

	s.clock.Set(aws.ToTime(describeCertificate(t, acmClient, public).NotAfter).Add(-RenewalLead))
	s.runPass(t)
	if summary := describeCertificate(t, acmClient, public).RenewalSummary; summary == nil || summary.RenewalStatus != types.RenewalStatusSuccess {
		t.Fatalf("public RenewalSummary = %+v, want SUCCESS", summary)
	}
	families := scrape(t, s.server)
	publicSuccess := map[string]string{"type": "AMAZON_ISSUED", "outcome": "success", "reason": "none"}
	if got := metricValue(families, "openacm_renewals_total", publicSuccess); got != 1 {
		t.Errorf("openacm_renewals_total%v = %v, want 1", publicSuccess, got)
	}
	if got := metricValue(families, "openacm_renewal_duration_seconds", map[string]string{"type": "AMAZON_ISSUED", "outcome": "success"}); got != 1 {
		t.Errorf("openacm_renewal_duration_seconds sample count for AMAZON_ISSUED success = %v, want 1", got)
	}

	privateNotAfter := aws.ToTime(describeCertificate(t, acmClient, denied).NotAfter)
	s.clock.Set(privateNotAfter.Add(-RenewalLead))
	s.runPass(t)
	if got := metricValue(scrape(t, s.server), "openacm_renewals_total", map[string]string{"type": "PRIVATE"}); got != -1 {
		t.Errorf("openacm_renewals_total for PRIVATE while both renewals wait = %v, want no series", got)
	}

	_, err = pcaClient.CreatePermission(ctx, &acmpca.CreatePermissionInput{
		CertificateAuthorityArn: aws.String(subArn),
		Principal:               aws.String("acm.amazonaws.com"),
		Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate, pcatypes.ActionTypeGetCertificate, pcatypes.ActionTypeListPermissions},
	})
	if err != nil {
		t.Fatalf("CreatePermission: %v", err)
	}
	s.advance(t, time.Hour)
	s.clock.Set(privateNotAfter)
	s.runPass(t)
	if status := describeCertificate(t, acmClient, denied).Status; status != types.CertificateStatusExpired {
		t.Fatalf("Status of the certificate whose renewal waited = %s, want EXPIRED", status)
	}

	families = scrape(t, s.server)
	checks := []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"type": "PRIVATE", "outcome": "success", "reason": "none"}, 1},
		{map[string]string{"type": "PRIVATE", "outcome": "failure", "reason": "PCA_ACCESS_DENIED"}, 1},
	}
	for _, c := range checks {
		if got := metricValue(families, "openacm_renewals_total", c.labels); got != c.want {
			t.Errorf("openacm_renewals_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := metricValue(families, "openacm_renewal_duration_seconds", map[string]string{"type": "PRIVATE", "outcome": "failure"}); got != 1 {
		t.Errorf("openacm_renewal_duration_seconds sample count for PRIVATE failure = %v, want 1", got)
	}
}

package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// The workload mixes acm-pca calls in both protocols (Smithy RPC v2 CBOR
// from aws-sdk-go-v2, AWS JSON 1.1 as the AWS CLI and boto3 send), a
// private certificate and an imported one.
func TestMetricsAfterPrivateCAWorkload(t *testing.T) {
	s := startServer(t)
	pcaClient := s.pcaClient("us-east-1")
	client := s.client("us-east-1")
	ctx := context.Background()

	caArn := createCA(t, pcaClient, caInput(pcatypes.CertificateAuthorityTypeRoot, "Metrics Root CA", nil))
	activateRoot(t, pcaClient, caArn)
	private := requestOrFail(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("metrics.internal"), CertificateAuthorityArn: aws.String(caArn),
		KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
	})
	waitForStatus(t, client, private, "ISSUED")

	certPEM, keyPEM := selfSignedPEM(t, "imported.metrics.example.com")
	if _, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM}); err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}

	missingCA := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-4333-8444-555555555555"
	reply := postPCAJSON(t, s, "ACMPrivateCA.DescribeCertificateAuthority", `{"CertificateAuthorityArn":"`+missingCA+`"}`)
	if reply.status != http.StatusBadRequest {
		t.Fatalf("JSON 1.1 DescribeCertificateAuthority of a missing CA: status %d, body %s", reply.status, reply.body)
	}
	postPCAJSON(t, s, "ACMPrivateCA.MadeUpOperation", "{}")

	families := scrape(t, s)
	checks := []struct {
		name   string
		family string
		labels map[string]string
		want   float64
	}{
		{"CBOR create CA", "openacm_api_requests_total",
			map[string]string{"service": "acm-pca", "operation": "CreateCertificateAuthority", "error_code": "none"}, 1},
		{"CBOR issue", "openacm_api_requests_total",
			map[string]string{"service": "acm-pca", "operation": "IssueCertificate", "error_code": "none"}, 1},
		{"CBOR import CA certificate", "openacm_api_requests_total",
			map[string]string{"service": "acm-pca", "operation": "ImportCertificateAuthorityCertificate", "error_code": "none"}, 1},
		{"JSON 1.1 error", "openacm_api_requests_total",
			map[string]string{"service": "acm-pca", "operation": "DescribeCertificateAuthority", "error_code": "ResourceNotFoundException"}, 1},
		{"unknown acm-pca operation", "openacm_api_requests_total",
			map[string]string{"service": "acm-pca", "operation": "unknown", "error_code": "UnknownOperationException"}, 1},
		{"acm-pca latency", "openacm_api_request_duration_seconds",
			map[string]string{"service": "acm-pca", "operation": "IssueCertificate"}, 1},
		{"import", "openacm_api_requests_total",
			map[string]string{"service": "acm", "operation": "ImportCertificate", "error_code": "none"}, 1},
		{"private request", "openacm_api_requests_total",
			map[string]string{"service": "acm", "operation": "RequestCertificate", "error_code": "none"}, 1},
		{"imported certificates", "openacm_certificates",
			map[string]string{"status": "ISSUED", "type": string(types.CertificateTypeImported)}, 1},
		{"private certificates", "openacm_certificates",
			map[string]string{"status": "ISSUED", "type": string(types.CertificateTypePrivate)}, 1},
		{"private issuances", "openacm_issuances_total",
			map[string]string{"type": string(types.CertificateTypePrivate), "outcome": "success"}, 1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := metricValue(families, c.family, c.labels); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
			}
		})
	}
}

// postPCAJSON sends an AWS JSON 1.1 acm-pca call signed for acm-pca, as the
// AWS CLI and boto3 do.
func postPCAJSON(t *testing.T, s *server, target, body string) rawReply {
	t.Helper()
	request := newRawRequest(t, s, target, body)
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), testCredentials, request, hex.EncodeToString(sum[:]), "acm-pca", "us-east-1", time.Now())
	if err != nil {
		t.Fatalf("sign request: %v", err)
	}
	return sendRaw(t, request)
}

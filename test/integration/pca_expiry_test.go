package integration

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/app"
)

// TestCAExpiresWithItsCertificate moves the fake clock to a root CA's
// NotAfter. The private CA worker marks it EXPIRED, and it then refuses
// to issue through acm-pca and through ACM.
func TestCAExpiresWithItsCertificate(t *testing.T) {
	s := startTimeServer(t)
	pcaClient, acmClient := s.pcaClient("us-east-1"), s.client("us-east-1")
	ctx := context.Background()

	rootArn := createCA(t, pcaClient, caInput(pcatypes.CertificateAuthorityTypeRoot, "Short Root", nil))
	activateRootFor(t, pcaClient, rootArn, &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)})
	active := waitForCAStatus(t, pcaClient, rootArn, pcatypes.CertificateAuthorityStatusActive)
	notAfter := aws.ToTime(active.NotAfter)
	_, csr := newCSR(t, "leaf.example.com")
	issueInput := &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(1)},
	}

	t.Run("active a minute before NotAfter", func(t *testing.T) {
		s.clock.Set(notAfter.Add(-time.Minute))
		s.runPrivateCAPass(t)
		if status := caStatusInStore(t, s.dataDir, rootArn); status != "ACTIVE" {
			t.Errorf("stored status a minute before NotAfter = %s, want ACTIVE", status)
		}
	})

	t.Run("worker marks it expired", func(t *testing.T) {
		s.clock.Set(notAfter)
		s.runPrivateCAPass(t)
		// Read before any API call, which would expire the CA on its own.
		if status := caStatusInStore(t, s.dataDir, rootArn); status != "EXPIRED" {
			t.Errorf("stored status at NotAfter after a worker pass = %s, want EXPIRED", status)
		}
		described, err := pcaClient.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(rootArn)})
		if err != nil {
			t.Fatalf("DescribeCertificateAuthority: %v", err)
		}
		if got := described.CertificateAuthority.Status; got != pcatypes.CertificateAuthorityStatusExpired {
			t.Errorf("Status = %s, want EXPIRED", got)
		}
		if got := aws.ToTime(described.CertificateAuthority.LastStateChangeAt); !got.Equal(notAfter) {
			t.Errorf("LastStateChangeAt = %s, want %s", got, notAfter)
		}
	})

	t.Run("acm-pca IssueCertificate refused", func(t *testing.T) {
		_, err := pcaClient.IssueCertificate(ctx, issueInput)
		code, message := apiError(t, err)
		if code != "InvalidStateException" {
			t.Errorf("code = %s, want InvalidStateException", code)
		}
		if want := "The certificate authority " + rootArn + " is not in the correct state to have issued certificates."; message != want {
			t.Errorf("message = %q, want %q", message, want)
		}
	})

	t.Run("ACM RequestCertificate fails", func(t *testing.T) {
		arn := requestOrFail(t, acmClient, &acm.RequestCertificateInput{
			DomainName:              aws.String("expired-ca.internal.example.com"),
			CertificateAuthorityArn: aws.String(rootArn),
			KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
		})
		s.runPass(t)
		detail := waitForStatus(t, acmClient, arn, "FAILED").Certificate
		if detail.FailureReason != types.FailureReasonPcaInvalidState {
			t.Errorf("FailureReason = %s, want PCA_INVALID_STATE", detail.FailureReason)
		}
		if detail.Type != types.CertificateTypePrivate || aws.ToString(detail.CertificateAuthorityArn) != rootArn {
			t.Errorf("Type %s CertificateAuthorityArn %s; want PRIVATE and %s", detail.Type, aws.ToString(detail.CertificateAuthorityArn), rootArn)
		}
	})

	t.Run("stays expired", func(t *testing.T) {
		_, err := pcaClient.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
			CertificateAuthorityArn: aws.String(rootArn), Status: pcatypes.CertificateAuthorityStatusActive,
		})
		if code, _ := apiError(t, err); code != "InvalidStateException" {
			t.Errorf("UpdateCertificateAuthority(ACTIVE) of an EXPIRED CA: %s, want InvalidStateException", code)
		}
		waitForCAStatus(t, pcaClient, rootArn, pcatypes.CertificateAuthorityStatusExpired)
	})
}

// activateRootFor is activateRoot with a chosen validity for the root certificate.
func activateRootFor(t *testing.T, client *acmpca.Client, caArn string, validity *pcatypes.Validity) {
	t.Helper()
	ctx := context.Background()
	csr, err := client.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(caArn)})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCsr: %v", err)
	}
	_, root, _ := issue(t, client, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(caArn),
		Csr:                     []byte(*csr.Csr),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/RootCACertificate/V1"),
		Validity:                validity,
	})
	_, err = client.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(caArn),
		Certificate:             pemBytes(root),
	})
	if err != nil {
		t.Fatalf("ImportCertificateAuthorityCertificate(root): %v", err)
	}
}

func (s *timeServer) runPrivateCAPass(t *testing.T) {
	t.Helper()
	if err := s.app.RunPrivateCAWorkerOnce(context.Background()); err != nil {
		t.Fatalf("private CA worker pass: %v", err)
	}
}

// caStatusInStore reads a CA's status straight from the database file,
// bypassing the API, which would bring the status up to date on read.
func caStatusInStore(t *testing.T, dataDir, arn string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, app.DatabaseFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var status string
	if err := db.QueryRow(`SELECT status FROM certificate_authorities WHERE arn = ?`, arn).Scan(&status); err != nil {
		t.Fatalf("read status of %s: %v", arn, err)
	}
	return status
}

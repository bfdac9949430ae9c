package pca

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// AuditPathPattern is the URL path of stored audit reports, which AWS
// writes to an S3 bucket instead. The report id, a random UUID, is the only secret
// that guards a report.
const AuditPathPattern = "/pca/audit/{region}/{account}/{id}/{file}"

// auditEntry is one certificate in an audit report.
type auditEntry struct {
	AccountID        string `json:"awsAccountId"`
	CertificateArn   string `json:"certificateArn"`
	Serial           string `json:"serial"`
	Subject          string `json:"subject"`
	NotBefore        string `json:"notBefore"`
	NotAfter         string `json:"notAfter"`
	IssuedAt         string `json:"issuedAt"`
	RevokedAt        string `json:"revokedAt,omitempty"`
	RevocationReason string `json:"revocationReason,omitempty"`
	IssuerID         string `json:"issuerId"`
}

// CreateCertificateAuthorityAuditReport writes a report of every
// certificate the CA issued and revoked, kept in the store.
func (s *Service) CreateCertificateAuthorityAuditReport(ctx context.Context, caller Caller, in *CreateAuditReportInput) (*CreateAuditReportOutput, error) {
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "CreateCertificateAuthorityAuditReport")
	if err != nil {
		return nil, err
	}
	if ca.Status == StatusCreating || ca.Status == StatusPendingCertificate || ca.Status == StatusFailed {
		return nil, stateError(ca.ARN, ca.Status, "create an audit report")
	}

	issued, err := s.store.ListIssuedCertificates(ctx, ca.ARN)
	if err != nil {
		return nil, fmt.Errorf("list issued certificates: %w", err)
	}
	entries := make([]auditEntry, 0, len(issued))
	for _, cert := range issued {
		entries = append(entries, s.auditEntry(ca, cert))
	}
	body, err := encodeAudit(entries, in.AuditReportResponseFormat)
	if err != nil {
		return nil, err
	}

	_, _, id := arnParts(ca.ARN)
	reportID := uuid.NewString()
	key := "audit-report/" + id + "/" + reportID + "." + strings.ToLower(in.AuditReportResponseFormat)
	report := &store.AuditReport{
		ID:         reportID,
		CAARN:      ca.ARN,
		BucketName: in.S3BucketName,
		Key:        key,
		Format:     in.AuditReportResponseFormat,
		Status:     "SUCCESS",
		CreatedAt:  s.clock.Now(),
		Body:       body,
	}
	if err := s.store.CreateAuditReport(ctx, report); err != nil {
		return nil, fmt.Errorf("store audit report: %w", err)
	}
	s.logger.Info("audit report created", "ca_arn", ca.ARN, "report_id", reportID, "certificates", len(entries))
	return &CreateAuditReportOutput{AuditReportId: reportID, S3Key: key}, nil
}

func (s *Service) auditEntry(ca *store.CertificateAuthority, issued *store.IssuedCertificate) auditEntry {
	entry := auditEntry{
		AccountID:      ca.Account,
		CertificateArn: issued.ARN,
		Serial:         formatHexSerial(issued.Serial),
		IssuedAt:       issued.IssuedAt.UTC().Format(time.RFC3339),
		NotAfter:       issued.NotAfter.UTC().Format(time.RFC3339),
		IssuerID:       ca.ARN,
	}
	if block, _ := pem.Decode([]byte(issued.CertificatePEM)); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			entry.Subject = cert.Subject.String()
			entry.NotBefore = cert.NotBefore.UTC().Format(time.RFC3339)
		}
	}
	if !issued.RevokedAt.IsZero() {
		entry.RevokedAt = issued.RevokedAt.UTC().Format(time.RFC3339)
		entry.RevocationReason = issued.RevocationReason
	}
	return entry
}

func encodeAudit(entries []auditEntry, format string) ([]byte, error) {
	if format == "JSON" {
		return json.Marshal(entries)
	}
	var buf bytes.Buffer
	writer := csv.NewWriter(&buf)
	_ = writer.Write([]string{"awsAccountId", "certificateArn", "serial", "subject", "notBefore", "notAfter",
		"issuedAt", "revokedAt", "revocationReason", "issuerId"})
	for _, e := range entries {
		_ = writer.Write([]string{e.AccountID, e.CertificateArn, e.Serial, e.Subject, e.NotBefore, e.NotAfter,
			e.IssuedAt, e.RevokedAt, e.RevocationReason, e.IssuerID})
	}
	writer.Flush()
	return buf.Bytes(), writer.Error()
}

// DescribeCertificateAuthorityAuditReport returns a report's state and location.
func (s *Service) DescribeCertificateAuthorityAuditReport(ctx context.Context, caller Caller, in *DescribeAuditReportInput) (*DescribeAuditReportOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "DescribeCertificateAuthorityAuditReport")
	if err != nil {
		return nil, err
	}
	report, err := s.store.GetAuditReport(ctx, ca.ARN, in.AuditReportId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ResourceNotFound, "Could not find audit report %s for certificate authority %s.", in.AuditReportId, ca.ARN)
	}
	if err != nil {
		return nil, fmt.Errorf("read audit report: %w", err)
	}
	return &DescribeAuditReportOutput{
		AuditReportStatus: report.Status,
		S3BucketName:      report.BucketName,
		S3Key:             report.Key,
		CreatedAt:         NewTimestamp(report.CreatedAt),
	}, nil
}

// AuditReport returns the body and media type of a stored report named
// by the CA's region, account and id and the file "<report id>.<format>".
func (s *Service) AuditReport(ctx context.Context, region, account, id, file string) ([]byte, string, error) {
	reportID, extension, _ := strings.Cut(file, ".")
	report, err := s.store.GetAuditReport(ctx, CAARN(region, account, id), reportID)
	if err != nil {
		return nil, "", err
	}
	if extension != strings.ToLower(report.Format) {
		return nil, "", store.ErrNotFound
	}
	if report.Format == "JSON" {
		return report.Body, "application/json", nil
	}
	return report.Body, "text/csv", nil
}

package integration

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openacm/openacm/internal/app"
)

// pcaClientFor returns an acm-pca client signing with the given key.
func (s *server) pcaClientFor(accessKey, secret string) *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// TestForeignAccountOnEveryPCAOperation runs every acm-pca operation that
// takes a CA ARN with another account's CA ARN, which has no resource
// policy. Each must get the same error as for an ARN of that account that
// names no CA, so nothing tells the caller which CAs exist, and nothing may
// change.
func TestForeignAccountOnEveryPCAOperation(t *testing.T) {
	s := startSecuredServer(t)
	owner := s.pcaClientFor(ownerKey, ownerSecret)
	other := s.pcaClientFor(otherKey, otherSecret)
	ctx := context.Background()

	victimCA := createCA(t, owner, caInput(pcatypes.CertificateAuthorityTypeRoot, "Owner Root", revocationEnabled()))
	activateRoot(t, owner, victimCA)
	_, csr := newCSR(t, "leaf.example.com")
	issuedArn, leaf, _ := issue(t, owner, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(victimCA),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
	})
	if _, err := owner.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{
		CertificateAuthorityArn:   aws.String(victimCA),
		AuditReportResponseFormat: pcatypes.AuditReportResponseFormatJson,
		S3BucketName:              aws.String("audit-bucket"),
	}); err != nil {
		t.Fatalf("CreateCertificateAuthorityAuditReport: %v", err)
	}
	if _, err := owner.CreatePermission(ctx, &acmpca.CreatePermissionInput{
		CertificateAuthorityArn: aws.String(victimCA),
		Principal:               aws.String("acm.amazonaws.com"),
		Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate, pcatypes.ActionTypeGetCertificate, pcatypes.ActionTypeListPermissions},
	}); err != nil {
		t.Fatalf("CreatePermission: %v", err)
	}

	// An ARN of the owner's account that names no CA at all.
	unknownCA := victimCA[:strings.LastIndex(victimCA, "/")+1] + "00000000-0000-0000-0000-000000000000"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + otherAccount +
		`"},"Action":["acm-pca:IssueCertificate"],"Resource":"` + victimCA + `"}]}`
	tags := []pcatypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	serial := leaf.SerialNumber.Text(16)

	operations := map[string]func(ca string) error{
		"DescribeCertificateAuthority": func(ca string) error {
			_, err := other.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &ca})
			return err
		},
		"GetCertificateAuthorityCsr": func(ca string) error {
			_, err := other.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: &ca})
			return err
		},
		"GetCertificateAuthorityCertificate": func(ca string) error {
			_, err := other.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: &ca})
			return err
		},
		"IssueCertificate": func(ca string) error {
			_, err := other.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
				CertificateAuthorityArn: &ca,
				Csr:                     csr,
				SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
				Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
			})
			return err
		},
		"GetCertificate": func(ca string) error {
			arn := strings.Replace(issuedArn, victimCA, ca, 1)
			_, err := other.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: &ca, CertificateArn: &arn})
			return err
		},
		"ImportCertificateAuthorityCertificate": func(ca string) error {
			_, err := other.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
				CertificateAuthorityArn: &ca,
				Certificate:             pemBytes(leaf),
			})
			return err
		},
		"UpdateCertificateAuthority": func(ca string) error {
			_, err := other.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
				CertificateAuthorityArn: &ca,
				Status:                  pcatypes.CertificateAuthorityStatusDisabled,
			})
			return err
		},
		"DeleteCertificateAuthority": func(ca string) error {
			_, err := other.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{
				CertificateAuthorityArn:     &ca,
				PermanentDeletionTimeInDays: aws.Int32(7),
			})
			return err
		},
		"RestoreCertificateAuthority": func(ca string) error {
			_, err := other.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &ca})
			return err
		},
		"RevokeCertificate": func(ca string) error {
			_, err := other.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{
				CertificateAuthorityArn: &ca,
				CertificateSerial:       &serial,
				RevocationReason:        pcatypes.RevocationReasonKeyCompromise,
			})
			return err
		},
		"TagCertificateAuthority": func(ca string) error {
			_, err := other.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &ca, Tags: tags})
			return err
		},
		"UntagCertificateAuthority": func(ca string) error {
			_, err := other.UntagCertificateAuthority(ctx, &acmpca.UntagCertificateAuthorityInput{CertificateAuthorityArn: &ca, Tags: tags})
			return err
		},
		"ListTags": func(ca string) error {
			_, err := other.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: &ca})
			return err
		},
		"CreatePermission": func(ca string) error {
			_, err := other.CreatePermission(ctx, &acmpca.CreatePermissionInput{
				CertificateAuthorityArn: &ca,
				Principal:               aws.String("acm.amazonaws.com"),
				Actions:                 []pcatypes.ActionType{pcatypes.ActionTypeIssueCertificate},
			})
			return err
		},
		"DeletePermission": func(ca string) error {
			_, err := other.DeletePermission(ctx, &acmpca.DeletePermissionInput{CertificateAuthorityArn: &ca, Principal: aws.String("acm.amazonaws.com")})
			return err
		},
		"ListPermissions": func(ca string) error {
			_, err := other.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: &ca})
			return err
		},
		"PutPolicy": func(ca string) error {
			_, err := other.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: &ca, Policy: aws.String(strings.ReplaceAll(policy, victimCA, ca))})
			return err
		},
		"GetPolicy": func(ca string) error {
			_, err := other.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: &ca})
			return err
		},
		"DeletePolicy": func(ca string) error {
			_, err := other.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: &ca})
			return err
		},
		"CreateCertificateAuthorityAuditReport": func(ca string) error {
			_, err := other.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{
				CertificateAuthorityArn:   &ca,
				AuditReportResponseFormat: pcatypes.AuditReportResponseFormatJson,
				S3BucketName:              aws.String("audit-bucket"),
			})
			return err
		},
		"DescribeCertificateAuthorityAuditReport": func(ca string) error {
			_, err := other.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{
				CertificateAuthorityArn: &ca,
				AuditReportId:           aws.String("00000000-0000-0000-0000-000000000000"),
			})
			return err
		},
	}

	before := allRowsFingerprint(t, s.dataDir)
	for name, call := range operations {
		t.Run(name, func(t *testing.T) {
			code, message := apiError(t, call(victimCA))
			unknownCode, unknownMessage := apiError(t, call(unknownCA))
			if code != unknownCode {
				t.Errorf("code = %s, want %s as for an unknown ARN", code, unknownCode)
			}
			if code == "" {
				t.Errorf("the other account's call succeeded")
			}
			if want := strings.ReplaceAll(unknownMessage, unknownCA, victimCA); message != want {
				t.Errorf("message = %q, want %q as for an unknown ARN", message, want)
			}
		})
	}
	if after := allRowsFingerprint(t, s.dataDir); after != before {
		t.Errorf("a foreign account's calls changed the database")
	}

	listed, err := other.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.CertificateAuthorities) != 0 {
		t.Errorf("the other account lists %d CAs, want 0", len(listed.CertificateAuthorities))
	}

	t.Run("ACM RequestCertificate", func(t *testing.T) {
		acmOther := s.clientFor(otherKey, otherSecret, "")
		reasons := map[string]string{}
		for _, ca := range []string{victimCA, unknownCA} {
			out, err := acmOther.RequestCertificate(ctx, &acm.RequestCertificateInput{
				DomainName:              aws.String("steal.example.com"),
				CertificateAuthorityArn: aws.String(ca),
			})
			if err != nil {
				reasons[ca] = "error: " + err.Error()
				continue
			}
			described := waitForStatus(t, acmOther, *out.CertificateArn, "FAILED")
			reasons[ca] = string(described.Certificate.FailureReason)
		}
		if reasons[victimCA] != reasons[unknownCA] {
			t.Errorf("another account's CA gives %q, an unknown CA gives %q; want the same", reasons[victimCA], reasons[unknownCA])
		}
		if reasons[victimCA] != "PCA_ACCESS_DENIED" {
			t.Errorf("FailureReason = %q, want PCA_ACCESS_DENIED", reasons[victimCA])
		}
	})
}

// allRowsFingerprint returns a digest of every row of every table but the
// worker leases, read straight from the database file.
func allRowsFingerprint(t *testing.T, dataDir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, app.DatabaseFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('leases', 'schema_migrations') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()

	digest := sha256.New()
	for _, table := range tables {
		// A full scan reads rows in key order (the rowid, or the primary
		// key of a WITHOUT ROWID table, which has no rowid to order by).
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		columns, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(columns))
			pointers := make([]any, len(columns))
			for i := range values {
				pointers[i] = &values[i]
			}
			if err := rows.Scan(pointers...); err != nil {
				t.Fatal(err)
			}
			line, _ := json.Marshal(append([]any{table}, values...))
			digest.Write(line)
		}
		rows.Close()
	}
	return hex.EncodeToString(digest.Sum(nil))
}

// TestCrossAccountIssuanceByPolicy has the owner's CA name another
// account in its resource policy. That account may then issue from the CA
// through acm-pca and through ACM, and only while the policy names it.
func TestCrossAccountIssuanceByPolicy(t *testing.T) {
	s := startSecuredServer(t)
	owner := s.pcaClientFor(ownerKey, ownerSecret)
	other := s.pcaClientFor(otherKey, otherSecret)
	acmOther := s.clientFor(otherKey, otherSecret, "")
	ctx := context.Background()

	caArn := createCA(t, owner, caInput(pcatypes.CertificateAuthorityTypeRoot, "Shared Root", nil))
	root := activateRoot(t, owner, caArn)
	_, csr := newCSR(t, "shared.example.com")
	issueInput := &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(caArn),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(30)},
	}
	requestPrivate := func(name string) string {
		return requestOrFail(t, acmOther, &acm.RequestCertificateInput{
			DomainName:              aws.String(name),
			CertificateAuthorityArn: aws.String(caArn),
			KeyAlgorithm:            acmtypes.KeyAlgorithmEcPrime256v1,
		})
	}
	wantRefused := func(t *testing.T, when string) {
		t.Helper()
		_, err := other.IssueCertificate(ctx, issueInput)
		code, message := apiError(t, err)
		want := "User: arn:aws:iam::" + otherAccount + ":root is not authorized to perform: acm-pca:IssueCertificate on resource: " + caArn
		if code != "AccessDeniedException" || message != want {
			t.Errorf("IssueCertificate %s: %s %q, want AccessDeniedException %q", when, code, message, want)
		}
		arn := requestPrivate("refused.example.com")
		if reason := waitForStatus(t, acmOther, arn, "FAILED").Certificate.FailureReason; reason != acmtypes.FailureReasonPcaAccessDenied {
			t.Errorf("ACM certificate %s: FailureReason %s, want PCA_ACCESS_DENIED", when, reason)
		}
	}
	putPolicy := func(t *testing.T, account string) {
		t.Helper()
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"share","Effect":"Allow",` +
			`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},` +
			`"Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"` + caArn + `"}]}`
		if _, err := owner.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(caArn), Policy: aws.String(policy)}); err != nil {
			t.Fatalf("PutPolicy: %v", err)
		}
	}

	t.Run("refused without a policy", func(t *testing.T) { wantRefused(t, "without a policy") })

	t.Run("refused when the policy names another account", func(t *testing.T) {
		putPolicy(t, "777788889999")
		wantRefused(t, "with a policy for another account")
	})

	putPolicy(t, otherAccount)
	t.Run("acm-pca IssueCertificate allowed", func(t *testing.T) {
		certArn, leaf, chain := issue(t, other, issueInput)
		if !strings.HasPrefix(certArn, caArn+"/certificate/") {
			t.Errorf("certificate ARN %s is not under %s", certArn, caArn)
		}
		if err := leaf.CheckSignatureFrom(root); err != nil {
			t.Errorf("leaf is not signed by the shared CA: %v", err)
		}
		if strings.TrimSpace(chain) != strings.TrimSpace(string(pemBytes(root))) {
			t.Errorf("chain is not the shared root:\n%s", chain)
		}
	})

	t.Run("policy grants only its actions", func(t *testing.T) {
		_, err := other.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
			CertificateAuthorityArn: aws.String(caArn), Status: pcatypes.CertificateAuthorityStatusDisabled,
		})
		if code, _ := apiError(t, err); code != "AccessDeniedException" {
			t.Errorf("UpdateCertificateAuthority by the named account: %s, want AccessDeniedException", code)
		}
	})

	t.Run("ACM RequestCertificate issued", func(t *testing.T) {
		arn := requestPrivate("acm.shared.example.com")
		if !strings.Contains(arn, ":"+otherAccount+":") {
			t.Errorf("certificate ARN %s is not in account %s", arn, otherAccount)
		}
		detail := waitForStatus(t, acmOther, arn, "ISSUED").Certificate
		if detail.Type != acmtypes.CertificateTypePrivate || aws.ToString(detail.CertificateAuthorityArn) != caArn {
			t.Errorf("Type %s CertificateAuthorityArn %s; want PRIVATE and %s", detail.Type, aws.ToString(detail.CertificateAuthorityArn), caArn)
		}
		got, err := acmOther.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("GetCertificate: %v", err)
		}
		leaf := parseSingleCertificate(t, aws.ToString(got.Certificate))
		roots := x509.NewCertPool()
		roots.AddCert(root)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("ACM leaf does not verify against the shared root: %v", err)
		}
	})

	t.Run("refused after DeletePolicy", func(t *testing.T) {
		if _, err := owner.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: aws.String(caArn)}); err != nil {
			t.Fatalf("DeletePolicy: %v", err)
		}
		wantRefused(t, "after DeletePolicy")
	})
}

package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// A page reads the summary column. Rows whose summary migration 0012
// derived from details, and rows written without one, list the same as
// rows written with one.
func TestListSummaryOfOlderRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "openacm.db")
	s, err := sqlstore.OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3 {
		cert := &store.Certificate{
			ARN:                     fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/%d", i),
			Account:                 "111122223333",
			Region:                  "us-east-1",
			DomainName:              fmt.Sprintf("www%d.example.com", i),
			SubjectAlternativeNames: []string{fmt.Sprintf("www%d.example.com", i), "example.com"},
			Type:                    "AMAZON_ISSUED",
			Status:                  "ISSUED",
			KeyAlgorithm:            "RSA_2048",
			ValidationMethod:        "DNS",
			Serial:                  "01:02",
			CreatedAt:               at.Add(time.Duration(i) * time.Second),
			IssuedAt:                at,
			NotBefore:               at,
			NotAfter:                at.Add(90 * 24 * time.Hour),
			KeyUsages:               []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
			ExtendedKeyUsages:       []store.ExtendedKeyUsage{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}},
			InUseBy:                 []string{"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/x"},
			RenewalEligibility:      "ELIGIBLE",
			DomainValidations:       []store.DomainValidation{{DomainName: "example.com", ValidationStatus: "SUCCESS"}},
		}
		if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}
	query := store.ListQuery{Account: "111122223333", Region: "us-east-1", Limit: 10}
	want, _, err := s.ListCertificates(ctx, query)
	if err != nil || len(want) != 3 {
		t.Fatalf("ListCertificates = %d certificates, %v; want 3", len(want), err)
	}
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE certificates SET summary = json_remove(details, '$.failure_reason', '$.validation_method',
		'$.domain_validations', '$.certificate_authority_arn', '$.ct_logging_preference', '$.revocation_reason', '$.serial',
		'$.subject', '$.issuer', '$.signature_algorithm', '$.validation_started_at', '$.renewal', '$.expiry_notice_at', '$.key_usages', '$.extended_key_usages')
		WHERE arn LIKE '%/0'`)
	if err == nil {
		_, err = db.Exec(`UPDATE certificates SET summary = '' WHERE arn LIKE '%/1'`)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = sqlstore.OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.ListCertificates(ctx, query)
	if err != nil {
		t.Fatalf("ListCertificates after the summaries changed: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			t.Errorf("ListCertificates[%d] = %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

package sqlstore

import (
	"reflect"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// A summary built in a pageArena equals one built without it, and an
// append to one row's slices leaves the next row unchanged.
func TestSummaryInArenaMatchesSummary(t *testing.T) {
	rows := []certRow{
		{
			ARN: "arn:1", Status: "ISSUED", Type: "IMPORTED", KeyAlgorithm: "RSA_2048",
			KeyUsages: ",DIGITAL_SIGNATURE,KEY_ENCIPHERMENT,", ExtendedKeyUsages: ",TLS_WEB_SERVER_AUTHENTICATION,TLS_WEB_CLIENT_AUTHENTICATION,",
			Details: `{"domain_name":"a.example.com","subject_alternative_names":["a.example.com","b.example.com"],` +
				`"in_use_by":["arn:lb"],"not_before":"2026-01-02T03:04:05Z","exported":true}`,
			CreatedAt: 1_767_323_045_000_000_000, Version: 3, UpdatedAt: 1_767_323_046_000_000_000,
		},
		{ARN: "arn:2", Status: "PENDING_VALIDATION", Type: "AMAZON_ISSUED", KeyAlgorithm: "EC_prime256v1", Details: `{"subject_alternative_names":[],"in_use_by":null}`},
		{ARN: "arn:3", Status: "ISSUED", Type: "PRIVATE", KeyUsages: ",KEY_AGREEMENT,", Details: `{"subject_alternative_names":["c.example.com"]}`},
	}

	arena := newPageArena(1)
	got := make([]*store.Certificate, len(rows))
	for i := range rows {
		want, err := rows[i].summary()
		if err != nil {
			t.Fatalf("summary of %s: %v", rows[i].ARN, err)
		}
		if got[i], err = rows[i].summaryIn(arena); err != nil {
			t.Fatalf("summaryIn of %s: %v", rows[i].ARN, err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("summaryIn of %s = %+v, want %+v", rows[i].ARN, got[i], want)
		}
	}

	// The first row's names are followed by the later rows' in the arena.
	_ = append(got[0].SubjectAlternativeNames, "appended")
	_ = append(got[0].KeyUsages, "appended")
	for i := 1; i < len(rows); i++ {
		want, err := rows[i].summary()
		if err != nil {
			t.Fatalf("summary of %s: %v", rows[i].ARN, err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("summaryIn of %s after an append to %s = %+v, want %+v", rows[i].ARN, rows[0].ARN, got[i], want)
		}
	}
}

func TestSplitListAttributes(t *testing.T) {
	var row certRow
	if err := row.splitListAttributes("ISSUED|IMPORTED|RSA_2048|ENABLED||,DIGITAL_SIGNATURE,|"); err != nil {
		t.Fatalf("splitListAttributes: %v", err)
	}
	want := certRow{Status: "ISSUED", Type: "IMPORTED", KeyAlgorithm: "RSA_2048", ExportOption: "ENABLED", KeyUsages: ",DIGITAL_SIGNATURE,"}
	if !reflect.DeepEqual(row, want) {
		t.Errorf("splitListAttributes = %+v, want %+v", row, want)
	}

	if err := row.splitListAttributes("ISSUED|IMPORTED"); err == nil {
		t.Error("splitListAttributes of 2 fields = nil error, want an error")
	}
}

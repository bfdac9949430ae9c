package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeSummary agrees with encoding/json on every text it accepts, and
// accepts what json.Marshal and the databases' JSON functions write.
func TestDecodeSummaryMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	full, err := json.Marshal(certSummaryDetails{
		DomainName:              "example.com",
		SubjectAlternativeNames: []string{"example.com", "*.example.com"},
		IssuedAt:                at,
		NotBefore:               at,
		NotAfter:                at.Add(time.Hour),
		KeyUsages:               []string{"DIGITAL_SIGNATURE"},
		ExtendedKeyUsages:       []extendedKeyUsageRow{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}, {Name: "NONE"}},
		InUseBy:                 []string{},
		Exported:                true,
		RenewalEligibility:      "ELIGIBLE",
	})
	if err != nil {
		t.Fatal(err)
	}
	accepted := []string{
		string(full),
		`{}`,
		`{"subject_alternative_names":null,"key_usages":null,"extended_key_usages":null,"in_use_by":null}`,
		// PostgreSQL's jsonb text, with spaces.
		`{"domain_name": "a.example", "exported": false, "extended_key_usages": [{"oid": "1.2", "name": "X"}], "in_use_by": [], "not_after": "2026-01-02T03:04:05Z"}`,
	}
	for _, text := range accepted {
		var fast, slow certSummaryDetails
		if err := decodeSummary(text, &fast); err != nil {
			t.Errorf("decodeSummary(%s): %v", text, err)
			continue
		}
		if err := json.Unmarshal([]byte(text), &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("decodeSummary(%s) = %+v, encoding/json = %+v", text, fast, slow)
		}
	}

	rejected := []string{
		``, `{`, `{"domain_name":"a\"b"}`, `{"domain_name":1}`, `{"renewal":{}}`, `{} x`, `{"not_after":"soon"}`,
		`{"extended_key_usages":[{"name":"A","other":"B"}]}`,
	}
	for _, text := range rejected {
		var out certSummaryDetails
		if err := decodeSummary(text, &out); err == nil {
			t.Errorf("decodeSummary(%s) = nil error, want errSummarySyntax", text)
		}
	}
}

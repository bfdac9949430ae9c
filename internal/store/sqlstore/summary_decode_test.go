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
		`{"subject_alternative_names":null,"in_use_by":null}`,
		// PostgreSQL's jsonb text, with spaces.
		`{"domain_name": "a.example", "exported": false, "in_use_by": [], "not_after": "2026-01-02T03:04:05Z"}`,
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
		`{"key_usages":["A"]}`, `{"in_use_by":["a",1]}`,
	}
	for _, text := range rejected {
		var out certSummaryDetails
		if err := decodeSummary(text, &out); err == nil {
			t.Errorf("decodeSummary(%s) = nil error, want errSummarySyntax", text)
		}
	}
}

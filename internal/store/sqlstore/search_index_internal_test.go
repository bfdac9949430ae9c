package sqlstore

import (
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// updateSearchRow compares the values of searchValues with the ones
// readSearchRow scans, so each column must have the same Go type in both.
func TestSearchValuesMatchColumnTypes(t *testing.T) {
	values := searchValues(&store.Certificate{ARN: "arn", DomainName: "example.com"}, "example.com")
	if len(values) != len(searchValueColumns) {
		t.Fatalf("searchValues returned %d values for %d columns", len(values), len(searchValueColumns))
	}

	for i, column := range searchValueColumns {
		_, isInt := values[i].(int64)
		_, isString := values[i].(string)
		if searchIntColumns[column] && !isInt {
			t.Errorf("column %s: value has type %T, want int64", column, values[i])
		}
		if !searchIntColumns[column] && !isString {
			t.Errorf("column %s: value has type %T, want string", column, values[i])
		}
	}
}

func TestTermsDifference(t *testing.T) {
	old := []searchTerm{{termCommonName, "a.example"}, {termExtendedKeyUsage, "NONE"}}
	terms := []searchTerm{{termCommonName, "a.example"}, {termExtendedKeyUsage, "TLS_WEB_SERVER_AUTHENTICATION"}}

	removed := termsDifference(old, terms)
	if len(removed) != 1 || removed[0].value != "NONE" {
		t.Errorf("removed terms = %v, want only EKU NONE", removed)
	}
	added := termsDifference(terms, old)
	if len(added) != 1 || added[0].value != "TLS_WEB_SERVER_AUTHENTICATION" {
		t.Errorf("added terms = %v, want only EKU TLS_WEB_SERVER_AUTHENTICATION", added)
	}
}

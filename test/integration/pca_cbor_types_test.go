package integration

import (
	"net/http"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// TestPCACBORMemberTypes sends well-formed CBOR bodies whose members have
// the wrong CBOR type. Each must get a 400 SerializationException that
// names the type mismatch, as the JSON 1.1 front end gives, and never a
// claim that the body is not CBOR.
func TestPCACBORMemberTypes(t *testing.T) {
	s := startServer(t)
	issueBase := func(member string, value any) map[string]any {
		body := map[string]any{
			"CertificateAuthorityArn": missingCAArn,
			"Csr":                     []byte("csr"),
			"SigningAlgorithm":        "SHA256WITHECDSA",
			"Validity":                map[string]any{"Type": "DAYS", "Value": 1},
		}
		body[member] = value
		return body
	}
	tests := []struct {
		name        string
		operation   string
		body        map[string]any
		wantMessage string
	}{
		{"number for a blob", "IssueCertificate", issueBase("Csr", 1), "NUMBER_VALUE can not be converted to a Blob"},
		{"text for a blob", "IssueCertificate", issueBase("Csr", "Y3Ny"), "STRING_VALUE can not be converted to a Blob"},
		{"bytes for a string", "IssueCertificate", issueBase("SigningAlgorithm", []byte("SHA256WITHECDSA")), "BLOB_VALUE can not be converted to a String"},
		{"bool for a string", "DescribeCertificateAuthority", map[string]any{"CertificateAuthorityArn": true}, "BOOLEAN_VALUE can not be converted to a String"},
		{"text for a long", "IssueCertificate", issueBase("Validity", map[string]any{"Type": "DAYS", "Value": "1"}), "STRING_VALUE can not be converted to a Long"},
		{"bytes for a nested string", "TagCertificateAuthority", map[string]any{
			"CertificateAuthorityArn": missingCAArn,
			"Tags":                    []any{map[string]any{"Key": "team", "Value": "a"}, map[string]any{"Key": []byte("owner")}},
		}, "BLOB_VALUE can not be converted to a String"},
		{"map for a string", "DescribeCertificateAuthority", map[string]any{"CertificateAuthorityArn": map[string]any{}}, "Start of structure or map found where not expected."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := cbor.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			reply := callPCACBOR(t, s, tt.operation, body)
			if reply.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", reply.status)
			}
			var decoded map[string]string
			if err := cbor.Unmarshal(reply.body, &decoded); err != nil {
				t.Fatalf("error body is not CBOR: %v", err)
			}
			if want := "com.amazonaws.acmpca#SerializationException"; decoded["__type"] != want {
				t.Errorf("__type = %q, want %q", decoded["__type"], want)
			}
			if decoded["message"] != tt.wantMessage {
				t.Errorf("message = %q, want %q", decoded["message"], tt.wantMessage)
			}
		})
	}
}

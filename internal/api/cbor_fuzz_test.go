package api

import (
	"encoding/json"
	"testing"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/model"
)

// cborSeeds are request bodies of the shapes the acm-pca CBOR front end
// gets: what aws-sdk-go-v2 sends, plus malformed and hostile encodings.
var cborSeeds = [][]byte{
	{},
	{0xa0}, // {}
	// {"Csr": h'3082'} (a byte string, which becomes base64)
	{0xa1, 0x63, 'C', 's', 'r', 0x42, 0x30, 0x82},
	// {"Validity": {"Type": "DAYS", "Value": 30}}
	{0xa1, 0x68, 'V', 'a', 'l', 'i', 'd', 'i', 't', 'y', 0xa2, 0x64, 'T', 'y', 'p', 'e', 0x64, 'D', 'A', 'Y', 'S', 0x65, 'V', 'a', 'l', 'u', 'e', 0x18, 0x1e},
	// {"t": 1(1700000000)} (an epoch time tag)
	{0xa1, 0x61, 't', 0xc1, 0x1a, 0x65, 0x53, 0xf1, 0x00},
	// {"t": 1(1.5)} as a float time tag
	{0xa1, 0x61, 't', 0xc1, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0},
	// {"f": NaN} (half-precision NaN)
	{0xa1, 0x61, 'f', 0xf9, 0x7e, 0x00},
	// {"b": 2(h'01ff')} (a positive bignum)
	{0xa1, 0x61, 'b', 0xc2, 0x42, 0x01, 0xff},
	// {"n": -1(...)}: a negative integer beyond int64
	{0xa1, 0x61, 'n', 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	// {_ "a": [_ 1, 2]} with indefinite lengths
	{0xbf, 0x61, 'a', 0x9f, 0x01, 0x02, 0xff, 0xff},
	// {1: "x"} (a non-text key)
	{0xa1, 0x01, 0x61, 'x'},
	// {"a": 1, "a": 2} (a duplicate key)
	{0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02},
	// [1] (not a map)
	{0x81, 0x01},
	// a map that claims 2^32 entries
	{0xba, 0xff, 0xff, 0xff, 0xff},
	// a text string with invalid UTF-8
	{0xa1, 0x61, 'a', 0x62, 0xc3, 0x28},
	// undefined and simple values
	{0xa2, 0x61, 'u', 0xf7, 0x61, 's', 0xf0},
	// 40 nested arrays
	append(append([]byte{0xa1, 0x61, 'a'}, repeatByte(0x81, 40)...), 0x00),
	// a truncated body
	{0xa1, 0x61},
}

func repeatByte(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// FuzzCBORToJSON decodes arbitrary bytes as an acm-pca Smithy RPC v2 CBOR
// request body and checks the JSON it turns into against acm-pca input
// shapes. Neither step may panic, every failure must be an *apierr.Error
// that a client can be sent, and every success must be one JSON object.
func FuzzCBORToJSON(f *testing.F) {
	for _, seed := range cborSeeds {
		f.Add(seed)
	}
	for _, request := range []any{
		map[string]any{"CertificateAuthorityArn": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/00000000-0000-0000-0000-000000000000", "MaxResults": 10},
		map[string]any{"CertificateAuthorityType": "ROOT", "KeyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
			"CertificateAuthorityConfiguration": map[string]any{"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
				"Subject": map[string]any{"CommonName": "Example Root"}},
			"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}},
	} {
		body, err := cborEncoder.Marshal(request)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	service := model.ACMPCA()
	operations := []string{"CreateCertificateAuthority", "IssueCertificate", "ListCertificateAuthorities", "TagCertificateAuthority", "ImportCertificateAuthorityCertificate"}

	f.Fuzz(func(t *testing.T, body []byte) {
		converted, err := cborToJSON(body)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("cborToJSON returned %T (%v), want *apierr.Error", err, err)
			}
			return
		}

		var object map[string]any
		if err := json.Unmarshal(converted, &object); err != nil {
			t.Fatalf("cborToJSON returned %q, which is not a JSON object: %v", converted, err)
		}
		tree, err := decodeCBOR(body)
		if err != nil {
			t.Fatalf("decodeCBOR failed on a body cborToJSON took: %v", err)
		}
		for _, op := range operations {
			if err := service.CheckCBORTypes(op, tree); err != nil {
				if _, ok := apierr.As(err); !ok {
					t.Errorf("CheckCBORTypes(%s) returned %T, want *apierr.Error", op, err)
				}
			}
			if err := service.CheckInput(op, converted); err != nil {
				if _, ok := apierr.As(err); !ok {
					t.Errorf("CheckInput(%s) returned %T, want *apierr.Error", op, err)
				}
			}
		}
	})
}

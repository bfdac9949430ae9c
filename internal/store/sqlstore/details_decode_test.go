package sqlstore

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// randomDetails returns certDetails with each member set, empty or nil at
// random. Some strings are not ASCII, and some need escapes.
func randomDetails(random *rand.Rand) certDetails {
	// json.Marshal escapes the texts after the first five, so half of the
	// details use only those five.
	texts := []string{"", "a", "example.com", "é", "日本", "<&>", "\"q\"", "tab\t", "\u2028", "\xff"}
	choices := len(texts)
	if random.IntN(2) == 0 {
		choices = 5
	}
	text := func() string { return texts[random.IntN(choices)] }
	strs := func() []string {
		switch random.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		values := make([]string, 1+random.IntN(3))
		for i := range values {
			values[i] = text()
		}
		return values
	}
	at := func() time.Time {
		if random.IntN(3) == 0 {
			return time.Time{}
		}
		t := time.Unix(random.Int64N(4_000_000_000)-1_000_000_000, random.Int64N(1_000_000_000))
		if random.IntN(2) == 0 {
			return t.UTC()
		}
		return t.In(time.FixedZone("", (random.IntN(48)-24)*1800))
	}
	validations := func() []domainValidationRow {
		if random.IntN(3) == 0 {
			return nil
		}
		rows := make([]domainValidationRow, random.IntN(3))
		for i := range rows {
			rows[i] = domainValidationRow{
				DomainName: text(), ValidationDomain: text(), ValidationMethod: text(), ValidationStatus: text(),
				ResourceRecordName: text(), ResourceRecordType: text(), ResourceRecordValue: text(),
				ValidationEmails: strs(), RedirectFrom: text(), RedirectTo: text(), ApprovalNonce: text(),
				EmailDelivered: strs(), EmailBounced: strs(), EmailAttempts: random.IntN(5) - 1, EmailNextAttemptAt: at(),
			}
		}
		return rows
	}

	details := certDetails{
		DomainName: text(), SubjectAlternativeNames: strs(), FailureReason: text(), ValidationMethod: text(),
		DomainValidations: validations(), CertificateAuthorityArn: text(), CTLoggingPreference: text(),
		IssuedAt: at(), ImportedAt: at(), RevokedAt: at(), NotBefore: at(), NotAfter: at(),
		RevocationReason: text(), Serial: text(), Subject: text(), Issuer: text(), SignatureAlgorithm: text(),
		KeyUsages: strs(), InUseBy: strs(), Exported: random.IntN(2) == 0, RenewalEligibility: text(),
		ValidationStartedAt: at(), ExpiryNoticeAt: at(),
	}
	if names := strs(); names != nil {
		details.ExtendedKeyUsages = make([]extendedKeyUsageRow, len(names))
		for i, name := range names {
			details.ExtendedKeyUsages[i] = extendedKeyUsageRow{Name: name, OID: text()}
		}
	}
	if random.IntN(2) == 0 {
		details.Renewal = &renewalRow{Status: text(), StatusReason: text(), DomainValidations: validations(), StartedAt: at(), UpdatedAt: at()}
	}
	return details
}

// checkDetailsDecode fails t when decodeDetails accepts text and returns
// something other than what json.Unmarshal returns. It reports whether
// decodeDetails accepted the text.
func checkDetailsDecode(t *testing.T, text string) bool {
	t.Helper()
	var fast, slow certDetails
	fastErr := decodeDetails(text, &fast)
	slowErr := json.Unmarshal([]byte(text), &slow)
	if fastErr != nil {
		return false
	}
	if slowErr != nil {
		t.Errorf("decodeDetails accepted %q, which json.Unmarshal rejects: %v", text, slowErr)
		return true
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("decodeDetails(%q) =\n%+v\nwant\n%+v", text, fast, slow)
	}
	return true
}

func TestDecodeDetailsMatchesEncodingJSON(t *testing.T) {
	accepted := []string{
		`{}`,
		`{"subject_alternative_names":null,"domain_validations":null,"key_usages":null,"extended_key_usages":null,"in_use_by":null,"renewal":null}`,
		`{"subject_alternative_names":[],"domain_validations":[],"key_usages":[],"extended_key_usages":[],"in_use_by":[]}`,
		// PostgreSQL's jsonb text, with spaces.
		`{"domain_name": "a.example", "exported": true, "in_use_by": [], "not_after": "2026-01-02T03:04:05Z", ` +
			`"domain_validations": [{"domain_name": "a.example", "email_attempts": 3, "validation_emails": ["x@a.example"]}], ` +
			`"renewal": {"status": "SUCCESS", "domain_validations": [], "updated_at": "2026-01-02T03:04:05.5+01:00"}}`,
		`{"domain_validations":[{"domain_name":"a","email_attempts":-0}]}`,
		`{"domain_name":"café"}`,
	}
	for _, text := range accepted {
		if !checkDetailsDecode(t, text) {
			t.Errorf("decodeDetails rejected %s", text)
		}
	}

	// Texts that encoding/json decodes differently or rejects, and that
	// decodeDetails leaves to it.
	fallbacks := []string{
		``, `null`, `[]`, `{"domain_name":null}`, `{"domain_name":"a\"b"}`, `{"domain_name":"\xff"}`,
		"{\"domain_name\":\"a\x01\"}", `{"Domain_Name":"a"}`, `{"unknown":1}`, `{"domain_name":"a","domain_name":"b"}`,
		`{"renewal":{"status":"A"},"renewal":{"status_reason":"B"}}`, `{"issued_at":"2026-01-02 03:04:05Z"}`,
		`{"issued_at":"2026-01-02T24:04:05Z"}`, `{"domain_validations":[{"email_attempts":1.0}]}`,
		`{"domain_validations":[{"email_attempts":01}]}`, `{"domain_validations":[{"email_attempts":99999999999999999999}]}`,
		`{"exported":null}`, `{} x`, `{"domain_name":"a",}`, `{"in_use_by":["a",]}`,
	}
	for _, text := range fallbacks {
		if checkDetailsDecode(t, text) {
			t.Errorf("decodeDetails accepted %q, which encoding/json must decode", text)
		}
	}
}

// decodeDetails decodes what json.Marshal writes for random details, and
// agrees with encoding/json on every mutation of it that it accepts.
func TestDecodeDetailsRandom(t *testing.T) {
	random := rand.New(rand.NewPCG(3, 5))
	fastCount := 0
	for range 3000 {
		encoded, err := json.Marshal(randomDetails(random))
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		text := string(encoded)
		if checkDetailsDecode(t, text) {
			fastCount++
		} else if !strings.Contains(text, `\`) {
			t.Errorf("decodeDetails rejected %s, which has no escapes", text)
		}

		mutated := []byte(text)
		for range 1 + random.IntN(3) {
			position := random.IntN(len(mutated))
			switch random.IntN(3) {
			case 0:
				mutated[position] = " \"{}[],:0-1.eEtrufalsn\\\x00\xc3"[random.IntN(24)]
			case 1:
				mutated = append(mutated[:position], mutated[position+1:]...)
			case 2:
				mutated = mutated[:position]
			}
			if len(mutated) == 0 {
				break
			}
		}
		checkDetailsDecode(t, string(mutated))
		if t.Failed() {
			return
		}
	}
	if fastCount < 300 {
		t.Errorf("decodeDetails accepted %d of 3000 marshaled texts, want at least 300", fastCount)
	}
}

func FuzzDecodeDetails(f *testing.F) {
	random := rand.New(rand.NewPCG(1, 1))
	for range 20 {
		encoded, err := json.Marshal(randomDetails(random))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(encoded))
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkDetailsDecode(t, text)
	})
}

// BenchmarkDecodeDetails compares the decoders on the details of an issued
// DNS-validated certificate.
func BenchmarkDecodeDetails(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	details := certDetails{
		DomainName: "bench-000000.example.com", SubjectAlternativeNames: []string{"bench-000000.example.com"},
		ValidationMethod: "DNS", CTLoggingPreference: "ENABLED",
		DomainValidations: []domainValidationRow{{
			DomainName: "bench-000000.example.com", ValidationDomain: "bench-000000.example.com", ValidationMethod: "DNS",
			ValidationStatus: "SUCCESS", ResourceRecordName: "_0123456789abcdef.bench-000000.example.com.",
			ResourceRecordType: "CNAME", ResourceRecordValue: "_fedcba9876543210.acm-validations.aws.", ValidationEmails: []string{},
		}},
		IssuedAt: at, NotBefore: at, NotAfter: at.Add(395 * 24 * time.Hour), Serial: "0a:1b:2c:3d",
		Subject: "CN=bench-000000.example.com", Issuer: "OpenACM", SignatureAlgorithm: "SHA256WITHRSA",
		KeyUsages:         []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
		ExtendedKeyUsages: []extendedKeyUsageRow{{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"}},
		InUseBy:           []string{}, RenewalEligibility: "ELIGIBLE", ValidationStartedAt: at,
	}
	encoded, err := json.Marshal(details)
	if err != nil {
		b.Fatal(err)
	}
	text := string(encoded)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var details certDetails
			if err := json.Unmarshal([]byte(text), &details); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeDetails", func(b *testing.B) {
		for b.Loop() {
			var details certDetails
			if err := decodeDetails(text, &details); err != nil {
				b.Fatal(err)
			}
		}
	})
}

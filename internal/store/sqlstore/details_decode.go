package sqlstore

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// decodeDetails decodes the JSON of certDetails without reflection: a
// DescribeCertificate call decodes one, and encoding/json took 6 % of the
// server's CPU time in the describe benchmark. It accepts the JSON that
// json.Marshal and PostgreSQL's jsonb write for certDetails. Strings with
// escapes, control characters or invalid UTF-8, null in place of a string,
// time or object member, unknown or repeated keys, and numbers other than
// plain integers return errSummarySyntax, so the caller decodes the text
// with encoding/json. out must be the zero value.
func decodeDetails(text string, out *certDetails) error {
	d := detailsDecoder{summaryDecoder: summaryDecoder{s: text}}
	ok := d.object(func(key string) bool { return d.detailsField(key, out) })
	if !ok {
		return errSummarySyntax
	}
	return d.end()
}

type detailsDecoder struct {
	summaryDecoder
}

// object reads a JSON object and calls field for each key, with the
// decoder at the value. It rejects a repeated key, because encoding/json
// would merge a repeated object into the first one.
func (d *detailsDecoder) object(field func(key string) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	// certDetails has 26 members, so the keys of an object fit on the stack.
	var seenArray [32]string
	seen := seenArray[:0]
	for {
		key, ok := d.text()
		if !ok || !d.consume(':') {
			return false
		}
		for _, previous := range seen {
			if previous == key {
				return false
			}
		}
		seen = append(seen, key)
		if !field(key) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// text reads a string that encoding/json would decode to the same bytes:
// no escapes, no control characters and valid UTF-8.
func (d *detailsDecoder) text() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	start := d.i
	ascii := true
	for ; d.i < len(d.s); d.i++ {
		c := d.s[d.i]
		switch {
		case c == '"':
			value := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(value) {
				return "", false
			}
			return value, true
		case c < 0x20 || c == '\\':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// texts reads an array of strings or null.
func (d *detailsDecoder) texts() ([]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.consume('[') {
		return nil, false
	}
	values := []string{}
	if d.consume(']') {
		return values, true
	}
	for {
		value, ok := d.text()
		if !ok {
			return nil, false
		}
		values = append(values, value)
		if d.consume(',') {
			continue
		}
		return values, d.consume(']')
	}
}

// time reads a time as time.Time.UnmarshalJSON does, with its strict
// RFC 3339 parser.
func (d *detailsDecoder) time() (time.Time, bool) {
	value, ok := d.text()
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	err := t.UnmarshalText([]byte(value))
	return t, err == nil
}

// boolean reads true or false.
func (d *detailsDecoder) boolean() (bool, bool) {
	d.space()
	switch {
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += len("true")
		return true, true
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += len("false")
		return false, true
	}
	return false, false
}

// integer reads a JSON number without fraction or exponent that fits an int.
func (d *detailsDecoder) integer() (int, bool) {
	d.space()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.s[digits] == '0' && d.i-digits > 1) {
		return 0, false
	}
	if d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		return 0, false
	}
	value, err := strconv.Atoi(d.s[start:d.i])
	return value, err == nil
}

// detailsField reads the value of key into out.
func (d *detailsDecoder) detailsField(key string, out *certDetails) bool {
	var ok bool
	switch key {
	case "domain_name":
		out.DomainName, ok = d.text()
	case "subject_alternative_names":
		out.SubjectAlternativeNames, ok = d.texts()
	case "failure_reason":
		out.FailureReason, ok = d.text()
	case "validation_method":
		out.ValidationMethod, ok = d.text()
	case "domain_validations":
		out.DomainValidations, ok = d.domainValidations()
	case "certificate_authority_arn":
		out.CertificateAuthorityArn, ok = d.text()
	case "ct_logging_preference":
		out.CTLoggingPreference, ok = d.text()
	case "issued_at":
		out.IssuedAt, ok = d.time()
	case "imported_at":
		out.ImportedAt, ok = d.time()
	case "revoked_at":
		out.RevokedAt, ok = d.time()
	case "not_before":
		out.NotBefore, ok = d.time()
	case "not_after":
		out.NotAfter, ok = d.time()
	case "revocation_reason":
		out.RevocationReason, ok = d.text()
	case "serial":
		out.Serial, ok = d.text()
	case "subject":
		out.Subject, ok = d.text()
	case "issuer":
		out.Issuer, ok = d.text()
	case "signature_algorithm":
		out.SignatureAlgorithm, ok = d.text()
	case "key_usages":
		out.KeyUsages, ok = d.texts()
	case "extended_key_usages":
		out.ExtendedKeyUsages, ok = d.extendedKeyUsages()
	case "in_use_by":
		out.InUseBy, ok = d.texts()
	case "exported":
		out.Exported, ok = d.boolean()
	case "renewal_eligibility":
		out.RenewalEligibility, ok = d.text()
	case "validation_started_at":
		out.ValidationStartedAt, ok = d.time()
	case "renewal":
		out.Renewal, ok = d.renewal()
	case "expiry_notice_at":
		out.ExpiryNoticeAt, ok = d.time()
	}
	return ok
}

// renewal reads a renewalRow object or null.
func (d *detailsDecoder) renewal() (*renewalRow, bool) {
	if d.null() {
		return nil, true
	}
	renewal := &renewalRow{}
	ok := d.object(func(key string) bool {
		var ok bool
		switch key {
		case "status":
			renewal.Status, ok = d.text()
		case "status_reason":
			renewal.StatusReason, ok = d.text()
		case "domain_validations":
			renewal.DomainValidations, ok = d.domainValidations()
		case "started_at":
			renewal.StartedAt, ok = d.time()
		case "updated_at":
			renewal.UpdatedAt, ok = d.time()
		}
		return ok
	})
	return renewal, ok
}

// extendedKeyUsages reads an array of extendedKeyUsageRow objects or null.
func (d *detailsDecoder) extendedKeyUsages() ([]extendedKeyUsageRow, bool) {
	if d.null() {
		return nil, true
	}
	if !d.consume('[') {
		return nil, false
	}
	values := []extendedKeyUsageRow{}
	if d.consume(']') {
		return values, true
	}
	for {
		var value extendedKeyUsageRow
		ok := d.object(func(key string) bool {
			var ok bool
			switch key {
			case "name":
				value.Name, ok = d.text()
			case "oid":
				value.OID, ok = d.text()
			}
			return ok
		})
		if !ok {
			return nil, false
		}
		values = append(values, value)
		if d.consume(',') {
			continue
		}
		return values, d.consume(']')
	}
}

// domainValidations reads an array of domainValidationRow objects or null.
func (d *detailsDecoder) domainValidations() ([]domainValidationRow, bool) {
	if d.null() {
		return nil, true
	}
	if !d.consume('[') {
		return nil, false
	}
	values := []domainValidationRow{}
	if d.consume(']') {
		return values, true
	}
	for {
		var value domainValidationRow
		if !d.object(func(key string) bool { return d.domainValidationField(key, &value) }) {
			return nil, false
		}
		values = append(values, value)
		if d.consume(',') {
			continue
		}
		return values, d.consume(']')
	}
}

// domainValidationField reads the value of key into out.
func (d *detailsDecoder) domainValidationField(key string, out *domainValidationRow) bool {
	var ok bool
	switch key {
	case "domain_name":
		out.DomainName, ok = d.text()
	case "validation_domain":
		out.ValidationDomain, ok = d.text()
	case "validation_method":
		out.ValidationMethod, ok = d.text()
	case "validation_status":
		out.ValidationStatus, ok = d.text()
	case "resource_record_name":
		out.ResourceRecordName, ok = d.text()
	case "resource_record_type":
		out.ResourceRecordType, ok = d.text()
	case "resource_record_value":
		out.ResourceRecordValue, ok = d.text()
	case "validation_emails":
		out.ValidationEmails, ok = d.texts()
	case "redirect_from":
		out.RedirectFrom, ok = d.text()
	case "redirect_to":
		out.RedirectTo, ok = d.text()
	case "approval_nonce":
		out.ApprovalNonce, ok = d.text()
	case "email_delivered":
		out.EmailDelivered, ok = d.texts()
	case "email_bounced":
		out.EmailBounced, ok = d.texts()
	case "email_attempts":
		out.EmailAttempts, ok = d.integer()
	case "email_next_attempt_at":
		out.EmailNextAttemptAt, ok = d.time()
	}
	return ok
}

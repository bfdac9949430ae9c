package sqlstore

import (
	"errors"
	"strings"
	"time"
)

// errSummarySyntax makes decodeSummary fall back to encoding/json.
var errSummarySyntax = errors.New("summary outside the fast decoder's subset")

// decodeSummary decodes the JSON of certSummaryDetails without
// reflection: a page of a listing decodes one per certificate, and
// encoding/json took half of a page's time. It accepts the JSON that
// json.Marshal, SQLite's json_remove and PostgreSQL's jsonb write for
// these fields, with no escapes in strings. Anything else returns
// errSummarySyntax, so the caller decodes it with encoding/json.
func decodeSummary(text string, out *certSummaryDetails) error {
	return decodeSummaryIn(text, out, nil)
}

// decodeSummaryIn is decodeSummary with the string arrays appended to
// arena when it is not nil.
func decodeSummaryIn(text string, out *certSummaryDetails, arena *pageArena) error {
	d := summaryDecoder{s: text, arena: arena}
	if !d.consume('{') {
		return errSummarySyntax
	}
	if d.consume('}') {
		return d.end()
	}
	for {
		key, ok := d.str()
		if !ok || !d.consume(':') {
			return errSummarySyntax
		}
		if !d.field(key, out) {
			return errSummarySyntax
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return d.end()
		}
		return errSummarySyntax
	}
}

type summaryDecoder struct {
	s     string
	i     int
	arena *pageArena
}

func (d *summaryDecoder) space() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\n' || d.s[d.i] == '\t' || d.s[d.i] == '\r') {
		d.i++
	}
}

func (d *summaryDecoder) consume(c byte) bool {
	d.space()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *summaryDecoder) end() error {
	d.space()
	if d.i != len(d.s) {
		return errSummarySyntax
	}
	return nil
}

// str reads a string without escapes.
func (d *summaryDecoder) str() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	n := strings.IndexByte(d.s[d.i:], '"')
	if n < 0 {
		return "", false
	}
	value := d.s[d.i : d.i+n]
	if strings.IndexByte(value, '\\') >= 0 {
		return "", false
	}
	d.i += n + 1
	return value, true
}

// null reads a JSON null.
func (d *summaryDecoder) null() bool {
	d.space()
	if strings.HasPrefix(d.s[d.i:], "null") {
		d.i += len("null")
		return true
	}
	return false
}

// strs reads an array of strings or null.
func (d *summaryDecoder) strs() ([]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.consume('[') {
		return nil, false
	}
	if d.consume(']') {
		return []string{}, true
	}
	var values []string
	start := 0
	if d.arena != nil {
		values, start = d.arena.names, len(d.arena.names)
	}
	for {
		value, ok := d.str()
		if !ok {
			return nil, false
		}
		values = append(values, value)
		if d.consume(',') {
			continue
		}
		if d.arena != nil {
			d.arena.names = values
			values = values[start:len(values):len(values)]
		}
		return values, d.consume(']')
	}
}

func (d *summaryDecoder) time() (time.Time, bool) {
	text, ok := d.str()
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	return t, err == nil
}

// field reads the value of key into out.
func (d *summaryDecoder) field(key string, out *certSummaryDetails) bool {
	var ok bool
	switch key {
	case "domain_name":
		out.DomainName, ok = d.str()
	case "renewal_eligibility":
		out.RenewalEligibility, ok = d.str()
	case "subject_alternative_names":
		out.SubjectAlternativeNames, ok = d.strs()
	case "in_use_by":
		out.InUseBy, ok = d.strs()
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
	case "exported":
		d.space()
		switch {
		case strings.HasPrefix(d.s[d.i:], "true"):
			out.Exported, ok = true, true
			d.i += len("true")
		case strings.HasPrefix(d.s[d.i:], "false"):
			out.Exported, ok = false, true
			d.i += len("false")
		}
	}
	return ok
}

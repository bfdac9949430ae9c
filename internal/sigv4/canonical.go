package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// unsignedPayload is the X-Amz-Content-Sha256 value of a client that chose
// not to sign the body.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// buildCanonicalRequest rebuilds the canonical request the client hashed:
// method, URI, query, signed headers with their values, the list of signed
// header names and the payload hash, one per line.
func buildCanonicalRequest(r *http.Request, signed signedRequest, body []byte) string {
	names := strings.Split(signed.signedHeaders, ";")

	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, signed.presigned))
	b.WriteByte('\n')
	for _, name := range names {
		b.WriteString(strings.ToLower(name))
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signed.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash(r, body, signed.presigned))
	return b.String()
}

// canonicalURI returns the path as sent, URI-encoded once more. Every AWS
// service except S3 encodes the already-escaped path a second time, and the
// AWS SDKs sign non-S3 requests that way.
func canonicalURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return uriEncode(path, false)
}

// canonicalQuery sorts the query parameters by encoded name, then value, and
// encodes each the SigV4 way. The signature of a presigned request is left
// out because it cannot sign itself.
func canonicalQuery(rawQuery string, presigned bool) string {
	type parameter struct{ name, value string }

	var parameters []parameter
	for _, pair := range strings.Split(rawQuery, "&") {
		if pair == "" {
			continue
		}

		name, value, _ := strings.Cut(pair, "=")
		name, value = queryUnescape(name), queryUnescape(value)
		if presigned && name == "X-Amz-Signature" {
			continue
		}
		parameters = append(parameters, parameter{uriEncode(name, true), uriEncode(value, true)})
	}

	sort.Slice(parameters, func(i, j int) bool {
		if parameters[i].name != parameters[j].name {
			return parameters[i].name < parameters[j].name
		}
		return parameters[i].value < parameters[j].value
	})

	var b strings.Builder
	for i, p := range parameters {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// queryUnescape decodes a query component and keeps a malformed one as sent,
// so that it still takes part in the signature instead of vanishing.
func queryUnescape(s string) string {
	decoded, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return decoded
}

// uriEncode percent-encodes every byte outside the RFC 3986 unreserved set
// with uppercase hex. A slash stays as is unless encodeSlash is set.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"

	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0F])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalHeaderValue returns the value of one signed header: all its
// values trimmed, inner runs of spaces collapsed, and joined with commas.
//
// Go's server moves Host out of r.Header into r.Host, and may expose the
// body length only as r.ContentLength, so both are read from there.
func canonicalHeaderValue(r *http.Request, name string) string {
	if strings.EqualFold(name, "host") {
		if r.Host != "" {
			return collapseSpaces(r.Host)
		}
		return collapseSpaces(r.URL.Host)
	}

	values := r.Header.Values(name)
	if len(values) == 0 && strings.EqualFold(name, "content-length") && r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}

	if len(values) == 1 {
		return collapseSpaces(values[0])
	}
	cleaned := make([]string, len(values))
	for i, value := range values {
		cleaned[i] = collapseSpaces(value)
	}
	return strings.Join(cleaned, ",")
}

// collapseSpaces trims s and replaces each inner run of spaces with one space.
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}

	var b strings.Builder
	b.Grow(len(s))
	previousSpace := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && previousSpace {
			continue
		}
		previousSpace = s[i] == ' '
		b.WriteByte(s[i])
	}
	return b.String()
}

// payloadHash returns the hex SHA-256 of the body, or UNSIGNED-PAYLOAD when
// the client declared that in X-Amz-Content-Sha256. Any other declared value
// is ignored: a declared hash that differs from the body must fail the
// signature check, and hashing the body makes sure it does.
func payloadHash(r *http.Request, body []byte, presigned bool) string {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" && presigned {
		declared = r.URL.Query().Get("X-Amz-Content-Sha256")
	}
	if declared == unsignedPayload {
		return unsignedPayload
	}

	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// algorithm is the only signing algorithm these services accept.
const algorithm = "AWS4-HMAC-SHA256"

// maxPresignExpiry is the longest X-Amz-Expires AWS accepts: one week, in seconds.
const maxPresignExpiry = 604800

// authorization holds the parameters of an AWS4-HMAC-SHA256 Authorization
// header. Empty fields were absent from the header.
type authorization struct {
	credential    string
	signedHeaders string
	signature     string
}

// signedRequest is the signature data of a request, read either from the
// Authorization header or from a presigned query string.
type signedRequest struct {
	presigned     bool
	credential    string
	signedHeaders string // as sent, e.g. "content-type;host;x-amz-date"
	signature     string
	time          time.Time
	expires       time.Duration // X-Amz-Expires of a presigned request
	hasExpires    bool
}

// readSignedRequest picks the Authorization header or, without one, the
// presigned query parameters, and checks that every part AWS requires is there.
func readSignedRequest(r *http.Request) (signedRequest, error) {
	if values, ok := r.Header["Authorization"]; ok {
		return readAuthorizationHeader(r, strings.Join(values, ","))
	}

	query := r.URL.Query()
	if query.Has("X-Amz-Algorithm") {
		return readPresignedQuery(query)
	}

	return signedRequest{}, apierr.New(apierr.MissingAuthenticationToken, "Missing Authentication Token")
}

func readAuthorizationHeader(r *http.Request, header string) (signedRequest, error) {
	auth, err := parseAuthorization(header)
	if err != nil {
		return signedRequest{}, err
	}

	date, dateFromHeader := requestDate(r.Header)
	if err := requireAuthorizationParts(auth, header, date != ""); err != nil {
		return signedRequest{}, err
	}

	if err := requireSignedHost(auth.signedHeaders); err != nil {
		return signedRequest{}, err
	}

	requestTime, err := parseRequestTime(date, dateFromHeader)
	if err != nil {
		return signedRequest{}, err
	}

	return signedRequest{
		credential:    auth.credential,
		signedHeaders: auth.signedHeaders,
		signature:     auth.signature,
		time:          requestTime,
	}, nil
}

// parseAuthorization splits an Authorization header into its SigV4 parameters.
//
// A header in another scheme (a JWT, "AWS key:signature" of SigV2) returns an
// empty authorization and no error, because AWS then reports every SigV4
// parameter as missing. Parameters are separated by commas or spaces, which
// is why AWS names a stray space-separated word as the pair that lacks "=".
func parseAuthorization(header string) (authorization, error) {
	scheme, params, _ := strings.Cut(strings.TrimSpace(header), " ")
	if scheme != algorithm {
		if looksLikeSigV4Algorithm(scheme) {
			return authorization{}, apierr.New(apierr.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", scheme)
		}
		return authorization{}, nil
	}

	var auth authorization
	for _, pair := range strings.FieldsFunc(params, isParameterSeparator) {
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			return authorization{}, apierr.New(apierr.IncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", pair, header)
		}

		switch key {
		case "Credential":
			auth.credential = value
		case "SignedHeaders":
			auth.signedHeaders = value
		case "Signature":
			auth.signature = value
		}
	}
	return auth, nil
}

func isParameterSeparator(c rune) bool {
	return c == ',' || c == ' ' || c == '\t'
}

// looksLikeSigV4Algorithm reports whether scheme names an AWS signing
// algorithm other than the supported one, such as SigV4a's
// "AWS4-ECDSA-P256-SHA256".
//
// NOTE: which schemes get "Unsupported AWS 'algorithm'" from AWS instead of
// the missing-parameter message is inferred from observed replies, not
// documented.
func looksLikeSigV4Algorithm(scheme string) bool {
	return strings.HasPrefix(scheme, "AWS4-") || (strings.HasPrefix(scheme, "AWS") && strings.Contains(scheme, "-HMAC-"))
}

// requireAuthorizationParts returns AWS's IncompleteSignatureException that
// lists every missing part at once, followed by the header as received.
func requireAuthorizationParts(auth authorization, header string, hasDate bool) error {
	var missing []string
	if auth.credential == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if auth.signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if auth.signedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if !hasDate {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}

	if len(missing) == 0 {
		return nil
	}
	return apierr.New(apierr.IncompleteSignature, "%s Authorization=%s", strings.Join(missing, " "), header)
}

// requireSignedHost rejects a signature that does not cover the Host header,
// because such a signature could be replayed against another endpoint.
func requireSignedHost(signedHeaders string) error {
	for _, name := range strings.Split(signedHeaders, ";") {
		if strings.EqualFold(name, "host") {
			return nil
		}
	}
	return apierr.New(apierr.InvalidSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
}

// requestDate returns X-Amz-Date, or the Date header when X-Amz-Date is
// absent, and whether the value came from Date.
func requestDate(header http.Header) (value string, fromDateHeader bool) {
	if value := header.Get("X-Amz-Date"); value != "" {
		return value, false
	}
	return header.Get("Date"), true
}

// presignedParameters are the query parameters a presigned request must carry,
// in the order they are checked.
var presignedParameters = []string{
	"X-Amz-Algorithm",
	"X-Amz-Credential",
	"X-Amz-Signature",
	"X-Amz-Date",
	"X-Amz-SignedHeaders",
}

func readPresignedQuery(query map[string][]string) (signedRequest, error) {
	get := func(name string) string {
		if values := query[name]; len(values) > 0 {
			return values[0]
		}
		return ""
	}

	for _, name := range presignedParameters {
		if get(name) == "" {
			// NOTE: this text is AWS's wording as remembered from query-string
			// replies of JSON services; no stored copy of it was found.
			return signedRequest{}, apierr.New(apierr.IncompleteSignature,
				"AWS query-string parameters must include '%s'. Re-examine the query-string parameters.", name)
		}
	}

	if scheme := get("X-Amz-Algorithm"); scheme != algorithm {
		return signedRequest{}, apierr.New(apierr.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", scheme)
	}

	if err := requireSignedHost(get("X-Amz-SignedHeaders")); err != nil {
		return signedRequest{}, err
	}

	requestTime, err := parseRequestTime(get("X-Amz-Date"), false)
	if err != nil {
		return signedRequest{}, err
	}

	expires, hasExpires, err := parseExpires(get("X-Amz-Expires"))
	if err != nil {
		return signedRequest{}, err
	}

	return signedRequest{
		presigned:     true,
		credential:    get("X-Amz-Credential"),
		signedHeaders: get("X-Amz-SignedHeaders"),
		signature:     get("X-Amz-Signature"),
		time:          requestTime,
		expires:       expires,
		hasExpires:    hasExpires,
	}, nil
}

// parseExpires reads X-Amz-Expires, in seconds. Without it the request has
// no expiry of its own and only the clock skew limit applies.
func parseExpires(value string) (expires time.Duration, present bool, err error) {
	if value == "" {
		return 0, false, nil
	}

	seconds, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, false, apierr.New(apierr.IncompleteSignature, "X-Amz-Expires should be a number")
	}
	if seconds < 0 {
		return 0, false, apierr.New(apierr.IncompleteSignature, "X-Amz-Expires must be non-negative")
	}
	if seconds > maxPresignExpiry {
		return 0, false, apierr.New(apierr.IncompleteSignature,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", maxPresignExpiry)
	}
	return time.Duration(seconds) * time.Second, true, nil
}

// ClaimedAccessKeyID returns the access key id a request names in its
// Authorization header or presigned query, without checking anything. It
// is for logging who tried a request that failed to authenticate; the
// result is cut to 128 bytes because the client controls it.
func ClaimedAccessKeyID(r *http.Request) string {
	credential := ""
	if values, ok := r.Header["Authorization"]; ok {
		auth, err := parseAuthorization(strings.Join(values, ","))
		if err == nil {
			credential = auth.credential
		}
	} else {
		credential = r.URL.Query().Get("X-Amz-Credential")
	}

	accessKeyID, _, _ := strings.Cut(credential, "/")
	if len(accessKeyID) > 128 {
		accessKeyID = accessKeyID[:128]
	}
	return accessKeyID
}

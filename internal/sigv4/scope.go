package sigv4

import (
	"regexp"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// scopeTerminator is the last element of every SigV4 credential scope.
const scopeTerminator = "aws4_request"

// regionPattern matches the shape of AWS region names such as us-east-1,
// us-gov-west-1 or eusc-de-east-1.
//
// NOTE: this checks the shape only. AWS rejects any region other than the
// endpoint's own, but the Verifier has no field for the region it serves.
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)

// credentialScope is the parsed X-Amz-Credential value
// "<access key id>/<yyyymmdd>/<region>/<service>/aws4_request".
type credentialScope struct {
	accessKeyID string
	date        string
	region      string
	service     string
	terminator  string
}

func parseCredentialScope(credential string) (credentialScope, error) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return credentialScope{}, apierr.New(apierr.IncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential)
	}

	return credentialScope{
		accessKeyID: parts[0],
		date:        parts[1],
		region:      parts[2],
		service:     parts[3],
		terminator:  parts[4],
	}, nil
}

// String returns the scope without the access key id, as it appears in the
// string to sign.
func (s credentialScope) String() string {
	return s.date + "/" + s.region + "/" + s.service + "/" + s.terminator
}

// check compares the scope with the endpoint's signing name and the request
// time. Like AWS it reports every mismatch in one message, each sentence
// followed by a space.
func (s credentialScope) check(service string, requestTime time.Time) error {
	var problems strings.Builder
	if !regionPattern.MatchString(s.region) {
		problems.WriteString("Credential should be scoped to a valid region, not '" + s.region + "'. ")
	}
	if s.service != service {
		problems.WriteString("Credential should be scoped to correct service: '" + service + "'. ")
	}
	if s.terminator != scopeTerminator {
		problems.WriteString("Credential should be scoped with a valid terminator: '" + scopeTerminator + "', not '" + s.terminator + "'. ")
	}

	requestDay := requestTime.UTC().Format(scopeDateFormat)
	if s.date != requestDay {
		problems.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			s.date + "' != '" + requestDay + "', from '" + requestTime.UTC().Format(amzDateFormat) + "'. ")
	}

	if problems.Len() == 0 {
		return nil
	}
	return apierr.New(apierr.InvalidSignature, "%s", problems.String())
}

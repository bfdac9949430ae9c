package sigv4

import (
	"fmt"
	"net/http"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// Time layouts of SigV4: the ISO 8601 basic format of X-Amz-Date and the day
// of the credential scope.
const (
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
)

// parseRequestTime reads the request time in ISO 8601 basic format. A value
// from the Date header may also use the HTTP date format, because that is
// what the Date header normally carries.
func parseRequestTime(value string, fromDateHeader bool) (time.Time, error) {
	if t, err := time.Parse(amzDateFormat, value); err == nil {
		return t, nil
	}

	if fromDateHeader {
		if t, err := http.ParseTime(value); err == nil {
			return t.UTC(), nil
		}
	}

	return time.Time{}, apierr.New(apierr.IncompleteSignature,
		"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", value)
}

// checkTime rejects a request signed too long before or after now. A
// presigned request with X-Amz-Expires may be used for that long after it
// was signed instead of MaxSkew.
func (v *Verifier) checkTime(signed signedRequest) error {
	now := v.now().UTC()
	skew := v.maxSkew()

	window := skew
	if signed.hasExpires {
		window = signed.expires
	}

	earliest := now.Add(-window)
	if signed.time.Before(earliest) {
		// NOTE: AWS's wording for an expired presigned URL of a JSON service
		// was not found. It gets the sentence of an expired header signature,
		// with X-Amz-Expires as the window.
		return apierr.New(apierr.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s)",
			signed.time.Format(amzDateFormat), earliest.Format(amzDateFormat), now.Format(amzDateFormat), formatWindow(window))
	}

	latest := now.Add(skew)
	if signed.time.After(latest) {
		return apierr.New(apierr.InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s)",
			signed.time.Format(amzDateFormat), latest.Format(amzDateFormat), now.Format(amzDateFormat), formatWindow(skew))
	}

	return nil
}

// formatWindow writes a duration the way AWS does in skew messages ("5 min."),
// falling back to seconds for durations that are not whole minutes.
func formatWindow(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return fmt.Sprintf("%d sec.", d/time.Second)
}

// Package throttle limits request rates with one token bucket per account
// and operation, as AWS throttles each API per account. It decides only
// whether a request may go on; the api package sends the
// ThrottlingException.
package throttle

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Modes of the --throttle setting besides a custom rate list.
const (
	ModeOff = "off"
	ModeAWS = "aws"
)

// AnyOperation is the key of the rate that applies to operations a rate
// list does not name.
const AnyOperation = "*"

// ACMRates are ACM's published API rate quotas, in requests per second per
// account and region, keyed by X-Amz-Target.
//
// NOTE: these were copied from the "API rate quotas" table of the ACM
// quotas page as remembered, not read from it here; check them against
// that page before relying on exact values.
// TODO: add the published rates of the acm-pca operations.
var ACMRates = map[string]float64{
	"CertificateManager.AddTagsToCertificate":      5,
	"CertificateManager.DeleteCertificate":         10,
	"CertificateManager.DescribeCertificate":       10,
	"CertificateManager.ExportCertificate":         5,
	"CertificateManager.GetAccountConfiguration":   1,
	"CertificateManager.GetCertificate":            10,
	"CertificateManager.ImportCertificate":         1,
	"CertificateManager.ListCertificates":          1,
	"CertificateManager.ListTagsForCertificate":    10,
	"CertificateManager.PutAccountConfiguration":   1,
	"CertificateManager.RemoveTagsFromCertificate": 5,
	"CertificateManager.RenewCertificate":          5,
	"CertificateManager.RequestCertificate":        5,
	"CertificateManager.ResendValidationEmail":     1,
	"CertificateManager.RevokeCertificate":         5,
	"CertificateManager.UpdateCertificateOptions":  5,
}

// Limiter holds the token buckets. The bucket of a rate r holds up to
// max(1, r) tokens, so a client may send one second's worth at once. The
// zero value and a nil *Limiter allow everything. It is safe for
// concurrent use.
type Limiter struct {
	rates map[string]float64

	mu      sync.Mutex
	buckets map[bucketKey]*rate.Limiter
}

type bucketKey struct {
	account   string
	operation string
}

// Parse builds a Limiter from the --throttle setting: "off", "aws" (ACM's
// published rates), or a list such as
// "CertificateManager.ListCertificates=2,*=20" of X-Amz-Target=rate in
// requests per second, where "*" covers every target not named. It returns
// nil for "off".
func Parse(setting string) (*Limiter, error) {
	switch setting {
	case ModeOff, "":
		return nil, nil
	case ModeAWS:
		return New(ACMRates), nil
	}

	rates := map[string]float64{}
	for _, item := range strings.Split(setting, ",") {
		target, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || target == "" {
			return nil, fmt.Errorf("invalid throttle rate %q: want Target=rate, such as CertificateManager.ListCertificates=2 or *=20", item)
		}
		perSecond, err := strconv.ParseFloat(value, 64)
		if err != nil || perSecond <= 0 {
			return nil, fmt.Errorf("invalid throttle rate %q: want a number of requests per second above 0", item)
		}
		rates[target] = perSecond
	}
	return New(rates), nil
}

// New returns a Limiter with rates in requests per second keyed by
// X-Amz-Target, plus AnyOperation for the rest. A target with no rate and
// no AnyOperation entry is not limited.
func New(rates map[string]float64) *Limiter {
	return &Limiter{rates: rates, buckets: map[bucketKey]*rate.Limiter{}}
}

// Allow takes a token from the bucket of account and target at time now,
// and reports whether one was there.
func (l *Limiter) Allow(account, target string, now time.Time) bool {
	if l == nil || l.rates == nil {
		return true
	}
	bucket := l.bucket(account, target)
	if bucket == nil {
		return true
	}
	return bucket.AllowN(now, 1)
}

func (l *Limiter) bucket(account, target string) *rate.Limiter {
	perSecond, ok := l.rates[target]
	if !ok {
		perSecond, ok = l.rates[AnyOperation]
	}
	if !ok {
		return nil
	}

	// Unknown targets share one bucket per account, so a client sending
	// made-up targets cannot grow the map without bound.
	operation := target
	if _, named := l.rates[target]; !named {
		operation = AnyOperation
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	key := bucketKey{account: account, operation: operation}
	bucket, ok := l.buckets[key]
	if !ok {
		burst := max(1, int(perSecond))
		bucket = rate.NewLimiter(rate.Limit(perSecond), burst)
		l.buckets[key] = bucket
	}
	return bucket
}

package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// newClosedConnRetryer returns a retryer that retries a call once when it
// failed on a connection the client itself had closed (net.ErrClosed), and
// counts each such retry in retries. Every other error, including every
// error the server returns, is reported as it is.
//
// Go's HTTP transport can close a kept-alive connection from its request
// writer while the response is still being read, and the read then fails
// with "use of closed network connection". The standard retryer of
// aws-sdk-go-v2 (v1.48.0, aws/retry RetryableConnectionError) retries that
// error, so a client with default settings does not show it to its caller.
// The tool keeps the count so a report still shows how often it happened.
// benchkit.OneWriteClient removes the one cause found, and the
// retryer stays for any other.
// As with a default client, a retried RequestCertificate without an
// idempotency token may create a second certificate.
func newClosedConnRetryer(retries *atomic.Int64) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(noBackoff)
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return aws.FalseTernary
			}
			if errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection") {
				retries.Add(1)
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
		o.Timeouts = nil
	})
}

func noBackoff(int, error) (time.Duration, error) { return 0, nil }

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go"
)

// TestClosedConnRetryer checks which errors the bench client retries and
// that it counts each retry.
func TestClosedConnRetryer(t *testing.T) {
	var retries atomic.Int64
	retryer := newClosedConnRetryer(&retries)

	if got := retryer.MaxAttempts(); got != 2 {
		t.Errorf("MaxAttempts = %d, want 2", got)
	}

	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	if !retryer.IsErrorRetryable(fmt.Errorf("deserialization failed: %w", closed)) {
		t.Error("read on a closed connection is not retried, want retried")
	}
	if !retryer.IsErrorRetryable(errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection")) {
		t.Error("closed-connection message without a wrapped error is not retried, want retried")
	}
	if got := retries.Load(); got != 2 {
		t.Errorf("retries = %d after two retried errors, want 2", got)
	}

	notRetried := []error{
		&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
		errors.New("http response error StatusCode: 500"),
		fmt.Errorf("canceled: %w", context.Canceled),
	}
	for _, err := range notRetried {
		if retryer.IsErrorRetryable(err) {
			t.Errorf("%v is retried, want reported", err)
		}
	}
	if got := retries.Load(); got != 2 {
		t.Errorf("retries = %d after errors that are not retried, want 2", got)
	}
}

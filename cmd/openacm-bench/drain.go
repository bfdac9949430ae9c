package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// drainPollInterval is how often drain counts the pending certificates.
const drainPollInterval = 500 * time.Millisecond

// drain waits until no certificate of the run's region is
// PENDING_VALIDATION, so the next scenario starts on a server that has
// finished issuing what earlier scenarios requested. It gives up after
// -issue-timeout.
func drain(ctx context.Context, b *bench, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.IssueTimeout)
	defer cancel()

	start := time.Now()
	first := -1
	for {
		pending, err := countPending(ctx, b.acm)
		switch {
		case err != nil:
			// A failed count is retried at the next poll, because one failed
			// call does not show whether work is pending. The error is printed.
			fmt.Fprintf(out, "drain: counting pending certificates in %s failed, retrying: %v\n", b.opts.Region, err)
		case first < 0:
			first = pending
		}
		if err == nil && pending == 0 {
			fmt.Fprintf(out, "drained: %d pending certificates issued in %.1f s\n", first, time.Since(start).Seconds())
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("certificates still pending in %s after %s; raise -issue-timeout", b.opts.Region, b.opts.IssueTimeout)
		case <-time.After(drainPollInterval):
		}
	}
}

// countPending counts the PENDING_VALIDATION certificates of every key
// algorithm in the client's region.
func countPending(ctx context.Context, client *acm.Client) (int, error) {
	input := &acm.ListCertificatesInput{
		CertificateStatuses: []types.CertificateStatus{types.CertificateStatusPendingValidation},
		Includes:            &types.Filters{KeyTypes: types.KeyAlgorithm("").Values()},
		MaxItems:            aws.Int32(1000),
	}
	count := 0
	paginator := acm.NewListCertificatesPaginator(client, input)
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		count += len(page.CertificateSummaryList)
	}
	return count, nil
}

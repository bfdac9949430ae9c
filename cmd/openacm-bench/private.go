package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"
)

// pollInterval is how often the tool checks whether a CA or a certificate
// has reached the state it waits for.
const pollInterval = 2 * time.Millisecond

// sustainedPollInterval is how often request-private polls a certificate
// it waits for. The polls share the cores with the issuance being
// measured, so they are kept rare. The rate does not depend on the
// interval, because it is taken from the server's IssuedAt times. At
// 20 ms, the polls and their replies took an estimated 2 % of two cores
// away from key generation in a sustained RSA-2048 run.
const sustainedPollInterval = 100 * time.Millisecond

// caSetupTimeout bounds creating and activating the private CA.
const caSetupTimeout = 2 * time.Minute

// ensureCA creates a root CA through acm-pca and activates it: it waits for
// the CSR, signs it with the RootCACertificate/V1 template and imports the
// result, as a user of AWS Private CA would.
func (b *bench) ensureCA(ctx context.Context) error {
	if b.caArn != "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, caSetupTimeout)
	defer cancel()

	signing := pcatypes.SigningAlgorithmSha256withecdsa
	if strings.HasPrefix(b.opts.CAKeyAlgorithm, "RSA") {
		signing = pcatypes.SigningAlgorithmSha256withrsa
	}
	created, err := b.pca.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: pcatypes.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: &pcatypes.CertificateAuthorityConfiguration{
			KeyAlgorithm:     pcatypes.KeyAlgorithm(b.opts.CAKeyAlgorithm),
			SigningAlgorithm: signing,
			Subject:          &pcatypes.ASN1Subject{CommonName: aws.String("openacm-bench root CA"), Organization: aws.String("openacm-bench")},
		},
	})
	if err != nil {
		return fmt.Errorf("CreateCertificateAuthority: %w", err)
	}
	arn := created.CertificateAuthorityArn

	csr, err := poll(ctx, func() (*acmpca.GetCertificateAuthorityCsrOutput, error) {
		return b.pca.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: arn})
	})
	if err != nil {
		return fmt.Errorf("GetCertificateAuthorityCsr: %w", err)
	}
	issued, err := b.pca.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: arn,
		Csr:                     []byte(aws.ToString(csr.Csr)),
		SigningAlgorithm:        signing,
		TemplateArn:             aws.String("arn:aws:acm-pca:::template/RootCACertificate/V1"),
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeYears, Value: aws.Int64(5)},
	})
	if err != nil {
		return fmt.Errorf("IssueCertificate for the CA: %w", err)
	}
	root, err := poll(ctx, func() (*acmpca.GetCertificateOutput, error) {
		return b.pca.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: arn, CertificateArn: issued.CertificateArn})
	})
	if err != nil {
		return fmt.Errorf("GetCertificate for the CA: %w", err)
	}
	_, err = b.pca.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: arn,
		Certificate:             []byte(aws.ToString(root.Certificate)),
	})
	if err != nil {
		return fmt.Errorf("ImportCertificateAuthorityCertificate: %w", err)
	}
	b.caArn = aws.ToString(arn)
	return nil
}

// poll repeats get while it fails with an error that AWS Private CA returns
// for work still in progress.
func poll[T any](ctx context.Context, get func() (T, error)) (T, error) {
	for {
		out, err := get()
		var apiErr smithy.APIError
		if err == nil || !errors.As(err, &apiErr) {
			return out, err
		}
		switch apiErr.ErrorCode() {
		case "RequestInProgressException", "InvalidStateException":
		default:
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}

func (b *bench) requestPrivate(ctx context.Context, r *recorder) (string, error) {
	var arn string
	err := r.call("RequestCertificate", func() error {
		out, err := b.acm.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName:              aws.String(uniqueName(0, 0)),
			CertificateAuthorityArn: aws.String(b.caArn),
			KeyAlgorithm:            acmtypes.KeyAlgorithm(b.opts.KeyAlgorithm),
		})
		if err == nil {
			arn = aws.ToString(out.CertificateArn)
		}
		return err
	})
	return arn, err
}

// waitIssued polls DescribeCertificate every interval until the
// certificate is ISSUED. It returns the certificate's IssuedAt, or the time
// it was seen issued when the server returns no IssuedAt. A wait that ctx
// cuts off is not counted as an error, because the end of a timed run cuts
// off the last wait. Callers with a deadline of their own count it.
func (b *bench) waitIssued(ctx context.Context, arn string, interval time.Duration, r *recorder) (time.Time, error) {
	for {
		var status acmtypes.CertificateStatus
		var issuedAt time.Time
		err := r.call("DescribeCertificate", func() error {
			out, err := b.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
			if err == nil {
				status = out.Certificate.Status
				issuedAt = aws.ToTime(out.Certificate.IssuedAt)
			}
			return err
		})
		if err != nil {
			return time.Time{}, err
		}
		switch status {
		case acmtypes.CertificateStatusIssued:
			if issuedAt.IsZero() {
				issuedAt = time.Now()
			}
			return issuedAt, nil
		case acmtypes.CertificateStatusPendingValidation:
		default:
			r.errors["Issue: "+string(status)]++
			return time.Time{}, benchError(status)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(interval):
		}
	}
}

func prepareTimeToIssued(ctx context.Context, b *bench) (iteration, error) {
	if err := b.ensureCA(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _, _ int, r *recorder) error {
		start := time.Now()
		arn, err := b.requestPrivate(ctx, r)
		if err != nil {
			return err
		}
		// A timed run lets this wait finish after its duration, so the wait
		// has a bound of its own.
		waitCtx, cancel := context.WithTimeout(ctx, b.opts.IssueTimeout)
		defer cancel()
		if _, err := b.waitIssued(waitCtx, arn, pollInterval, r); err != nil {
			if waitCtx.Err() != nil && ctx.Err() == nil {
				r.errors["Issue: not ISSUED within -issue-timeout"]++
			}
			return err
		}
		r.record("TimeToIssued", time.Since(start))
		return nil
	}, nil
}

func prepareRequestPrivate(ctx context.Context, b *bench) (iteration, error) {
	if err := b.ensureCA(ctx); err != nil {
		return nil, err
	}
	b.requested = make([][]requestedCertificate, b.opts.Workers)
	return func(ctx context.Context, worker, _ int, r *recorder) error {
		arn, err := b.requestPrivate(ctx, r)
		if err == nil {
			b.requested[worker] = append(b.requested[worker], requestedCertificate{arn: arn, at: time.Now()})
		}
		return err
	}, nil
}

// requestedCertificate is a certificate request-private submitted, and
// when the server acknowledged it.
type requestedCertificate struct {
	arn string
	at  time.Time
}

// finishRequestPrivate waits until every submitted certificate is issued
// and reports the issuance rate from the first request to the last
// issuance, so the rate is what the server sustains and not how fast it
// queues.
func finishRequestPrivate(ctx context.Context, b *bench, res *result, start time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.IssueTimeout)
	defer cancel()

	var requested []requestedCertificate
	for _, own := range b.requested {
		requested = append(requested, own...)
	}
	slices.SortFunc(requested, func(a, c requestedCertificate) int { return a.at.Compare(c.at) })

	r := newRecorder()
	issuedTimes, err := b.waitAllIssued(ctx, requested, r)
	res.addErrors(r.errors)
	res.Extra = map[string]float64{"describe_calls": float64(len(r.latencies["DescribeCertificate"]))}
	if err != nil {
		return err
	}
	return reportIssuance(res, start, issuedTimes, b.opts.SustainedAfter)
}

// waitAllIssued waits until every certificate of requested, sorted by
// acknowledgement, is ISSUED and returns their issue times in no
// particular order.
//
// The server issues the oldest request first, so the tool waits for the
// newest certificate first, with one DescribeCertificate call in flight
// every sustainedPollInterval. Once it is issued, the server has little
// or nothing left to issue, and the tool reads the others from newest to
// oldest, one call each. A certificate still pending in that pass, which
// the server issued out of order, is polled at the same interval before
// the pass goes on.
func (b *bench) waitAllIssued(ctx context.Context, requested []requestedCertificate, r *recorder) ([]time.Time, error) {
	issuedTimes := make([]time.Time, 0, len(requested))
	for _, cert := range slices.Backward(requested) {
		issuedAt, err := b.waitIssued(ctx, cert.arn, sustainedPollInterval, r)
		if err != nil {
			if ctx.Err() != nil {
				r.errors["Issue: timed out"]++
			}
			return nil, fmt.Errorf("wait for %s: %w", cert.arn, err)
		}
		issuedTimes = append(issuedTimes, issuedAt)
	}
	return issuedTimes, nil
}

// reportIssuance sets the Issued rate of res: the certificates issued per
// second from start, the tool's clock just before its first request, to
// the latest of issuedTimes, the server's IssuedAt. The server is on this
// machine, so both times come from the same clock, and the tool's calls
// after the last issuance do not count. When the server returns no
// IssuedAt, waitIssued uses the time the tool saw the certificate issued,
// which makes the rate lower than the server's.
func reportIssuance(res *result, start time.Time, issuedTimes []time.Time, sustainedAfter int) error {
	issued := len(issuedTimes)
	if issued == 0 {
		res.Operations["Issued"] = operationStats{}
		return nil
	}
	if res.Extra == nil {
		res.Extra = map[string]float64{}
	}
	issuedTimes = slices.SortedFunc(slices.Values(issuedTimes), time.Time.Compare)
	latest := issuedTimes[issued-1]
	span := latest.Sub(start)
	if span <= 0 {
		return fmt.Errorf("latest IssuedAt %s is not after the first request at %s, so the server clock does not match the clock of this machine",
			latest.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
	}
	res.Operations["Issued"] = operationStats{Count: issued, Throughput: float64(issued) / span.Seconds()}
	res.Extra["issue_seconds"] = span.Seconds()

	// The sustained rate leaves out the first sustainedAfter issuances,
	// which a server may serve from keys it generated before the run. It
	// uses the server's issue times in order, because the server need not
	// issue in the order of the requests.
	if sustainedAfter > 0 && issued > sustainedAfter+1 {
		window := latest.Sub(issuedTimes[sustainedAfter-1])
		if window > 0 {
			res.Operations["Sustained"] = operationStats{Count: issued - sustainedAfter, Throughput: float64(issued-sustainedAfter) / window.Seconds()}
			res.Extra["sustained_seconds"] = window.Seconds()
		}
	}
	return nil
}

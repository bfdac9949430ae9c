package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"

	"github.com/openacm/openacm/internal/benchkit"
)

// scenario is one kind of load. prepare runs before the clock starts and
// returns the iteration the workers repeat. finish, when set, runs after
// the loop and adds to the result. It gets the time the loop started.
type scenario struct {
	name        string
	description string
	prepare     func(ctx context.Context, b *bench) (iteration, error)
	finish      func(ctx context.Context, b *bench, res *result, start time.Time) error
	// headline is the operation whose throughput is the scenario's rate.
	headline string
}

var scenarios = []scenario{
	{name: "request-public", description: "RequestCertificate for a new DNS-validated name", prepare: prepareRequestPublic, headline: "RequestCertificate"},
	{name: "request-private", description: "RequestCertificate from a private CA, then wait until every one is issued", prepare: prepareRequestPrivate, finish: finishRequestPrivate, headline: "Issued"},
	{name: "time-to-issued", description: "RequestCertificate from a private CA and poll DescribeCertificate until ISSUED", prepare: prepareTimeToIssued, headline: "TimeToIssued"},
	{name: "describe", description: "DescribeCertificate of a random imported certificate", prepare: prepareDescribe, headline: "DescribeCertificate"},
	{name: "list", description: "ListCertificates walk over every imported certificate, page by page", prepare: prepareList, headline: "ListWalk"},
	{name: "search", description: "SearchCertificates for the common name of a random imported certificate", prepare: prepareSearch, headline: "SearchCertificates"},
	{name: "mixed", description: "30% RequestCertificate, 40% DescribeCertificate, 20% ListCertificates page, 10% DeleteCertificate", prepare: prepareMixed, headline: "Iteration"},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

func selectScenarios(list string) ([]string, error) {
	if list == "all" {
		return scenarioNames(), nil
	}
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if _, ok := findScenario(name); !ok {
			return nil, fmt.Errorf("unknown scenario %q: want one of %s or all", name, strings.Join(scenarioNames(), ", "))
		}
		names = append(names, name)
	}
	return names, nil
}

// bench is the state shared by the scenarios of one run.
type bench struct {
	opts       options
	acm        *acm.Client
	population *acm.Client
	pca        *acmpca.Client
	// imported are the ARNs and common names of the certificates in the
	// population region, filled by the first scenario that needs them.
	imported []importedCertificate
	// caArn is the private CA, created by the first private scenario.
	caArn string
	// requested are the private certificates request-private submitted, per worker.
	requested [][]requestedCertificate
	// closedConnRetries counts calls retried because the client had closed
	// its own connection; see newClosedConnRetryer.
	closedConnRetries atomic.Int64
}

func newBench(opts options) *bench {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = opts.Workers + 4
	if opts.TraceClose {
		tracer := &closeTracer{dial: transport.DialContext, output: os.Stderr}
		transport.DialContext = tracer.DialContext
	}
	httpClient := benchkit.OneWriteClient{Client: &http.Client{Transport: transport, Timeout: time.Minute}}
	creds := credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, "")
	b := &bench{opts: opts}
	retryer := newClosedConnRetryer(&b.closedConnRetries)

	acmClient := func(region string) *acm.Client {
		return acm.New(acm.Options{
			Region: region, BaseEndpoint: aws.String(opts.Endpoint), Credentials: creds,
			Retryer: retryer, HTTPClient: httpClient,
		})
	}
	b.acm = acmClient(opts.Region)
	b.population = acmClient(opts.PopulationRegion)
	b.pca = acmpca.New(acmpca.Options{
		Region: opts.Region, BaseEndpoint: aws.String(opts.Endpoint), Credentials: creds,
		Retryer: retryer, HTTPClient: httpClient,
	})
	return b
}

// uniqueName returns a DNS name no other iteration of this run uses.
func uniqueName(worker, n int) string {
	return fmt.Sprintf("w%d-%d-%d.bench.example.com", worker, n, rand.Uint32())
}

func prepareRequestPublic(_ context.Context, b *bench) (iteration, error) {
	return func(ctx context.Context, worker, n int, r *recorder) error {
		_, err := b.requestPublic(ctx, worker, n, r)
		return err
	}, nil
}

func (b *bench) requestPublic(ctx context.Context, worker, n int, r *recorder) (string, error) {
	var arn string
	err := r.call("RequestCertificate", func() error {
		out, err := b.acm.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName:       aws.String(uniqueName(worker, n)),
			ValidationMethod: "DNS",
		})
		if err == nil {
			arn = aws.ToString(out.CertificateArn)
		}
		return err
	})
	return arn, err
}

func prepareDescribe(ctx context.Context, b *bench) (iteration, error) {
	if err := b.ensurePopulation(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _, _ int, r *recorder) error {
		arn := b.imported[rand.IntN(len(b.imported))].arn
		return r.call("DescribeCertificate", func() error {
			_, err := b.population.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
			return err
		})
	}, nil
}

func prepareList(ctx context.Context, b *bench) (iteration, error) {
	if err := b.ensurePopulation(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _, _ int, r *recorder) error {
		start := time.Now()
		seen, err := b.walk(ctx, b.population, r)
		if err != nil {
			return err
		}
		if seen < len(b.imported) {
			r.errors[fmt.Sprintf("ListWalk: %d of %d certificates", seen, len(b.imported))]++
			return benchError("short walk")
		}
		r.record("ListWalk", time.Since(start))
		return nil
	}, nil
}

// walk lists every certificate of client's region page by page and returns
// how many it saw; r may be nil during set-up.
func (b *bench) walk(ctx context.Context, client *acm.Client, r *recorder) (int, error) {
	if r == nil {
		r = newRecorder()
	}
	seen := 0
	var token *string
	for {
		var out *acm.ListCertificatesOutput
		err := r.call("ListCertificates", func() error {
			var err error
			out, err = client.ListCertificates(ctx, &acm.ListCertificatesInput{MaxItems: aws.Int32(int32(b.opts.PageSize)), NextToken: token})
			return err
		})
		if err != nil {
			return seen, err
		}
		seen += len(out.CertificateSummaryList)
		if aws.ToString(out.NextToken) == "" {
			return seen, nil
		}
		token = out.NextToken
	}
}

func prepareMixed(ctx context.Context, b *bench) (iteration, error) {
	created := make([][]string, b.opts.Workers)
	return func(ctx context.Context, worker, n int, r *recorder) error {
		start := time.Now()
		err := b.mixedStep(ctx, worker, n, r, &created[worker])
		if err == nil {
			r.record("Iteration", time.Since(start))
		}
		return err
	}, nil
}

func (b *bench) mixedStep(ctx context.Context, worker, n int, r *recorder, own *[]string) error {
	switch step := n % 10; {
	case step < 3 || len(*own) == 0:
		arn, err := b.requestPublic(ctx, worker, n, r)
		if err == nil {
			*own = append(*own, arn)
		}
		return err
	case step < 7:
		arn := (*own)[rand.IntN(len(*own))]
		return r.call("DescribeCertificate", func() error {
			_, err := b.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
			return err
		})
	case step < 9:
		return r.call("ListCertificates", func() error {
			_, err := b.acm.ListCertificates(ctx, &acm.ListCertificatesInput{MaxItems: aws.Int32(100)})
			return err
		})
	default:
		arn := (*own)[0]
		*own = slices.Delete(*own, 0, 1)
		return r.call("DeleteCertificate", func() error {
			_, err := b.acm.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
			return err
		})
	}
}

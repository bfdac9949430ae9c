package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/benchkit"
)

// latency summarizes the durations of one kind of call, in milliseconds.
type latency struct {
	Calls int     `json:"calls"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func summarize(durations []time.Duration) latency {
	sorted := benchkit.SortLatencies(durations)
	return latency{Calls: len(sorted), P50: sorted.Percentile(0.50), P99: sorted.Percentile(0.99), Max: sorted.Max()}
}

// measureAPI times ListCertificates and SearchCertificates against srv,
// which holds the certificates of loaded.
func measureAPI(ctx context.Context, srv *server, l loaded, samples int, res *result) error {
	client := acm.New(acm.Options{
		Region:       loadRegion,
		BaseEndpoint: aws.String(srv.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   benchkit.OneWriteClient{Client: &http.Client{Timeout: 5 * time.Minute}},
	})

	fmt.Println("  walking every ListCertificates page of 1000")
	walk, tokens, requestIDs, err := walkList(ctx, client, l.count)
	if err != nil {
		return err
	}
	res.ListWalk1000 = summarize(walk)
	res.ListWalk1000Server, err = serverLatency(ctx, srv, requestIDs)
	if err != nil {
		return err
	}

	fmt.Println("  repeating pages of 1000 at several offsets")
	var offsets []time.Duration
	for _, token := range tokens {
		for range max(1, samples/len(tokens)) {
			d, _, err := listPage(ctx, client, token, aws.Int32(1000))
			if err != nil {
				return err
			}
			offsets = append(offsets, d)
		}
	}
	res.ListOffsets1000 = summarize(offsets)

	fmt.Println("  pages of the default size")
	var defaults []time.Duration
	var token *string
	for range samples {
		d, next, err := listPage(ctx, client, token, nil)
		if err != nil {
			return err
		}
		defaults = append(defaults, d)
		token = next
	}
	res.ListDefault = summarize(defaults)

	fmt.Println("  searching by common name")
	res.SearchCommonName, err = timeSearches(ctx, client, samples, l.count, types.ComparisonOperatorEquals, commonName)
	if err != nil {
		return err
	}
	fmt.Println("  searching by common name substring")
	res.SearchContains, err = timeSearches(ctx, client, max(1, samples/3), l.count, types.ComparisonOperatorContains,
		func(i int) string { return fmt.Sprintf("-%07d.", i) })
	return err
}

// logWait bounds the wait for the server's log lines of a walk, read again
// every logPoll.
const (
	logWait = 5 * time.Second
	logPoll = 100 * time.Millisecond
)

// serverLatency summarizes the latencies srv logged for the requests of
// requestIDs, and fails if any is missing from its log for logWait.
func serverLatency(ctx context.Context, srv *server, requestIDs []string) (latency, error) {
	ids := make(map[string]bool, len(requestIDs))
	for _, id := range requestIDs {
		ids[id] = true
	}

	// The server logs a call after it has written the response, so the
	// last line can come after the client has read it.
	var logged map[string]time.Duration
	for waited := time.Duration(0); ; waited += logPoll {
		var err error
		logged, err = srv.requestLatencies(ids)
		if err != nil {
			return latency{}, err
		}
		if len(logged) == len(ids) {
			break
		}
		if waited >= logWait {
			return latency{}, fmt.Errorf("server log %s has %d of the %d requests of the walk: check that the server logs requests in JSON", srv.logPath, len(logged), len(ids))
		}
		if err := sleep(ctx, logPoll); err != nil {
			return latency{}, err
		}
	}
	durations := make([]time.Duration, 0, len(logged))
	for _, d := range logged {
		durations = append(durations, d)
	}
	return summarize(durations), nil
}

// walkList reads every page of 1000 once, and returns their durations, the
// tokens of the first page and of pages at 25, 50, 75 and 99 % of the walk,
// and the request ID of each page.
func walkList(ctx context.Context, client *acm.Client, count int) ([]time.Duration, []*string, []string, error) {
	pages := (count + 999) / 1000
	marks := map[int]bool{0: true, pages / 4: true, pages / 2: true, pages * 3 / 4: true, pages * 99 / 100: true}
	var durations []time.Duration
	var tokens []*string
	var requestIDs []string
	var token *string
	seen := 0
	for page := 0; ; page++ {
		if marks[page] {
			tokens = append(tokens, token)
		}
		p, err := listPageCount(ctx, client, token, aws.Int32(1000))
		if err != nil {
			return nil, nil, nil, err
		}
		durations = append(durations, p.duration)
		requestIDs = append(requestIDs, p.requestID)
		seen += p.certificates
		if p.next == nil {
			break
		}
		token = p.next
	}
	if seen != count {
		return nil, nil, nil, fmt.Errorf("ListCertificates walk returned %d certificates, want %d", seen, count)
	}
	return durations, tokens, requestIDs, nil
}

func listPage(ctx context.Context, client *acm.Client, token *string, maxItems *int32) (time.Duration, *string, error) {
	p, err := listPageCount(ctx, client, token, maxItems)
	return p.duration, p.next, err
}

// listedPage is one ListCertificates call as the client saw it.
type listedPage struct {
	duration     time.Duration
	next         *string
	certificates int
	requestID    string
}

func listPageCount(ctx context.Context, client *acm.Client, token *string, maxItems *int32) (listedPage, error) {
	started := time.Now()
	out, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{NextToken: token, MaxItems: maxItems})
	d := time.Since(started)
	if err != nil {
		return listedPage{}, fmt.Errorf("ListCertificates: %w", err)
	}
	requestID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return listedPage{duration: d, next: out.NextToken, certificates: len(out.CertificateSummaryList), requestID: requestID}, nil
}

// timeSearches runs SearchCertificates calls for the common name (or part
// of it) of random certificates, and fails unless each finds its
// certificate.
func timeSearches(ctx context.Context, client *acm.Client, samples, count int, op types.ComparisonOperator, value func(int) string) (latency, error) {
	var durations []time.Duration
	for range samples {
		i := mathrand.IntN(count)
		filter := &types.CertificateFilterStatementMemberFilter{Value: &types.CertificateFilterMemberX509AttributeFilter{
			Value: &types.X509AttributeFilterMemberSubject{Value: &types.SubjectFilterMemberCommonName{
				Value: types.CommonNameFilter{Value: aws.String(value(i)), ComparisonOperator: op},
			}},
		}}
		started := time.Now()
		out, err := client.SearchCertificates(ctx, &acm.SearchCertificatesInput{FilterStatement: filter})
		durations = append(durations, time.Since(started))
		if err != nil {
			return latency{}, fmt.Errorf("SearchCertificates %s %q: %w", op, value(i), err)
		}
		if !foundName(out, commonName(i)) {
			return latency{}, fmt.Errorf("SearchCertificates %s %q did not return %s", op, value(i), commonName(i))
		}
	}
	return summarize(durations), nil
}

func foundName(out *acm.SearchCertificatesOutput, name string) bool {
	for _, r := range out.Results {
		if r.X509Attributes != nil && r.X509Attributes.Subject != nil &&
			strings.EqualFold(aws.ToString(r.X509Attributes.Subject.CommonName), name) {
			return true
		}
	}
	return false
}

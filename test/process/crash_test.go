package process

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/testutil/pgtest"
)

const (
	crashRounds   = 4
	crashClients  = 4
	crashMaxItems = 40
)

// crashItem is what the server acknowledged about one certificate. The
// client retries each call until the server responds, across kills, with
// the same idempotency token, so every item ends in a known state.
type crashItem struct {
	token   string
	domain  string
	arn     string
	tagged  bool
	deleted bool
	// export marks an item requested with Options.Export ENABLED and
	// exported once issued; exportedSerial is the serial of the exported
	// certificate, set once ExportCertificate succeeded.
	export         bool
	exportedSerial []byte
	// toldSerial is the serial of a DescribeCertificate that returned
	// ISSUED; after any crash the certificate must still have it.
	toldSerial string
}

func TestCrashSQLite(t *testing.T) {
	runCrashTest(t, "--data-dir", t.TempDir())
}

func TestCrashPostgres(t *testing.T) {
	runCrashTest(t, "--store", pgtest.SchemaURL(t), "--data-dir", t.TempDir())
}

// runCrashTest puts a bounded load of RequestCertificate, tag, export and
// delete calls on one server, and SIGKILLs and restarts it crashRounds times
// at random points. It then checks that every acknowledged change is there,
// nothing is half-issued or duplicated, and pending certificates get issued.
func runCrashTest(t *testing.T, storeArgs ...string) {
	args := append([]string{"--auto-validate-delay", "300ms", "--worker-interval", "200ms", "--worker-lease", "2s"}, storeArgs...)
	server := newNode(t, "crash", args...)
	server.start()

	items := make(chan *crashItem, crashClients*crashMaxItems)
	stop := make(chan struct{})
	var clients sync.WaitGroup
	for c := range crashClients {
		clients.Go(func() { runCrashClient(t, server, c, stop, items) })
	}

	seed := time.Now().UnixNano()
	t.Logf("kill schedule seed %d", seed)
	random := rand.New(rand.NewPCG(uint64(seed), 0))
	for round := range crashRounds {
		time.Sleep(time.Duration(150+random.IntN(450)) * time.Millisecond)
		server.kill()
		t.Logf("round %d: killed the server", round)
		server.start()
	}

	close(stop)
	clients.Wait()
	close(items)

	client := server.client()
	waitNoPending(t, client, 30*time.Second)
	checkCrashItems(t, client, items)

	if code := server.stop(); code != 0 {
		t.Errorf("server exit code after SIGTERM = %d, want 0", code)
	}
}

// runCrashClient runs items one after another until stop closes: request
// with a token, tag, then delete every third item, export the next one
// (requested with Options.Export ENABLED) once issued, and describe the rest.
func runCrashClient(t *testing.T, server *node, c int, stop <-chan struct{}, items chan<- *crashItem) {
	client := server.client()
	for i := range crashMaxItems {
		select {
		case <-stop:
			return
		default:
		}

		item := &crashItem{token: fmt.Sprintf("c%di%d", c, i), domain: fmt.Sprintf("c%d-i%d.example.com", c, i), export: i%3 == 1}
		if !runCrashItem(t, client, item, i%3 == 0) {
			return
		}
		items <- item
	}
}

func runCrashItem(t *testing.T, client *acm.Client, item *crashItem, remove bool) bool {
	ok := retry(t, "request "+item.token, func(ctx context.Context) (bool, error) {
		input := &acm.RequestCertificateInput{
			DomainName:       aws.String(item.domain),
			ValidationMethod: types.ValidationMethodDns,
			IdempotencyToken: aws.String(item.token),
		}
		if item.export {
			input.Options = &types.CertificateOptions{Export: types.CertificateExportEnabled}
		}
		out, err := client.RequestCertificate(ctx, input)
		if err == nil {
			item.arn = aws.ToString(out.CertificateArn)
		}
		return false, err
	})
	if !ok {
		return false
	}

	ok = retry(t, "tag "+item.arn, func(ctx context.Context) (bool, error) {
		_, err := client.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{
			CertificateArn: aws.String(item.arn),
			Tags:           []types.Tag{{Key: aws.String("token"), Value: aws.String(item.token)}},
		})
		return false, err
	})
	if !ok {
		return false
	}
	item.tagged = true

	if remove {
		// A retried delete whose first try went through finds nothing to delete.
		ok = retry(t, "delete "+item.arn, func(ctx context.Context) (bool, error) {
			_, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(item.arn)})
			return apiErrorCode(err) == "ResourceNotFoundException", err
		})
		item.deleted = ok
		return ok
	}
	if item.export {
		return runCrashExport(t, client, item)
	}

	return retry(t, "describe "+item.arn, func(ctx context.Context) (bool, error) {
		out, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(item.arn)})
		if err == nil && out.Certificate.Status == types.CertificateStatusIssued {
			item.toldSerial = aws.ToString(out.Certificate.Serial)
		}
		return false, err
	})
}

// runCrashExport exports the certificate once it is issued. Until then
// ExportCertificate fails with RequestInProgressException, and a worker
// write at the same moment with ConflictException; both are retried.
func runCrashExport(t *testing.T, client *acm.Client, item *crashItem) bool {
	return retry(t, "export "+item.arn, func(ctx context.Context) (bool, error) {
		out, err := client.ExportCertificate(ctx, &acm.ExportCertificateInput{
			CertificateArn: aws.String(item.arn),
			Passphrase:     []byte("crash-test-passphrase"),
		})
		if err != nil {
			return false, err
		}

		block, _ := pem.Decode([]byte(aws.ToString(out.Certificate)))
		if block == nil {
			return false, fmt.Errorf("exported certificate of %s is not PEM", item.arn)
		}
		leaf, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return false, fmt.Errorf("parse exported certificate of %s: %w", item.arn, err)
		}
		item.exportedSerial = leaf.SerialNumber.Bytes()
		return false, nil
	}, "RequestInProgressException", "ConflictException")
}

// retry calls call until the server responds. A connection failure means
// the server is down, so the call is repeated, as it is after an AWS error
// whose code is in again; any other AWS error fails the test unless call
// reports it as the expected outcome.
func retry(t *testing.T, what string, call func(ctx context.Context) (accept bool, err error), again ...string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		accept, err := call(ctx)
		cancel()

		switch {
		case err == nil || accept:
			return true
		case slices.Contains(again, apiErrorCode(err)):
		case apiErrorCode(err) != "":
			t.Errorf("%s: %v", what, err)
			return false
		case time.Now().After(deadline):
			t.Errorf("%s: no success for 30 s: %v", what, err)
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkCrashItems(t *testing.T, client *acm.Client, items <-chan *crashItem) {
	ctx := context.Background()

	stored, err := listAll(ctx, client)
	if err != nil {
		t.Fatalf("list certificates: %v", err)
	}
	storedSet := make(map[string]bool, len(stored))
	for _, arn := range stored {
		if storedSet[arn] {
			t.Errorf("%s listed twice", arn)
		}
		storedSet[arn] = true
	}

	exportedARNs := listExported(t, client)
	kept, deleted, exported := 0, 0, 0
	for item := range items {
		if item.deleted {
			deleted++
			_, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(item.arn)})
			if apiErrorCode(err) != "ResourceNotFoundException" {
				t.Errorf("deleted %s: describe error = %v, want ResourceNotFoundException", item.arn, err)
			}
			continue
		}

		kept++
		if !storedSet[item.arn] {
			t.Errorf("acknowledged %s (token %s) is missing", item.arn, item.token)
			continue
		}
		delete(storedSet, item.arn)

		serial := checkIssued(t, client, item.arn, item.domain)
		if item.toldSerial != "" && serial != item.toldSerial {
			t.Errorf("%s: serial %s, but the client was told %s", item.arn, serial, item.toldSerial)
		}
		checkTokenTag(t, client, item)
		if item.export {
			exported++
			checkExported(t, client, item, serial, exportedARNs)
		}
	}

	// Every certificate came from a token the clients retried until
	// acknowledged, so any other certificate is a duplicate.
	for arn := range storedSet {
		t.Errorf("%s exists but no acknowledged request returned it: a duplicate", arn)
	}

	t.Logf("%d certificates kept and checked (%d of them exported), %d deleted", kept, exported, deleted)
	if kept == 0 {
		t.Errorf("the load created no certificate to check")
	}
}

func checkTokenTag(t *testing.T, client *acm.Client, item *crashItem) {
	t.Helper()

	out, err := client.ListTagsForCertificate(context.Background(), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(item.arn)})
	if err != nil {
		t.Errorf("list tags of %s: %v", item.arn, err)
		return
	}

	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "token" || aws.ToString(out.Tags[0].Value) != item.token {
		t.Errorf("%s tags = %+v, want token=%s", item.arn, out.Tags, item.token)
	}
}

// checkExported checks that an export the client was told succeeded left
// the certificate Exported, with the serial that was exported.
func checkExported(t *testing.T, client *acm.Client, item *crashItem, serial string, exported map[string]bool) {
	t.Helper()

	if item.exportedSerial == nil {
		t.Errorf("%s: the export never succeeded", item.arn)
		return
	}
	if !bytes.Equal(serialBytes(serial), item.exportedSerial) {
		t.Errorf("%s: serial %s, but the client exported serial %x", item.arn, serial, item.exportedSerial)
	}

	out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(item.arn)})
	if err != nil {
		t.Errorf("describe %s: %v", item.arn, err)
		return
	}
	if out.Certificate.Options == nil || out.Certificate.Options.Export != types.CertificateExportEnabled {
		t.Errorf("%s: Options = %+v, want Export ENABLED", item.arn, out.Certificate.Options)
	}
	if !exported[item.arn] {
		t.Errorf("%s: Exported = false in ListCertificates after the client was told the export succeeded", item.arn)
	}
}

// listExported returns the ARNs that ListCertificates reports Exported.
func listExported(t *testing.T, client *acm.Client) map[string]bool {
	t.Helper()

	exported := make(map[string]bool)
	paginator := acm.NewListCertificatesPaginator(client, &acm.ListCertificatesInput{MaxItems: aws.Int32(1000)})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list certificates: %v", err)
		}
		for _, summary := range page.CertificateSummaryList {
			if aws.ToBool(summary.Exported) {
				exported[aws.ToString(summary.CertificateArn)] = true
			}
		}
	}
	return exported
}

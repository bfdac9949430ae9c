package process

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	// The "pgx" database/sql driver, to read the leases table.
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/testutil/pgtest"
)

// TestClusterPostgres runs three nodes on one PostgreSQL schema: they start
// at once on an empty database, share one CA, answer for each other's
// certificates, agree on idempotency tokens (public and private), serve the
// same CRL bytes before and after revocations, and finish the pending work
// of a node killed while holding leases and of one stopped with SIGTERM.
func TestClusterPostgres(t *testing.T) {
	dsn := pgtest.SchemaURL(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer db.Close()

	// Nodes share nothing but the database and the master key file, as in
	// a real deployment: each has its own data dir.
	masterKey := filepath.Join(t.TempDir(), "master.key")
	if _, err := keys.CreateFile(masterKey); err != nil {
		t.Fatalf("create master key: %v", err)
	}
	args := []string{"--store", dsn, "--master-key-file", masterKey,
		"--auto-validate-delay", "1500ms", "--worker-interval", "200ms", "--worker-lease", "3s"}
	nodeArgs := func() []string { return append([]string{"--data-dir", t.TempDir()}, args...) }
	nodes := []*node{newNode(t, "node-1", nodeArgs()...), newNode(t, "node-2", nodeArgs()...), newNode(t, "node-3", nodeArgs()...)}

	// Launching all three before waiting makes their first starts race on
	// the migrations and on creating the CA.
	for _, n := range nodes {
		n.launch()
	}
	for _, n := range nodes {
		n.waitReady()
	}

	checkSameCA(t, nodes)
	tokenARNs := checkTokensAcrossNodes(t, nodes, 5)
	checkReadableEverywhere(t, nodes, tokenARNs)

	caARN, caCRLPath := createPrivateCA(t, nodes[0])
	privateARN := checkPrivateTokensAcrossNodes(t, nodes, caARN)
	checkCRLsAfterRevocation(t, nodes, caARN, caCRLPath, privateARN)

	killed := checkTakeoverAfterKill(t, db, nodes)
	survivors := make([]*node, 0, 2)
	for _, n := range nodes {
		if n != killed {
			survivors = append(survivors, n)
		}
	}

	checkIssuedEverywhere(t, survivors, tokenARNs)
	checkLeasesReleasedOnStop(t, db, survivors[0], survivors[1])
}

// checkSameCA fetches the root, intermediate and CRL from every node, which
// must be byte for byte the same, and checks that the CRL is signed by that
// intermediate.
func checkSameCA(t *testing.T, nodes []*node) {
	t.Helper()

	root := fetch(t, nodes[0].url()+"/ca/root.pem")
	crlDER := fetch(t, nodes[0].url()+"/crl/intermediate.crl")
	intermediateDER := fetch(t, nodes[0].url()+"/ca/intermediate.crt")
	intermediate, err := x509.ParseCertificate(intermediateDER)
	if err != nil {
		t.Fatalf("parse intermediate: %v", err)
	}

	for _, n := range nodes {
		if got := fetch(t, n.url()+"/ca/root.pem"); !bytes.Equal(got, root) {
			t.Errorf("%s serves another root than %s: the CA was created twice", n.name, nodes[0].name)
		}
		if got := fetch(t, n.url()+"/ca/intermediate.crt"); !bytes.Equal(got, intermediateDER) {
			t.Errorf("%s serves another intermediate than %s", n.name, nodes[0].name)
		}

		crlBytes := fetch(t, n.url()+"/crl/intermediate.crl")
		if !bytes.Equal(crlBytes, crlDER) {
			t.Errorf("%s serves another CRL than %s", n.name, nodes[0].name)
		}
		crl, err := x509.ParseRevocationList(crlBytes)
		if err != nil {
			t.Errorf("%s: parse CRL: %v", n.name, err)
			continue
		}
		if err := crl.CheckSignatureFrom(intermediate); err != nil {
			t.Errorf("%s: CRL not signed by the shared intermediate: %v", n.name, err)
		}
	}
}

func fetch(t *testing.T, url string) []byte {
	t.Helper()

	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, error %v", url, resp.StatusCode, err)
	}

	return body
}

// checkTokensAcrossNodes sends each of count tokens to every node at once;
// every node must return one ARN per token. It returns the ARNs.
func checkTokensAcrossNodes(t *testing.T, nodes []*node, count int) []string {
	t.Helper()

	var arns []string
	for k := range count {
		token := fmt.Sprintf("cluster%d", k)
		got := make([]string, len(nodes))
		errs := make([]error, len(nodes))
		start := make(chan struct{})

		var wg sync.WaitGroup
		for i, n := range nodes {
			client := n.client()
			wg.Go(func() {
				<-start
				out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
					DomainName:       aws.String(fmt.Sprintf("token%d.example.com", k)),
					ValidationMethod: types.ValidationMethodDns,
					IdempotencyToken: aws.String(token),
				})
				errs[i] = err
				if err == nil {
					got[i] = aws.ToString(out.CertificateArn)
				}
			})
		}
		close(start)
		wg.Wait()

		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("token %s on %s: %v", token, nodes[i].name, errs[i])
			}
			if got[i] != got[0] {
				t.Errorf("token %s: %s returned %s, %s returned %s", token, nodes[i].name, got[i], nodes[0].name, got[0])
			}
		}
		arns = append(arns, got[0])
	}

	all, err := listAll(context.Background(), nodes[1].client())
	if err != nil {
		t.Fatalf("list certificates: %v", err)
	}
	if len(all) != count {
		t.Errorf("%d certificates exist after %d tokens sent to %d nodes each, want %d", len(all), count, len(nodes), count)
	}

	return arns
}

func checkReadableEverywhere(t *testing.T, nodes []*node, arns []string) {
	t.Helper()

	for _, n := range nodes {
		client := n.client()
		for _, arn := range arns {
			if _, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
				t.Errorf("%s cannot describe %s: %v", n.name, arn, err)
			}
		}
	}
}

// checkTakeoverAfterKill requests certificates on the first node, waits
// until they are all leased, SIGKILLs the node holding most of them and
// checks that the others issue every one. It returns the killed node.
func checkTakeoverAfterKill(t *testing.T, db *sql.DB, nodes []*node) *node {
	t.Helper()
	const requests = 6

	client := nodes[0].client()
	requested := make(map[string]bool)
	for i := range requests {
		out, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
			DomainName:       aws.String(fmt.Sprintf("kill%d.example.com", i)),
			ValidationMethod: types.ValidationMethodDns,
		})
		if err != nil {
			t.Fatalf("request certificate on %s: %v", nodes[0].name, err)
		}
		requested[aws.ToString(out.CertificateArn)] = true
	}

	held := waitLeases(t, db, func(byHolder map[string][]string) bool {
		leased := 0
		for _, arns := range byHolder {
			for _, arn := range arns {
				if requested[arn] {
					leased++
				}
			}
		}
		return leased == requests
	})

	victim := nodes[0]
	for _, n := range nodes {
		if len(held[n.name]) > len(held[victim.name]) {
			victim = n
		}
	}
	if len(held[victim.name]) == 0 {
		t.Fatalf("no node holds a lease: %v", held)
	}

	victim.kill()
	t.Logf("killed %s holding %d leases", victim.name, len(held[victim.name]))

	var survivor *node
	for _, n := range nodes {
		if n != victim {
			survivor = n
			break
		}
	}
	waitNoPending(t, survivor.client(), 30*time.Second)

	for _, arn := range held[victim.name] {
		checkIssued(t, survivor.client(), arn, "")
	}

	// Only certificate leases count: the sweep lease of issued certificates
	// runs for a whole sweep interval and is taken over when it expires.
	var left int
	if err := db.QueryRow(`SELECT COUNT(*) FROM leases WHERE holder = $1 AND name LIKE $2`,
		victim.name, store.CertificateLeasePrefix+"%").Scan(&left); err != nil {
		t.Fatalf("count leases: %v", err)
	}
	if left != 0 {
		t.Errorf("%d leases of the killed %s remain after the others issued its certificates", left, victim.name)
	}

	return victim
}

// waitLeases polls the leases table until done accepts the certificate
// leases grouped by holder, and returns that grouping.
func waitLeases(t *testing.T, db *sql.DB, done func(map[string][]string) bool) map[string][]string {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := db.Query(`SELECT holder, name FROM leases`)
		if err != nil {
			t.Fatalf("read leases: %v", err)
		}

		byHolder := make(map[string][]string)
		for rows.Next() {
			var holder, name string
			if err := rows.Scan(&holder, &name); err != nil {
				t.Fatalf("read leases: %v", err)
			}
			if arn, ok := strings.CutPrefix(name, "certificate:"); ok {
				byHolder[holder] = append(byHolder[holder], arn)
			}
		}
		rows.Close()

		if done(byHolder) {
			return byHolder
		}
		if time.Now().After(deadline) {
			t.Fatalf("leases not as expected after 10 s: %v", byHolder)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkIssuedEverywhere checks that every node describes each certificate
// as issued with the same serial, so none was issued twice.
func checkIssuedEverywhere(t *testing.T, nodes []*node, arns []string) {
	t.Helper()

	for _, arn := range arns {
		first := checkIssued(t, nodes[0].client(), arn, "")
		for _, n := range nodes[1:] {
			if serial := checkIssued(t, n.client(), arn, ""); serial != first {
				t.Errorf("%s: %s describes serial %s, %s describes %s", arn, n.name, serial, nodes[0].name, first)
			}
		}
	}
}

// checkLeasesReleasedOnStop requests certificates on stopping, waits until
// it holds leases, stops it with SIGTERM and checks that its leases are gone
// when it exits and that other issues the certificates.
func checkLeasesReleasedOnStop(t *testing.T, db *sql.DB, stopping, other *node) {
	t.Helper()

	client := stopping.client()
	for i := range 3 {
		_, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
			DomainName:       aws.String(fmt.Sprintf("stop%d.example.com", i)),
			ValidationMethod: types.ValidationMethodDns,
		})
		if err != nil {
			t.Fatalf("request certificate on %s: %v", stopping.name, err)
		}
	}

	waitLeases(t, db, func(byHolder map[string][]string) bool { return len(byHolder[stopping.name]) > 0 })

	if code := stopping.stop(); code != 0 {
		t.Errorf("%s exit code after SIGTERM = %d, want 0", stopping.name, code)
	}

	var left int
	if err := db.QueryRow(`SELECT COUNT(*) FROM leases WHERE holder = $1`, stopping.name).Scan(&left); err != nil {
		t.Fatalf("count leases: %v", err)
	}
	if left != 0 {
		t.Errorf("%d leases of %s remain after it stopped with SIGTERM", left, stopping.name)
	}

	waitNoPending(t, other.client(), 30*time.Second)
}

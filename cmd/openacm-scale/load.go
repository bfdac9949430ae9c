package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/benchkit"
	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// The account and region of every loaded certificate: those of the
// server's built-in test credential and the SDK client.
const (
	loadAccount = "000000000000"
	loadRegion  = "us-east-1"
)

// bulkCacheKiB is the writer's page cache during the load, large enough
// for the index pages one batch changes.
const bulkCacheKiB = 512 * 1024

// loaded describes a finished load.
type loaded struct {
	count    int
	duration time.Duration
}

// newMaterial returns the key material every loaded certificate reuses:
// one RSA-2048 leaf key and a P-256 CA that signs each leaf.
func newMaterial() (*benchkit.Material, error) {
	now := time.Now()
	return benchkit.NewMaterial(pkix.Name{Organization: []string{"OpenACM"}, CommonName: "openacm-scale CA"},
		now.Add(-24*time.Hour), now.Add(10*365*24*time.Hour))
}

// commonName returns the common name of certificate i. Every name is
// distinct, so a search for one finds one certificate.
func commonName(i int) string {
	labels := []string{"api", "www", "shop", "mail", "edge", "auth", "cdn"}
	return fmt.Sprintf("%s-%07d.zone%d.example.com", labels[i%len(labels)], i, i%13)
}

// load writes n certificates into the SQLite database of dataDir, batchSize
// per transaction, signing the next batch while the store writes one.
func load(ctx context.Context, dataDir string, n, batchSize int) (loaded, error) {
	if _, err := keys.CreateFile(filepath.Join(dataDir, app.MasterKeyFile)); err != nil {
		return loaded{}, err
	}
	keyring, err := keys.LoadFile(filepath.Join(dataDir, app.MasterKeyFile))
	if err != nil {
		return loaded{}, err
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, app.DatabaseFile), slog.New(slog.DiscardHandler), sqlstore.WithKeyring(keyring))
	if err != nil {
		return loaded{}, err
	}
	// The store closes once, below on success or here on an error.
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()
	if err := st.PrepareBulkLoad(ctx, bulkCacheKiB); err != nil {
		return loaded{}, err
	}

	m, err := newMaterial()
	if err != nil {
		return loaded{}, err
	}

	started := time.Now()
	base := started.Add(-time.Duration(n) * 10 * time.Millisecond).Truncate(time.Second)
	batches := make(chan batch, 2)
	genErr := make(chan error, 1)
	go func() {
		genErr <- generate(ctx, m, base, n, batchSize, batches)
		close(batches)
	}()

	written := 0
	lastReport := time.Now()
	for b := range batches {
		if err := st.CreateCertificates(ctx, b.certs, b.tags); err != nil {
			return loaded{}, err
		}
		written += len(b.certs)
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			fmt.Printf("  %d of %d written, %.0f per second\n", written, n, float64(written)/time.Since(started).Seconds())
		}
	}
	if err := <-genErr; err != nil {
		return loaded{}, err
	}
	duration := time.Since(started)

	closed = true
	if err := st.Close(); err != nil {
		return loaded{}, err
	}
	return loaded{count: n, duration: duration}, nil
}

// batch is one transaction's certificates and their tags.
type batch struct {
	certs []*store.Certificate
	tags  [][]store.Tag
}

// generate sends n certificates in batches, signing each batch on every core.
func generate(ctx context.Context, m *benchkit.Material, base time.Time, n, batchSize int, out chan<- batch) error {
	workers := runtime.NumCPU()
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		b := batch{certs: make([]*store.Certificate, end-start), tags: make([][]store.Tag, end-start)}

		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := start + w; i < end; i += workers {
					cert, err := certificate(m, i, base)
					if err != nil {
						errs <- err
						return
					}
					b.certs[i-start] = cert
					b.tags[i-start] = tagsOf(i)
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}

		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// tagsOf gives every tenth certificate two tags.
func tagsOf(i int) []store.Tag {
	if i%10 != 0 {
		return nil
	}
	env, team := "prod", fmt.Sprintf("team-%d", i%17)
	return []store.Tag{{Key: "env", Value: &env}, {Key: "team", Value: &team}}
}

// certificate returns certificate i as the server stores an issued public
// certificate: names, DNS validation records, a leaf signed for them, the
// chain and the sealed key.
func certificate(m *benchkit.Material, i int, base time.Time) (*store.Certificate, error) {
	cn := commonName(i)
	names := []string{cn, "www." + cn}
	if i%5 == 0 {
		names = append(names, fmt.Sprintf("alt-%07d.example.net", i))
	}

	created := base.Add(time.Duration(i) * 10 * time.Millisecond)
	issued := created.Add(2 * time.Second)
	notBefore := issued.Truncate(24 * time.Hour)
	notAfter := notBefore.Add(198*24*time.Hour - time.Second)

	serial := make([]byte, 16)
	if _, err := rand.Read(serial); err != nil {
		return nil, err
	}
	serial[0] &= 0x7f
	template := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(serial),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	certPEM, err := m.SignLeaf(template)
	if err != nil {
		return nil, fmt.Errorf("sign certificate %d: %w", i, err)
	}

	validations := make([]store.DomainValidation, len(names))
	for j, name := range names {
		validations[j] = store.DomainValidation{
			DomainName: name, ValidationDomain: name, ValidationMethod: "DNS", ValidationStatus: "SUCCESS",
			ResourceRecordName:  "_" + randomHex(16) + "." + name + ".",
			ResourceRecordType:  "CNAME",
			ResourceRecordValue: "_" + randomHex(16) + ".mhbtsbpdnt.acm-validations.aws.",
		}
	}

	return &store.Certificate{
		ARN:                     fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", loadRegion, loadAccount, uuid()),
		Account:                 loadAccount,
		Region:                  loadRegion,
		DomainName:              cn,
		SubjectAlternativeNames: names,
		Type:                    "AMAZON_ISSUED",
		Status:                  "ISSUED",
		KeyAlgorithm:            "RSA_2048",
		ValidationMethod:        "DNS",
		DomainValidations:       validations,
		CTLoggingPreference:     "ENABLED",
		ExportOption:            "DISABLED",
		CreatedAt:               created,
		IssuedAt:                issued,
		NotBefore:               notBefore,
		NotAfter:                notAfter,
		Serial:                  colonHex(serial),
		Subject:                 "CN=" + cn,
		Issuer:                  "OpenACM",
		SignatureAlgorithm:      "SHA256WITHECDSA",
		KeyUsages:               []string{"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"},
		ExtendedKeyUsages: []store.ExtendedKeyUsage{
			{Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"},
			{Name: "TLS_WEB_CLIENT_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.2"},
		},
		CertificatePEM:      string(certPEM),
		CertificateChainPEM: m.CAPEM,
		PrivateKeyPEM:       m.LeafKeyPEM,
		RenewalEligibility:  "INELIGIBLE",
		Version:             1,
		UpdatedAt:           issued,
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = fmt.Sprintf("%02x", v)
	}
	return strings.Join(parts, ":")
}

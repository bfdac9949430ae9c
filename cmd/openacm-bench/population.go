package main

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/benchkit"
)

// importedCertificate is one certificate of the population.
type importedCertificate struct {
	arn        string
	commonName string
}

// importParallelism bounds the concurrent ImportCertificate calls of set-up.
const importParallelism = 8

// ensurePopulation makes the population region hold at least
// -certificates certificates, importing the missing ones, and remembers
// them. Every certificate shares one RSA-2048 key, since ListCertificates
// lists only RSA_2048 certificates by default, and has its own common name,
// bench-NNNNNN.example.com, for the search scenario to look up.
func (b *bench) ensurePopulation(ctx context.Context) error {
	if b.imported != nil {
		return nil
	}
	existing, err := b.listPopulation(ctx)
	if err != nil {
		return fmt.Errorf("list the population region %s: %w", b.opts.PopulationRegion, err)
	}
	if len(existing) < b.opts.Certificates {
		fmt.Printf("importing %d certificates into %s\n", b.opts.Certificates-len(existing), b.opts.PopulationRegion)
		added, err := b.importCertificates(ctx, len(existing), b.opts.Certificates)
		if err != nil {
			return err
		}
		existing = append(existing, added...)
	}
	b.imported = existing
	return nil
}

func (b *bench) listPopulation(ctx context.Context) ([]importedCertificate, error) {
	var found []importedCertificate
	paginator := acm.NewListCertificatesPaginator(b.population, &acm.ListCertificatesInput{MaxItems: aws.Int32(1000)})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, summary := range page.CertificateSummaryList {
			found = append(found, importedCertificate{arn: aws.ToString(summary.CertificateArn), commonName: aws.ToString(summary.DomainName)})
		}
	}
	return found, nil
}

func (b *bench) importCertificates(ctx context.Context, from, to int) ([]importedCertificate, error) {
	material, err := newImportMaterial()
	if err != nil {
		return nil, err
	}

	var (
		mu       sync.Mutex
		added    []importedCertificate
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range importParallelism {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cert, err := b.importOne(ctx, material, i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					added = append(added, cert)
				}
				mu.Unlock()
			}
		}()
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return added, firstErr
}

func (b *bench) importOne(ctx context.Context, material *benchkit.Material, i int) (importedCertificate, error) {
	name := fmt.Sprintf("bench-%06d.example.com", i)
	certPEM, err := signImport(material, name)
	if err != nil {
		return importedCertificate{}, err
	}
	out, err := b.population.ImportCertificate(ctx, &acm.ImportCertificateInput{
		Certificate: certPEM,
		PrivateKey:  material.LeafKeyPEM,
	})
	if err != nil {
		return importedCertificate{}, fmt.Errorf("import %s: %w", name, err)
	}
	return importedCertificate{arn: aws.ToString(out.CertificateArn), commonName: name}, nil
}

// newImportMaterial returns the leaf key that every imported certificate
// shares and the local CA that signs each one.
func newImportMaterial() (*benchkit.Material, error) {
	now := time.Now()
	return benchkit.NewMaterial(pkix.Name{CommonName: "openacm-bench import CA"},
		now.Add(-time.Hour), now.Add(2*365*24*time.Hour))
}

// signImport returns a certificate for name, signed by the CA of material.
func signImport(material *benchkit.Material, name string) ([]byte, error) {
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber: new(big.Int).SetUint64(mathrand.Uint64()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	certPEM, err := material.SignLeaf(template)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", name, err)
	}
	return certPEM, nil
}

func prepareSearch(ctx context.Context, b *bench) (iteration, error) {
	if err := b.ensurePopulation(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _, _ int, r *recorder) error {
		want := b.imported[mathrand.IntN(len(b.imported))]
		return r.call("SearchCertificates", func() error {
			out, err := b.population.SearchCertificates(ctx, &acm.SearchCertificatesInput{
				FilterStatement: &types.CertificateFilterStatementMemberFilter{Value: &types.CertificateFilterMemberX509AttributeFilter{
					Value: &types.X509AttributeFilterMemberSubject{Value: &types.SubjectFilterMemberCommonName{
						Value: types.CommonNameFilter{Value: aws.String(want.commonName), ComparisonOperator: types.ComparisonOperatorEquals},
					}},
				}},
			})
			if err != nil {
				return err
			}
			if len(out.Results) == 0 {
				return benchError("no result")
			}
			return nil
		})
	}, nil
}

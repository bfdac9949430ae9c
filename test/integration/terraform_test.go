package integration

// The tests in this file replay the AWS API calls that Terraform's AWS
// provider makes for aws_acm_certificate and aws_acm_certificate_validation,
// because the provider itself cannot be installed on the test machines.
//
// NOTE: the call sequences were reconstructed from memory of
// hashicorp/terraform-provider-aws v5 (around v5.80), files
// internal/service/acm/certificate.go (resourceCertificateCreate, Read,
// Update, Delete, findCertificateByARN, waitCertificateDomainValidationsKnown)
// and internal/service/acm/certificate_validation.go
// (resourceCertificateValidationCreate, waitCertificateIssued). They were
// not checked against the provider's source, and the provider's poll
// intervals and timeouts (minutes) are shortened here.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/openacm/openacm/internal/api"
)

// callLog records the operations a client sent, each with the error code
// it got ("" on success).
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(operation string, err error) {
	entry := operation
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		entry += ":" + apiErr.ErrorCode()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, entry)
}

// take returns the calls recorded since the last take, with runs of the
// same entry folded into one, since the number of polls depends on timing.
func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	folded := slices.Compact(l.calls)
	l.calls = nil
	return folded
}

// terraformClient is an ACM client configured like the provider's: the
// SDK's standard retryer, and a middleware recording every call.
func terraformClient(s *server, region string, log *callLog) *acm.Client {
	record := middleware.InitializeMiddlewareFunc("recordCall", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		out, metadata, err := next.HandleInitialize(ctx, in)
		log.add(awsmiddleware.GetOperationName(ctx), err)
		return out, metadata, err
	})
	return acm.New(acm.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		APIOptions: []func(*middleware.Stack) error{func(stack *middleware.Stack) error {
			return stack.Initialize.Add(record, middleware.Before)
		}},
	})
}

// tfPollInterval replaces the provider's waiter back-off (which starts near
// 100 ms and grows to 10 s) so the tests stay fast.
const tfPollInterval = 20 * time.Millisecond

// tfFindCertificate is findCertificateByARN: DescribeCertificate, with
// ResourceNotFoundException and VALIDATION_TIMED_OUT both meaning "gone".
func tfFindCertificate(ctx context.Context, client *acm.Client, arn string) (*types.CertificateDetail, error) {
	out, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if out.Certificate.Status == types.CertificateStatusValidationTimedOut {
		return nil, nil
	}
	return out.Certificate, nil
}

// tfWait polls refresh until it returns done, like the provider's
// retry.StateChangeConf, and fails after timeout.
func tfWait(t *testing.T, what string, refresh func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		done, err := refresh()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out", what)
		}
		time.Sleep(tfPollInterval)
	}
}

// tfWaitDomainValidationsKnown is waitCertificateDomainValidationsKnown:
// for AMAZON_ISSUED certificates, poll until a validation option carries a
// ResourceRecord or ValidationEmails. A PRIVATE certificate needs no
// validation but is issued by its CA a moment after the request, so the
// provider polls until it is ISSUED; FAILED stops the wait here at once,
// where the provider would time out. Other types need no wait.
func tfWaitDomainValidationsKnown(t *testing.T, ctx context.Context, client *acm.Client, arn string) {
	t.Helper()
	tfWait(t, "wait for domain validations of "+arn, func() (bool, error) {
		cert, err := tfFindCertificate(ctx, client, arn)
		if err != nil || cert == nil {
			return false, err
		}
		switch cert.Type {
		case types.CertificateTypeAmazonIssued:
			for _, option := range cert.DomainValidationOptions {
				if option.ResourceRecord != nil || len(option.ValidationEmails) > 0 {
					return true, nil
				}
			}
			return false, nil
		case types.CertificateTypePrivate:
			if cert.Status == types.CertificateStatusFailed {
				return false, fmt.Errorf("private certificate %s failed: %s", arn, cert.FailureReason)
			}
			return cert.Status == types.CertificateStatusIssued, nil
		default:
			return true, nil
		}
	})
}

// tfRead is resourceCertificateRead: find the certificate, then read its
// tags (the provider's transparent tagging calls ListTagsForCertificate).
func tfRead(t *testing.T, ctx context.Context, client *acm.Client, arn string) (*types.CertificateDetail, map[string]string) {
	t.Helper()
	cert, err := tfFindCertificate(ctx, client, arn)
	if err != nil {
		t.Fatalf("read %s: %v", arn, err)
	}
	if cert == nil {
		t.Fatalf("read %s: certificate gone", arn)
	}
	out, err := client.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("list tags of %s: %v", arn, err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return cert, tags
}

// tfUpdateTags is the provider's generated updateTags: remove the keys that
// went away, then add or overwrite the rest.
func tfUpdateTags(t *testing.T, ctx context.Context, client *acm.Client, arn string, removed []string, updated map[string]string) {
	t.Helper()
	if len(removed) > 0 {
		var tags []types.Tag
		for _, key := range removed {
			tags = append(tags, types.Tag{Key: aws.String(key)})
		}
		if _, err := client.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{CertificateArn: aws.String(arn), Tags: tags}); err != nil {
			t.Fatalf("remove tags: %v", err)
		}
	}
	if len(updated) > 0 {
		var tags []types.Tag
		for key, value := range updated {
			tags = append(tags, types.Tag{Key: aws.String(key), Value: aws.String(value)})
		}
		if _, err := client.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: aws.String(arn), Tags: tags}); err != nil {
			t.Fatalf("add tags: %v", err)
		}
	}
}

// tfDelete is resourceCertificateDelete: DeleteCertificate, retried while
// it fails with ResourceInUseException (for up to 20 minutes in the
// provider), and ResourceNotFoundException counts as deleted.
func tfDelete(t *testing.T, ctx context.Context, client *acm.Client, arn string) {
	t.Helper()
	tfWait(t, "delete "+arn, func() (bool, error) {
		_, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
		var inUse *types.ResourceInUseException
		var notFound *types.ResourceNotFoundException
		switch {
		case errors.As(err, &inUse):
			return false, nil
		case errors.As(err, &notFound):
			return true, nil
		default:
			return err == nil, err
		}
	})
}

// tfValidate is aws_acm_certificate_validation's create. The certificate
// must be AMAZON_ISSUED, and every DNS record must be among fqdns when
// fqdns are given. Then it polls until ISSUED and fails on any status but
// PENDING_VALIDATION. The read afterwards drops the resource unless ISSUED.
func tfValidate(t *testing.T, ctx context.Context, client *acm.Client, arn string, fqdns []string) *types.CertificateDetail {
	t.Helper()
	cert, err := tfFindCertificate(ctx, client, arn)
	if err != nil || cert == nil {
		t.Fatalf("validation: find %s: %v", arn, err)
	}
	if cert.Type != types.CertificateTypeAmazonIssued {
		t.Fatalf("validation: certificate %s has type %s, no validation necessary", arn, cert.Type)
	}
	if len(fqdns) > 0 {
		for _, option := range cert.DomainValidationOptions {
			if option.ValidationMethod != types.ValidationMethodDns {
				continue
			}
			name := strings.TrimSuffix(aws.ToString(option.ResourceRecord.Name), ".")
			if !slices.Contains(fqdns, name) {
				t.Fatalf("validation: missing %s DNS validation record: %s", aws.ToString(option.DomainName), name)
			}
		}
	}

	tfWait(t, "wait for "+arn+" to be issued", func() (bool, error) {
		cert, err = tfFindCertificate(ctx, client, arn)
		if err != nil || cert == nil {
			return false, err
		}
		switch cert.Status {
		case types.CertificateStatusIssued:
			return true, nil
		case types.CertificateStatusPendingValidation:
			return false, nil
		default:
			return false, fmt.Errorf("certificate %s is %s (%s)", arn, cert.Status, cert.FailureReason)
		}
	})

	cert, err = tfFindCertificate(ctx, client, arn)
	if err != nil || cert == nil || cert.Status != types.CertificateStatusIssued {
		t.Fatalf("validation read: %v, %v", cert, err)
	}
	return cert
}

func checkCalls(t *testing.T, step string, log *callLog, want []string) {
	t.Helper()
	if got := log.take(); !slices.Equal(got, want) {
		t.Errorf("%s calls:\n got %v\nwant %v", step, got, want)
	}
}

func TestTerraformCertificateDNS(t *testing.T) {
	s := startServer(t)
	log := &callLog{}
	client := terraformClient(s, "us-east-1", log)
	ctx := context.Background()

	// terraform apply: create, wait for the records, read.
	out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:              aws.String("tf.example.com"),
		SubjectAlternativeNames: []string{"tf.example.com", "*.tf.example.com"},
		ValidationMethod:        types.ValidationMethodDns,
		IdempotencyToken:        aws.String("terraform20250101000000000000001"),
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
		Options:                 &types.CertificateOptions{CertificateTransparencyLoggingPreference: types.CertificateTransparencyLoggingPreferenceEnabled},
		Tags:                    []types.Tag{{Key: aws.String("Name"), Value: aws.String("tf")}, {Key: aws.String("env"), Value: aws.String("test")}},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	arn := aws.ToString(out.CertificateArn)
	tfWaitDomainValidationsKnown(t, ctx, client, arn)
	cert, tags := tfRead(t, ctx, client, arn)
	checkCalls(t, "create", log, []string{"RequestCertificate", "DescribeCertificate", "ListTagsForCertificate"})

	if len(cert.DomainValidationOptions) != 2 {
		t.Fatalf("domain_validation_options has %d entries, want 2", len(cert.DomainValidationOptions))
	}
	var fqdns []string
	for _, option := range cert.DomainValidationOptions {
		if option.ResourceRecord == nil || option.ResourceRecord.Type != types.RecordTypeCname {
			t.Fatalf("validation option %s has no CNAME record", aws.ToString(option.DomainName))
		}
		fqdns = append(fqdns, strings.TrimSuffix(aws.ToString(option.ResourceRecord.Name), "."))
	}
	if tags["Name"] != "tf" || tags["env"] != "test" {
		t.Errorf("tags after create = %v, want Name=tf env=test", tags)
	}

	// aws_acm_certificate_validation with validation_record_fqdns.
	tfValidate(t, ctx, client, arn, fqdns)
	checkCalls(t, "validation", log, []string{"DescribeCertificate"})

	// terraform apply after a tag change: RemoveTags, AddTags, read.
	tfUpdateTags(t, ctx, client, arn, []string{"env"}, map[string]string{"Name": "tf-renamed"})
	_, tags = tfRead(t, ctx, client, arn)
	checkCalls(t, "update tags", log, []string{"RemoveTagsFromCertificate", "AddTagsToCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if len(tags) != 1 || tags["Name"] != "tf-renamed" {
		t.Errorf("tags after update = %v, want Name=tf-renamed only", tags)
	}

	// terraform apply after options.certificate_transparency_logging_preference changed.
	_, err = client.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{
		CertificateArn: aws.String(arn),
		Options:        &types.CertificateOptions{CertificateTransparencyLoggingPreference: types.CertificateTransparencyLoggingPreferenceDisabled},
	})
	if err != nil {
		t.Fatalf("UpdateCertificateOptions: %v", err)
	}
	cert, _ = tfRead(t, ctx, client, arn)
	checkCalls(t, "update options", log, []string{"UpdateCertificateOptions", "DescribeCertificate", "ListTagsForCertificate"})
	if cert.Options == nil || cert.Options.CertificateTransparencyLoggingPreference != types.CertificateTransparencyLoggingPreferenceDisabled {
		t.Errorf("options after update = %+v, want logging DISABLED", cert.Options)
	}

	// terraform destroy while a load balancer still uses the certificate:
	// the provider retries on ResourceInUseException until the listener is gone.
	setInUse(t, s, arn, []string{"arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/tf/1"})
	released := make(chan struct{})
	go func() {
		defer close(released)
		if waitForCall(log, "DeleteCertificate:ResourceInUseException") {
			setInUse(t, s, arn, []string{})
		}
	}()
	tfDelete(t, ctx, client, arn)
	<-released
	checkCalls(t, "destroy", log, []string{"DeleteCertificate:ResourceInUseException", "DeleteCertificate"})

	if cert, err := tfFindCertificate(ctx, client, arn); err != nil || cert != nil {
		t.Errorf("after destroy: find = %v, %v; want gone", cert, err)
	}
}

func TestTerraformCertificateEmail(t *testing.T) {
	s := startServer(t)
	log := &callLog{}
	client := terraformClient(s, "eu-central-1", log)
	ctx := context.Background()

	out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:       aws.String("mail.tf.example.com"),
		ValidationMethod: types.ValidationMethodEmail,
		IdempotencyToken: aws.String("terraform20250101000000000000002"),
		DomainValidationOptions: []types.DomainValidationOption{
			{DomainName: aws.String("mail.tf.example.com"), ValidationDomain: aws.String("example.com")},
		},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	arn := aws.ToString(out.CertificateArn)
	tfWaitDomainValidationsKnown(t, ctx, client, arn)
	cert, _ := tfRead(t, ctx, client, arn)
	checkCalls(t, "create", log, []string{"RequestCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if emails := cert.DomainValidationOptions[0].ValidationEmails; !slices.Contains(emails, "admin@example.com") {
		t.Errorf("validation_emails = %v, want admin@example.com among them", emails)
	}

	// aws_acm_certificate_validation without fqdns: wait for ISSUED.
	tfValidate(t, ctx, client, arn, nil)
	checkCalls(t, "validation", log, []string{"DescribeCertificate"})

	tfDelete(t, ctx, client, arn)
	checkCalls(t, "destroy", log, []string{"DeleteCertificate"})
}

func TestTerraformCertificatePrivate(t *testing.T) {
	s := startServer(t)
	log := &callLog{}
	client := terraformClient(s, "us-east-1", log)
	ctx := context.Background()

	// The private CA is made outside the replay, as an aws_acmpca_certificate_authority
	// resource or an existing CA would be.
	pcaClient := s.pcaClient("us-east-1")
	caArn := createCA(t, pcaClient, caInput(pcatypes.CertificateAuthorityTypeRoot, "Terraform Root CA", nil))
	root := activateRoot(t, pcaClient, caArn)

	// terraform apply: create, wait until issued, read.
	out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:              aws.String("private.tf.internal"),
		SubjectAlternativeNames: []string{"private.tf.internal", "api.private.tf.internal"},
		CertificateAuthorityArn: aws.String(caArn),
		IdempotencyToken:        aws.String("terraform20250101000000000000003"),
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
		Tags:                    []types.Tag{{Key: aws.String("tier"), Value: aws.String("internal")}},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	arn := aws.ToString(out.CertificateArn)
	tfWaitDomainValidationsKnown(t, ctx, client, arn)
	cert, tags := tfRead(t, ctx, client, arn)
	checkCalls(t, "create", log, []string{"RequestCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if cert.Type != types.CertificateTypePrivate || aws.ToString(cert.CertificateAuthorityArn) != caArn {
		t.Errorf("private certificate: type %s CA %s, want PRIVATE %s", cert.Type, aws.ToString(cert.CertificateAuthorityArn), caArn)
	}
	if cert.Status != types.CertificateStatusIssued || len(cert.DomainValidationOptions) != 0 {
		t.Errorf("private certificate: status %s, %d validation options; want ISSUED and none", cert.Status, len(cert.DomainValidationOptions))
	}
	if cert.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Errorf("renewal_eligibility = %s, want INELIGIBLE", cert.RenewalEligibility)
	}
	if tags["tier"] != "internal" {
		t.Errorf("tags = %v, want tier=internal", tags)
	}

	// Outside the replay: what a consumer of the resource fetches chains to the CA.
	got, err := s.client("us-east-1").GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	leaf := parseSingleCertificate(t, aws.ToString(got.Certificate))
	verifyChain(t, leaf, aws.ToString(got.CertificateChain), root)
	if !slices.Equal(leaf.DNSNames, []string{"private.tf.internal", "api.private.tf.internal"}) {
		t.Errorf("leaf names = %v, want the requested names", leaf.DNSNames)
	}

	// terraform apply after a tag change.
	tfUpdateTags(t, ctx, client, arn, []string{"tier"}, map[string]string{"owner": "platform"})
	_, tags = tfRead(t, ctx, client, arn)
	checkCalls(t, "update tags", log, []string{"RemoveTagsFromCertificate", "AddTagsToCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if len(tags) != 1 || tags["owner"] != "platform" {
		t.Errorf("tags after update = %v, want owner=platform only", tags)
	}

	tfDelete(t, ctx, client, arn)
	checkCalls(t, "destroy", log, []string{"DeleteCertificate"})
	if cert, err := tfFindCertificate(ctx, client, arn); err != nil || cert != nil {
		t.Errorf("after destroy: find = %v, %v; want gone", cert, err)
	}
}

func TestTerraformCertificateImported(t *testing.T) {
	s := startServer(t)
	log := &callLog{}
	client := terraformClient(s, "us-east-1", log)
	ctx := context.Background()

	certPEM, keyPEM := selfSignedPEM(t, "imported.tf.example.com")
	out, err := client.ImportCertificate(ctx, &acm.ImportCertificateInput{
		Certificate: certPEM,
		PrivateKey:  keyPEM,
		Tags:        []types.Tag{{Key: aws.String("source"), Value: aws.String("tf")}},
	})
	if err != nil {
		t.Fatalf("create (import): %v", err)
	}
	// The provider waits for domain validations only after RequestCertificate.
	arn := aws.ToString(out.CertificateArn)
	cert, tags := tfRead(t, ctx, client, arn)
	checkCalls(t, "create", log, []string{"ImportCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if cert.Type != types.CertificateTypeImported || tags["source"] != "tf" {
		t.Errorf("imported certificate: type %s tags %v, want IMPORTED source=tf", cert.Type, tags)
	}

	// A changed certificate_body re-imports into the same ARN.
	renewedPEM, renewedKeyPEM := selfSignedPEM(t, "imported.tf.example.com")
	_, err = client.ImportCertificate(ctx, &acm.ImportCertificateInput{
		CertificateArn: aws.String(arn),
		Certificate:    renewedPEM,
		PrivateKey:     renewedKeyPEM,
	})
	if err != nil {
		t.Fatalf("update (re-import): %v", err)
	}
	cert, _ = tfRead(t, ctx, client, arn)
	checkCalls(t, "re-import", log, []string{"ImportCertificate", "DescribeCertificate", "ListTagsForCertificate"})
	if cert.Type != types.CertificateTypeImported {
		t.Errorf("after re-import: type %s, want IMPORTED", cert.Type)
	}

	tfDelete(t, ctx, client, arn)
	checkCalls(t, "destroy", log, []string{"DeleteCertificate"})
}

// setInUse sets the resources using a certificate through the state control.
func setInUse(t *testing.T, s *server, arn string, users []string) {
	got := s.callControl(t, api.CertificateStatePath, "us-east-1", map[string]any{"CertificateArn": arn, "InUseBy": users}, false)
	if got.status != http.StatusOK {
		t.Errorf("set InUseBy %v: status %d, body %v", users, got.status, got.body)
	}
}

// waitForCall reports whether log records entry within 30 seconds.
func waitForCall(log *callLog, entry string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		log.mu.Lock()
		seen := slices.Contains(log.calls, entry)
		log.mu.Unlock()
		if seen {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// selfSignedPEM returns a self-signed ECDSA certificate for name and its key, in PEM.
func selfSignedPEM(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(90 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

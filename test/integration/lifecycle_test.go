package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

// recordNamePattern is the shape of a DNS validation record name:
// "_<32 hex>." followed by the name without its wildcard label.
const recordNamePattern = `^_[0-9a-f]{32}\.%s\.$`

// recordValuePattern is the shape of a DNS validation record value:
// "_<32 hex>.<10 lower-case letters>." followed by the validation zone.
const recordValuePattern = `^_[0-9a-f]{32}\.[a-z]{10}\.%s$`

// startRealValidation starts a DNS server and OpenACM in real validation
// mode, looking records up in that server every 100 ms.
func startRealValidation(t *testing.T) (*server, *dnsserver.Server) {
	t.Helper()

	dns := dnsserver.Start(t)
	s := startServer(t, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dns.Addr()
		cfg.DNSRecheckInterval = 100 * time.Millisecond
	})
	return s, dns
}

func TestDNSValidationReal(t *testing.T) {
	s, dns := startRealValidation(t)
	client := s.client("us-east-1")
	names := []string{"example.com", "www.example.com", "*.example.com"}

	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String(names[0]),
		SubjectAlternativeNames: names[1:],
		ValidationMethod:        types.ValidationMethodDns,
	})
	detail := describeCertificate(t, client, arn)
	checkPending(t, detail)
	records := checkValidationRecords(t, detail, names, "acm-validations.aws.")

	if records["example.com"] != records["*.example.com"] {
		t.Errorf("example.com record %+v differs from *.example.com record %+v, want one shared record", records["example.com"], records["*.example.com"])
	}
	if records["example.com"] == records["www.example.com"] {
		t.Errorf("example.com and www.example.com share the record %+v, want one each", records["example.com"])
	}
	checkRecordsRepeat(t, client, records)

	// Each pass looks up one record per pending name.
	queriesPerPass := len(names)

	t.Run("nothing published", func(t *testing.T) {
		waitForPasses(t, dns, queriesPerPass)

		checkValidationStatuses(t, describeCertificate(t, client, arn), map[string]string{
			"example.com": "PENDING_VALIDATION", "www.example.com": "PENDING_VALIDATION", "*.example.com": "PENDING_VALIDATION",
		})
	})

	t.Run("wrong value", func(t *testing.T) {
		for _, record := range records {
			dns.SetCNAME(record.name, "_00000000000000000000000000000000.wrongvalue.acm-validations.aws.")
		}
		waitForPasses(t, dns, queriesPerPass)

		checkValidationStatuses(t, describeCertificate(t, client, arn), map[string]string{
			"example.com": "PENDING_VALIDATION", "www.example.com": "PENDING_VALIDATION", "*.example.com": "PENDING_VALIDATION",
		})
	})

	t.Run("some names published", func(t *testing.T) {
		// example.com's record also validates *.example.com, and
		// www.example.com keeps the wrong value.
		dns.SetCNAME(records["example.com"].name, records["example.com"].value)
		waitForValidationStatus(t, client, arn, "*.example.com", "SUCCESS")
		waitForPasses(t, dns, 1)

		detail := describeCertificate(t, client, arn)
		checkValidationStatuses(t, detail, map[string]string{
			"example.com": "SUCCESS", "www.example.com": "PENDING_VALIDATION", "*.example.com": "SUCCESS",
		})
		if detail.Status != types.CertificateStatusPendingValidation {
			t.Errorf("certificate Status = %s with www.example.com pending, want PENDING_VALIDATION", detail.Status)
		}
	})

	t.Run("all published", func(t *testing.T) {
		dns.SetCNAME(records["www.example.com"].name, records["www.example.com"].value)
		detail := waitForStatus(t, client, arn, "ISSUED").Certificate

		checkValidationStatuses(t, detail, map[string]string{
			"example.com": "SUCCESS", "www.example.com": "SUCCESS", "*.example.com": "SUCCESS",
		})
		s.checkIssued(t, detail, getCertificate(t, client, arn), names, types.KeyAlgorithmRsa2048)
	})
}

func TestValidationZoneInRecords(t *testing.T) {
	s := startServer(t, func(cfg *config.Config) {
		cfg.ValidationZone = "validations.example.net."
	})
	client := s.client("us-east-1")
	names := []string{"zone.example.com", "*.zone.example.com"}

	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String(names[0]),
		SubjectAlternativeNames: names[1:],
		ValidationMethod:        types.ValidationMethodDns,
	})

	checkValidationRecords(t, describeCertificate(t, client, arn), names, "validations.example.net.")
}

func TestListCertificates(t *testing.T) {
	s, dns := startRealValidation(t)
	client := s.client("us-east-1")

	// Seven RSA and three EC certificates, of which one of each stays pending.
	specs := []struct {
		domain    string
		algorithm types.KeyAlgorithm
		issue     bool
	}{
		{"rsa-0.example.com", types.KeyAlgorithmRsa2048, true},
		{"rsa-1.example.com", types.KeyAlgorithmRsa2048, true},
		{"rsa-2.example.com", types.KeyAlgorithmRsa2048, false},
		{"ec-0.example.com", types.KeyAlgorithmEcPrime256v1, true},
		{"rsa-3.example.com", types.KeyAlgorithmRsa2048, true},
		{"ec-1.example.com", types.KeyAlgorithmEcPrime256v1, false},
		{"rsa-4.example.com", types.KeyAlgorithmRsa2048, true},
		{"rsa-5.example.com", types.KeyAlgorithmRsa2048, true},
		{"ec-2.example.com", types.KeyAlgorithmEcSecp384r1, true},
		{"rsa-6.example.com", types.KeyAlgorithmRsa2048, true},
	}

	arnsByKind := map[string][]string{}
	var issuedArns []string
	for _, spec := range specs {
		arn := requestCertificate(t, client, &acm.RequestCertificateInput{
			DomainName:       aws.String(spec.domain),
			ValidationMethod: types.ValidationMethodDns,
			KeyAlgorithm:     spec.algorithm,
		})
		status := "PENDING_VALIDATION"
		if spec.issue {
			publishValidationRecords(t, dns, describeCertificate(t, client, arn))
			issuedArns = append(issuedArns, arn)
			status = "ISSUED"
		}
		arnsByKind[string(spec.algorithm)] = append(arnsByKind[string(spec.algorithm)], arn)
		arnsByKind[string(spec.algorithm)+" "+status] = append(arnsByKind[string(spec.algorithm)+" "+status], arn)
	}
	for _, arn := range issuedArns {
		waitForStatus(t, client, arn, "ISSUED")
	}

	rsa := arnsByKind["RSA_2048"]
	ecP256 := arnsByKind["EC_prime256v1"]
	allEC := slices.Concat(ecP256, arnsByKind["EC_secp384r1"])

	filterCases := []struct {
		name  string
		input acm.ListCertificatesInput
		want  []string
	}{
		{"default is RSA only", acm.ListCertificatesInput{}, rsa},
		{
			"key type EC prime256v1",
			acm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcPrime256v1}}},
			ecP256,
		},
		{
			"key types of both curves",
			acm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcPrime256v1, types.KeyAlgorithmEcSecp384r1}}},
			allEC,
		},
		{
			"status issued",
			acm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusIssued}},
			arnsByKind["RSA_2048 ISSUED"],
		},
		{
			"status pending",
			acm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusPendingValidation}},
			arnsByKind["RSA_2048 PENDING_VALIDATION"],
		},
		{
			"status pending with EC key type",
			acm.ListCertificatesInput{
				CertificateStatuses: []types.CertificateStatus{types.CertificateStatusPendingValidation},
				Includes:            &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcPrime256v1}},
			},
			arnsByKind["EC_prime256v1 PENDING_VALIDATION"],
		},
		{
			"both statuses",
			acm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusIssued, types.CertificateStatusPendingValidation}},
			rsa,
		},
	}
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			got := summaryArns(listAll(t, client, tc.input, 0))
			if !sameSet(got, tc.want) {
				t.Errorf("listed %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("paging by two", func(t *testing.T) {
		got := summaryArns(listAll(t, client, acm.ListCertificatesInput{}, 2))

		if len(got) != len(rsa) || !sameSet(got, rsa) {
			t.Errorf("paged list = %q, want each of %q once", got, rsa)
		}
	})

	t.Run("sort by creation time", func(t *testing.T) {
		all := &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmRsa2048, types.KeyAlgorithmEcPrime256v1, types.KeyAlgorithmEcSecp384r1}}
		ascending := listAll(t, client, acm.ListCertificatesInput{Includes: all, SortBy: types.SortByCreatedAt, SortOrder: types.SortOrderAscending}, 0)
		descending := listAll(t, client, acm.ListCertificatesInput{Includes: all, SortBy: types.SortByCreatedAt, SortOrder: types.SortOrderDescending}, 0)
		descendingPaged := listAll(t, client, acm.ListCertificatesInput{Includes: all, SortBy: types.SortByCreatedAt, SortOrder: types.SortOrderDescending}, 3)

		if len(ascending) != len(specs) {
			t.Fatalf("ascending list has %d certificates, want %d", len(ascending), len(specs))
		}
		for i := 1; i < len(ascending); i++ {
			if ascending[i].CreatedAt.Before(*ascending[i-1].CreatedAt) {
				t.Errorf("ascending list: %s created at %s comes after one created at %s", aws.ToString(ascending[i].DomainName), ascending[i].CreatedAt, ascending[i-1].CreatedAt)
			}
		}

		reversed := slices.Clone(summaryArns(ascending))
		slices.Reverse(reversed)
		if got := summaryArns(descending); !slices.Equal(got, reversed) {
			t.Errorf("descending list = %q, want the ascending list reversed %q", got, reversed)
		}
		if got := summaryArns(descendingPaged); !slices.Equal(got, reversed) {
			t.Errorf("descending list in pages of 3 = %q, want %q", got, reversed)
		}
	})

	t.Run("summary fields", func(t *testing.T) {
		all := &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmRsa2048, types.KeyAlgorithmEcPrime256v1, types.KeyAlgorithmEcSecp384r1}}
		summaries := listAll(t, client, acm.ListCertificatesInput{Includes: all}, 0)
		algorithms := map[string]types.KeyAlgorithm{}
		for _, spec := range specs {
			algorithms[spec.domain] = spec.algorithm
		}

		for _, summary := range summaries {
			checkSummary(t, summary, algorithms[aws.ToString(summary.DomainName)])
		}
	})
}

// checkSummary checks the fields of one ListCertificates summary.
func checkSummary(t *testing.T, summary types.CertificateSummary, algorithm types.KeyAlgorithm) {
	t.Helper()
	domain := aws.ToString(summary.DomainName)

	if string(summary.KeyAlgorithm) != keyAlgorithmDisplay[algorithm] {
		t.Errorf("%s: KeyAlgorithm = %q, want %q", domain, summary.KeyAlgorithm, keyAlgorithmDisplay[algorithm])
	}
	if summary.InUse == nil || *summary.InUse {
		t.Errorf("%s: InUse = %v, want false", domain, summary.InUse)
	}
	if summary.Exported == nil || *summary.Exported {
		t.Errorf("%s: Exported = %v, want false", domain, summary.Exported)
	}
	if !slices.Equal(summary.SubjectAlternativeNameSummaries, []string{domain}) {
		t.Errorf("%s: SubjectAlternativeNameSummaries = %q, want [%s]", domain, summary.SubjectAlternativeNameSummaries, domain)
	}

	wantKeyUsages, wantExtended := []string{}, []string{}
	if summary.Status == types.CertificateStatusIssued {
		wantKeyUsages, wantExtended = keyUsageNames[algorithm], []string{"TLS_WEB_SERVER_AUTHENTICATION"}
	}
	keyUsages, extended := []string{}, []string{}
	for _, usage := range summary.KeyUsages {
		keyUsages = append(keyUsages, string(usage))
	}
	for _, usage := range summary.ExtendedKeyUsages {
		extended = append(extended, string(usage))
	}
	if !slices.Equal(keyUsages, wantKeyUsages) {
		t.Errorf("%s (%s): KeyUsages = %q, want %q", domain, summary.Status, keyUsages, wantKeyUsages)
	}
	if !slices.Equal(extended, wantExtended) {
		t.Errorf("%s (%s): ExtendedKeyUsages = %q, want %q", domain, summary.Status, extended, wantExtended)
	}
}

func TestCertificateTags(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:       aws.String("tags.example.com"),
		ValidationMethod: types.ValidationMethodDns,
		Tags:             []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	})

	steps := []struct {
		name   string
		add    []types.Tag
		remove []types.Tag
		want   map[string]string
	}{
		{
			name: "add",
			add:  []types.Tag{{Key: aws.String("team"), Value: aws.String("pki")}, {Key: aws.String("owner"), Value: aws.String("alice")}},
			want: map[string]string{"env": "dev", "team": "pki", "owner": "alice"},
		},
		{
			name: "overwrite",
			add:  []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
			want: map[string]string{"env": "prod", "team": "pki", "owner": "alice"},
		},
		{
			name:   "remove by key",
			remove: []types.Tag{{Key: aws.String("team")}},
			want:   map[string]string{"env": "prod", "owner": "alice"},
		},
		{
			name:   "remove with other value",
			remove: []types.Tag{{Key: aws.String("owner"), Value: aws.String("bob")}},
			want:   map[string]string{"env": "prod", "owner": "alice"},
		},
		{
			name:   "remove with same value",
			remove: []types.Tag{{Key: aws.String("owner"), Value: aws.String("alice")}},
			want:   map[string]string{"env": "prod"},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.add != nil {
				_, err := client.AddTagsToCertificate(t.Context(), &acm.AddTagsToCertificateInput{CertificateArn: aws.String(arn), Tags: step.add})
				if err != nil {
					t.Fatalf("AddTagsToCertificate: %v", err)
				}
			}
			if step.remove != nil {
				_, err := client.RemoveTagsFromCertificate(t.Context(), &acm.RemoveTagsFromCertificateInput{CertificateArn: aws.String(arn), Tags: step.remove})
				if err != nil {
					t.Fatalf("RemoveTagsFromCertificate: %v", err)
				}
			}

			if got := listTags(t, client, arn); !maps.Equal(got, step.want) {
				t.Errorf("tags = %v, want %v", got, step.want)
			}
		})
	}
}

func TestDeleteCertificate(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:       aws.String("delete.example.com"),
		ValidationMethod: types.ValidationMethodDns,
	})
	waitForStatus(t, client, arn, "ISSUED")

	if _, err := client.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}

	_, err := client.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "DescribeCertificate after delete", err)

	_, err = client.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "DeleteCertificate twice", err)

	_, err = client.GetCertificate(t.Context(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "GetCertificate after delete", err)

	if got := summaryArns(listAll(t, client, acm.ListCertificatesInput{}, 0)); slices.Contains(got, arn) {
		t.Errorf("ListCertificates after delete still lists %s", arn)
	}
}

func TestRegionIsolation(t *testing.T) {
	s := startServer(t)
	home := s.client("us-east-1")
	other := s.client("eu-west-1")
	arn := requestCertificate(t, home, &acm.RequestCertificateInput{
		DomainName:       aws.String("region.example.com"),
		ValidationMethod: types.ValidationMethodDns,
	})
	waitForStatus(t, home, arn, "ISSUED")

	_, err := other.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "DescribeCertificate from eu-west-1", err)

	_, err = other.GetCertificate(t.Context(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "GetCertificate from eu-west-1", err)

	_, err = other.AddTagsToCertificate(t.Context(), &acm.AddTagsToCertificateInput{
		CertificateArn: aws.String(arn),
		Tags:           []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	checkNotFound(t, "AddTagsToCertificate from eu-west-1", err)

	_, err = other.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	checkNotFound(t, "DeleteCertificate from eu-west-1", err)

	if got := listAll(t, other, acm.ListCertificatesInput{}, 0); len(got) != 0 {
		t.Errorf("eu-west-1 lists %q, want nothing", summaryArns(got))
	}
	if got := summaryArns(listAll(t, home, acm.ListCertificatesInput{}, 0)); !slices.Equal(got, []string{arn}) {
		t.Errorf("us-east-1 lists %q after the eu-west-1 calls, want [%s]", got, arn)
	}
	if got := listTags(t, home, arn); len(got) != 0 {
		t.Errorf("tags in us-east-1 = %v after AddTagsToCertificate from eu-west-1, want none", got)
	}
}

func TestRestartKeepsCertificates(t *testing.T) {
	s, dns := startRealValidation(t)
	client := s.client("us-east-1")
	tags := []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("empty"), Value: aws.String("")}}

	issuedArn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:       aws.String("issued.example.com"),
		ValidationMethod: types.ValidationMethodDns,
		Tags:             tags,
	})
	publishValidationRecords(t, dns, describeCertificate(t, client, issuedArn))
	waitForStatus(t, client, issuedArn, "ISSUED")

	pendingArn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String("pending.example.com"),
		SubjectAlternativeNames: []string{"www.pending.example.com"},
		ValidationMethod:        types.ValidationMethodDns,
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
		Tags:                    tags,
	})
	pendingBefore := describeCertificate(t, client, pendingArn)

	issuedBefore := describeCertificate(t, client, issuedArn)
	issuedPEMBefore := getCertificate(t, client, issuedArn)
	rootBefore := httpGet(t, s.url()+"/ca/root.pem")
	arnsBefore := summaryArns(listAll(t, client, acm.ListCertificatesInput{}, 0))

	s.restart()
	client = s.client("us-east-1")
	waitForReady(t, s)

	if got := describeCertificate(t, client, issuedArn); !sameJSON(got, issuedBefore) {
		t.Errorf("issued certificate after restart =\n%s\nwant\n%s", toJSON(got), toJSON(issuedBefore))
	}
	if got := getCertificate(t, client, issuedArn); aws.ToString(got.Certificate) != aws.ToString(issuedPEMBefore.Certificate) || aws.ToString(got.CertificateChain) != aws.ToString(issuedPEMBefore.CertificateChain) {
		t.Errorf("GetCertificate after restart returns other PEM than before")
	}
	if got := describeCertificate(t, client, pendingArn); !sameJSON(got, pendingBefore) {
		t.Errorf("pending certificate after restart =\n%s\nwant\n%s", toJSON(got), toJSON(pendingBefore))
	}
	for _, arn := range []string{issuedArn, pendingArn} {
		want := map[string]string{"env": "prod", "empty": ""}
		if got := listTags(t, client, arn); !maps.Equal(got, want) {
			t.Errorf("tags of %s after restart = %v, want %v", arn, got, want)
		}
	}
	if got := summaryArns(listAll(t, client, acm.ListCertificatesInput{}, 0)); !slices.Equal(got, arnsBefore) {
		t.Errorf("ListCertificates after restart = %q, want %q", got, arnsBefore)
	}

	rootAfter := httpGet(t, s.url()+"/ca/root.pem")
	if string(rootAfter) != string(rootBefore) {
		t.Errorf("root certificate changed across restart")
	}

	// The pending certificate goes on to be issued by the same CA.
	publishValidationRecords(t, dns, describeCertificate(t, client, pendingArn))
	detail := waitForStatus(t, client, pendingArn, "ISSUED").Certificate
	output := getCertificate(t, client, pendingArn)
	s.checkIssued(t, detail, output, []string{"pending.example.com", "www.pending.example.com"}, types.KeyAlgorithmEcPrime256v1)

	if aws.ToString(output.CertificateChain) != aws.ToString(issuedPEMBefore.CertificateChain) {
		t.Errorf("chain of the certificate issued after restart differs from the chain before restart")
	}
	chain := parseCertificates(t, aws.ToString(output.CertificateChain))
	rootPEM := parseCertificates(t, string(rootBefore))
	if len(rootPEM) != 1 || !slices.Equal(chain[len(chain)-1].Raw, rootPEM[0].Raw) {
		t.Errorf("chain after restart does not end in the root served before restart")
	}
}

func TestHealthEndpoints(t *testing.T) {
	s := startServer(t)

	httpGet(t, s.url()+"/healthz")
	waitForReady(t, s)
}

// waitForReady polls /readyz until it returns 200, because the worker
// marks itself running from its own goroutine just after start.
func waitForReady(t *testing.T, s *server) {
	t.Helper()

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		response, err := client.Get(s.url() + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz: %v", err)
		}
		response.Body.Close()
		if response.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz: status %d after 5 s, want 200", response.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// validationRecord is one DNS validation CNAME.
type validationRecord struct {
	name  string
	value string
}

// checkValidationRecords checks that detail has one DNS validation option
// per name, in order, with a well-formed record in zone, and returns the
// records by name.
func checkValidationRecords(t *testing.T, detail *types.CertificateDetail, names []string, zone string) map[string]validationRecord {
	t.Helper()

	options := detail.DomainValidationOptions
	if len(options) != len(names) {
		t.Fatalf("DomainValidationOptions has %d entries, want %d", len(options), len(names))
	}

	valuePattern := regexp.MustCompile(fmt.Sprintf(recordValuePattern, regexp.QuoteMeta(zone)))
	records := map[string]validationRecord{}
	for i, option := range options {
		name := names[i]
		if got := aws.ToString(option.DomainName); got != name {
			t.Errorf("DomainValidationOptions[%d].DomainName = %q, want %q", i, got, name)
		}
		if got := aws.ToString(option.ValidationDomain); got != name {
			t.Errorf("%s: ValidationDomain = %q, want %q", name, got, name)
		}
		if option.ValidationMethod != types.ValidationMethodDns {
			t.Errorf("%s: ValidationMethod = %q, want DNS", name, option.ValidationMethod)
		}
		if option.ValidationStatus != types.DomainStatusPendingValidation {
			t.Errorf("%s: ValidationStatus = %q, want PENDING_VALIDATION", name, option.ValidationStatus)
		}

		record := option.ResourceRecord
		if record == nil {
			t.Errorf("%s: ResourceRecord missing", name)
			continue
		}
		namePattern := regexp.MustCompile(fmt.Sprintf(recordNamePattern, regexp.QuoteMeta(strings.TrimPrefix(name, "*."))))
		if !namePattern.MatchString(aws.ToString(record.Name)) {
			t.Errorf("%s: ResourceRecord.Name = %q, want it to match %s", name, aws.ToString(record.Name), namePattern)
		}
		if record.Type != types.RecordTypeCname {
			t.Errorf("%s: ResourceRecord.Type = %q, want CNAME", name, record.Type)
		}
		if !valuePattern.MatchString(aws.ToString(record.Value)) {
			t.Errorf("%s: ResourceRecord.Value = %q, want it to match %s", name, aws.ToString(record.Value), valuePattern)
		}
		records[name] = validationRecord{name: aws.ToString(record.Name), value: aws.ToString(record.Value)}
	}
	return records
}

// checkRecordsRepeat requests the names again in another order and checks
// that each gets the record it got before, then deletes the new request so
// later DNS query counts see only the first certificate.
func checkRecordsRepeat(t *testing.T, client *acm.Client, records map[string]validationRecord) {
	t.Helper()

	names := []string{"www.example.com", "*.example.com", "example.com"}
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String(names[0]),
		SubjectAlternativeNames: names[1:],
		ValidationMethod:        types.ValidationMethodDns,
	})
	again := checkValidationRecords(t, describeCertificate(t, client, arn), names, "acm-validations.aws.")
	for _, name := range names {
		if again[name] != records[name] {
			t.Errorf("second request for %s got record %+v, want the first request's %+v", name, again[name], records[name])
		}
	}

	if _, err := client.DeleteCertificate(t.Context(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteCertificate of the repeated request: %v", err)
	}
}

// checkValidationStatuses checks the ValidationStatus of each named option.
func checkValidationStatuses(t *testing.T, detail *types.CertificateDetail, want map[string]string) {
	t.Helper()

	got := map[string]string{}
	for _, option := range detail.DomainValidationOptions {
		got[aws.ToString(option.DomainName)] = string(option.ValidationStatus)
	}
	if !maps.Equal(got, want) {
		t.Errorf("validation statuses = %v, want %v", got, want)
	}
}

// waitForPasses waits until the DNS server has answered at least two more
// passes of queriesPerPass queries. The first may have begun before the
// caller's change, so the second is the one that is sure to have seen it.
// A time-out is reported with t.Errorf, so the caller's status checks still
// run and show whether names were validated that should not have been.
func waitForPasses(t *testing.T, dns *dnsserver.Server, queriesPerPass int) {
	t.Helper()

	target := dns.Queries() + 2*queriesPerPass
	deadline := time.Now().Add(10 * time.Second)
	for dns.Queries() < target {
		if time.Now().After(deadline) {
			t.Errorf("DNS server answered %d queries in 10 s, want at least %d: OpenACM stopped looking the records up", dns.Queries(), target)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForValidationStatus polls until the option of name has status.
func waitForValidationStatus(t *testing.T, client *acm.Client, arn, name, status string) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, option := range describeCertificate(t, client, arn).DomainValidationOptions {
			if aws.ToString(option.DomainName) == name && string(option.ValidationStatus) == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("validation of %s is not %s after 10 s", name, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publishValidationRecords sets the right CNAME of every option in detail.
func publishValidationRecords(t *testing.T, dns *dnsserver.Server, detail *types.CertificateDetail) {
	t.Helper()

	for _, option := range detail.DomainValidationOptions {
		if option.ResourceRecord == nil {
			t.Fatalf("%s has no ResourceRecord to publish", aws.ToString(option.DomainName))
		}
		dns.SetCNAME(aws.ToString(option.ResourceRecord.Name), aws.ToString(option.ResourceRecord.Value))
	}
}

func requestCertificate(t *testing.T, client *acm.Client, input *acm.RequestCertificateInput) string {
	t.Helper()

	output, err := client.RequestCertificate(t.Context(), input)
	if err != nil {
		t.Fatalf("RequestCertificate %s: %v", aws.ToString(input.DomainName), err)
	}
	return aws.ToString(output.CertificateArn)
}

func describeCertificate(t *testing.T, client *acm.Client, arn string) *types.CertificateDetail {
	t.Helper()

	output, err := client.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeCertificate %s: %v", arn, err)
	}
	return output.Certificate
}

func getCertificate(t *testing.T, client *acm.Client, arn string) *acm.GetCertificateOutput {
	t.Helper()

	output, err := client.GetCertificate(t.Context(), &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetCertificate %s: %v", arn, err)
	}
	return output
}

func listTags(t *testing.T, client *acm.Client, arn string) map[string]string {
	t.Helper()

	output, err := client.ListTagsForCertificate(t.Context(), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForCertificate %s: %v", arn, err)
	}

	tags := map[string]string{}
	for _, tag := range output.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

// listAll walks every page of ListCertificates with the SDK paginator,
// asking for pageSize items a page (0: the server's default), and fails on
// a page larger than pageSize.
func listAll(t *testing.T, client *acm.Client, input acm.ListCertificatesInput, pageSize int32) []types.CertificateSummary {
	t.Helper()

	if pageSize > 0 {
		input.MaxItems = aws.Int32(pageSize)
	}
	paginator := acm.NewListCertificatesPaginator(client, &input)

	var summaries []types.CertificateSummary
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListCertificates page: %v", err)
		}
		if pageSize > 0 && len(page.CertificateSummaryList) > int(pageSize) {
			t.Errorf("page has %d summaries, want at most MaxItems %d", len(page.CertificateSummaryList), pageSize)
		}
		summaries = append(summaries, page.CertificateSummaryList...)
	}
	return summaries
}

func summaryArns(summaries []types.CertificateSummary) []string {
	arns := make([]string, 0, len(summaries))
	for _, summary := range summaries {
		arns = append(arns, aws.ToString(summary.CertificateArn))
	}
	return arns
}

// sameSet reports whether got and want contain the same ARNs, each once in got.
func sameSet(got, want []string) bool {
	sortedGot := slices.Sorted(slices.Values(got))
	sortedWant := slices.Sorted(slices.Values(want))
	return slices.Equal(sortedGot, sortedWant)
}

func checkNotFound(t *testing.T, call string, err error) {
	t.Helper()

	if err == nil {
		t.Errorf("%s succeeded, want ResourceNotFoundException", call)
		return
	}
	if code, message := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("%s: %s %q, want ResourceNotFoundException", call, code, message)
	}
}

// sameJSON compares two SDK values by their JSON form, which follows
// pointers, so equal fields compare equal wherever they are stored.
func sameJSON(a, b any) bool {
	return toJSON(a) == toJSON(b)
}

func toJSON(value any) string {
	encoded, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(encoded)
}

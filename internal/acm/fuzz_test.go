package acm

import (
	"strings"
	"testing"

	"github.com/openacm/openacm/internal/apierr"
)

// FuzzDomainNameRules runs the name rules of RequestCertificate: the name
// list and its quota, DomainValidationOptions and the superdomain test.
// Accepted names must be unique without regard to case, and a validation
// domain must be the name or one of its parents.
func FuzzDomainNameRules(f *testing.F) {
	f.Add("example.com", "www.example.com", "example.com")
	f.Add("*.example.com", "EXAMPLE.com", "com")
	f.Add("a.b.c.d.e.f.g.h.i.j.k", "", "k.")
	f.Add(strings.Repeat("a", 65), "x", "")
	f.Add("xn--bcher-kva.example", "bücher.example", "example")
	f.Add("example.com.", "..", ".")

	service := &Service{config: Config{MaxDomainsPerCertificate: 10}}
	f.Fuzz(func(t *testing.T, domain, san, validationDomain string) {
		names, err := service.certificateNames(domain, []string{san, san, strings.ToUpper(san)})
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("certificateNames returned %T, want *apierr.Error", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, name := range names {
			if seen[strings.ToLower(name)] {
				t.Errorf("certificateNames returned %q twice", name)
			}
			seen[strings.ToLower(name)] = true
		}

		domains, err := validationDomainsByName(names, []DomainValidationOption{{DomainName: domain, ValidationDomain: validationDomain}})
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("validationDomainsByName returned %T, want *apierr.Error", err)
			}
			return
		}
		got := domains[strings.ToLower(domain)]
		if !isSameOrSuperdomain(got, domain) {
			t.Errorf("accepted validation domain %q for %q, which is not the name or a parent", got, domain)
		}
	})
}

package validation

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// caaCriticalFlag is the issuer-critical bit of a CAA record's flags (RFC 8659 section 4.1).
const caaCriticalFlag = 128

// CAAChecker decides whether CAA records allow OpenACM to issue for a name.
type CAAChecker struct {
	dns        *DNSChecker
	identities map[string]bool
}

// NewCAAChecker returns a checker that looks CAA records up through dns and
// accepts records that name one of identities, the issuer domain names of
// OpenACM (such as "amazon.com").
func NewCAAChecker(dns *DNSChecker, identities []string) *CAAChecker {
	known := make(map[string]bool, len(identities))
	for _, identity := range identities {
		identity = strings.ToLower(strings.TrimSpace(identity))
		if identity != "" {
			known[identity] = true
		}
	}
	return &CAAChecker{dns: dns, identities: known}
}

// CheckCAA reports whether issuance for name is allowed. It climbs from name
// towards the root and uses the first non-empty CAA set, as RFC 8659
// section 3 describes. A name without any CAA set up to its top-level domain
// is allowed. A lookup failure returns an error, and the caller must not
// issue.
func (c *CAAChecker) CheckCAA(ctx context.Context, name string) (bool, error) {
	wildcard := strings.HasPrefix(name, "*.")
	fqdn := dns.Fqdn(strings.ToLower(strings.TrimPrefix(name, "*.")))

	for candidate := fqdn; candidate != "."; candidate = parentDomain(candidate) {
		records, err := c.lookup(ctx, candidate)
		if err != nil {
			return false, err
		}
		if len(records) > 0 {
			return c.allows(records, wildcard), nil
		}
	}
	return true, nil
}

// lookup returns the CAA records in the answer for fqdn, which includes
// those of a CNAME target the resolver followed.
func (c *CAAChecker) lookup(ctx context.Context, fqdn string) ([]*dns.CAA, error) {
	response, err := c.dns.query(ctx, fqdn, dns.TypeCAA)
	if err != nil {
		return nil, fmt.Errorf("caa lookup: %w", err)
	}

	var records []*dns.CAA
	for _, record := range response.Answer {
		if caa, ok := record.(*dns.CAA); ok {
			records = append(records, caa)
		}
	}
	return records, nil
}

// allows applies one relevant CAA set. An unknown property marked critical
// forbids issuance. For a wildcard name, issuewild properties win over issue
// properties when the set has any.
func (c *CAAChecker) allows(records []*dns.CAA, wildcard bool) bool {
	var issue, issueWild []string
	for _, record := range records {
		tag := strings.ToLower(record.Tag)
		switch tag {
		case "issue":
			issue = append(issue, record.Value)
		case "issuewild":
			issueWild = append(issueWild, record.Value)
		case "iodef":
		default:
			if record.Flag&caaCriticalFlag != 0 {
				return false
			}
		}
	}

	properties := issue
	if wildcard && len(issueWild) > 0 {
		properties = issueWild
	}
	// A set without properties for this kind of name (only iodef, or only
	// issuewild for a name that is not a wildcard) restricts nothing.
	if len(properties) == 0 {
		return true
	}

	for _, value := range properties {
		if c.identities[issuerDomain(value)] {
			return true
		}
	}
	return false
}

// issuerDomain returns the issuer domain name of an issue or issuewild
// value, "amazon.com; account=1" giving "amazon.com". An empty result
// names no issuer, which is how a set forbids every CA.
func issuerDomain(value string) string {
	domain, _, _ := strings.Cut(value, ";")
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
}

// parentDomain returns the parent of a fully qualified name: "a.b." gives "b.", "b." gives ".".
func parentDomain(fqdn string) string {
	_, parent, found := strings.Cut(fqdn, ".")
	if !found || parent == "" {
		return "."
	}
	return parent
}

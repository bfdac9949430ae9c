package validation

import (
	"context"
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// maxHostCNAMEs bounds the CNAME chain LookupHost follows itself when the
// resolver returns a CNAME without the addresses behind it.
const maxHostCNAMEs = 8

// LookupHost returns the IPv4 and IPv6 addresses of name through the
// checker's resolver. A name without addresses returns an error.
func (c *DNSChecker) LookupHost(ctx context.Context, name string) ([]net.IP, error) {
	var addresses []net.IP
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		found, err := c.lookupAddresses(ctx, dns.Fqdn(name), qtype)
		if err != nil {
			return nil, err
		}
		addresses = append(addresses, found...)
	}
	if len(addresses) == 0 {
		return nil, fmt.Errorf("dns lookup of %s via %s: no A or AAAA record", name, c.resolver)
	}
	return addresses, nil
}

// lookupAddresses returns the records of qtype for fqdn, following CNAMEs.
func (c *DNSChecker) lookupAddresses(ctx context.Context, fqdn string, qtype uint16) ([]net.IP, error) {
	owner := fqdn
	for range maxHostCNAMEs {
		response, err := c.query(ctx, owner, qtype)
		if err != nil {
			return nil, err
		}

		var addresses []net.IP
		target := ""
		for _, record := range response.Answer {
			switch r := record.(type) {
			case *dns.A:
				addresses = append(addresses, r.A)
			case *dns.AAAA:
				addresses = append(addresses, r.AAAA)
			case *dns.CNAME:
				if sameName(r.Hdr.Name, owner) {
					target = r.Target
				}
			}
		}
		if len(addresses) > 0 || target == "" {
			return addresses, nil
		}
		owner = target
	}
	return nil, fmt.Errorf("dns lookup of %s: more than %d CNAMEs", fqdn, maxHostCNAMEs)
}

package dnsserver

import (
	"net"

	"github.com/miekg/dns"
)

// SetA appends an A record (or an AAAA record for an IPv6 address) to name.
func (s *Server) SetA(name string, ip net.IP) {
	var record dns.RR
	if ip4 := ip.To4(); ip4 != nil {
		record = &dns.A{Hdr: header(name, dns.TypeA), A: ip4}
	} else {
		record = &dns.AAAA{Hdr: header(name, dns.TypeAAAA), AAAA: ip}
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	key := storeKey(name)
	s.records[key] = append(s.records[key], record)
}

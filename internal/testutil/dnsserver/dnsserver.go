// Package dnsserver runs a real authoritative DNS server on 127.0.0.1 for
// tests, so validation code can be checked against actual DNS traffic.
//
// The server answers over UDP and TCP on the same random port from records
// that a test sets and removes while the server runs. StartHandler serves a
// caller's own dns.Handler the same way, for tests that need answers the
// record store cannot produce, such as SERVFAIL or forced truncation.
package dnsserver

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// recordTTL is the TTL of every record the server returns, in seconds.
const recordTTL = 60

// maxCNAMEChain limits how many in-store CNAMEs one answer follows, so a
// CNAME loop set up by a test ends instead of growing the answer forever.
const maxCNAMEChain = 8

// Server is an authoritative DNS server backed by an in-memory record store.
type Server struct {
	addr    string
	queries atomic.Int64

	mu sync.Mutex
	// records maps a lowercase fully qualified name to its records.
	records map[string][]dns.RR
}

// Start starts a server on 127.0.0.1 with UDP and TCP on one random port.
// t.Cleanup stops it, and a failure to listen ends the test with t.Fatal.
func Start(t testing.TB) *Server {
	t.Helper()

	server := &Server{records: make(map[string][]dns.RR)}
	server.addr = StartHandler(t, dns.HandlerFunc(server.serveDNS))

	return server
}

// Addr returns the server's address as "127.0.0.1:port".
func (s *Server) Addr() string {
	return s.addr
}

// SetCNAME replaces the CNAME of name with one pointing to target. Other
// record types at name stay, even though RFC 1034 forbids a CNAME next to
// other data, so tests can build such broken zones on purpose.
func (s *Server) SetCNAME(name, target string) {
	record := &dns.CNAME{
		Hdr:    header(name, dns.TypeCNAME),
		Target: dns.Fqdn(target),
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	key := storeKey(name)
	s.records[key] = append(withoutType(s.records[key], dns.TypeCNAME), record)
}

// SetCAA appends a CAA record (RFC 8659) with the given flag, tag and value
// to name. Earlier CAA records at name stay.
func (s *Server) SetCAA(name string, flag uint8, tag, value string) {
	record := &dns.CAA{
		Hdr:   header(name, dns.TypeCAA),
		Flag:  flag,
		Tag:   tag,
		Value: value,
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	key := storeKey(name)
	s.records[key] = append(s.records[key], record)
}

// Remove deletes every record at name.
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	delete(s.records, storeKey(name))
}

// Queries returns how many queries the server has answered, counting each
// reply as it is sent.
func (s *Server) Queries() int {
	return int(s.queries.Load())
}

// serveDNS answers one query from the record store.
func (s *Server) serveDNS(w dns.ResponseWriter, request *dns.Msg) {
	response := new(dns.Msg)
	response.SetReply(request)
	response.Authoritative = true

	if len(request.Question) != 1 {
		response.Rcode = dns.RcodeFormatError
	} else {
		s.answer(response, request.Question[0])
	}

	truncateForUDP(w, request, response)

	// Counting before the write lets a test that already holds the response
	// see it in Queries. A write that then fails is still counted.
	s.queries.Add(1)
	w.WriteMsg(response)
}

// answer fills response for question. A name without records is NXDOMAIN
// unless a stored name lies below it, because such an empty non-terminal
// exists in DNS and gets NOERROR with an empty answer.
func (s *Server) answer(response *dns.Msg, question dns.Question) {
	s.mu.Lock()
	defer s.mu.Unlock()

	owner := question.Name
	if !s.nameExists(strings.ToLower(owner)) {
		response.Rcode = dns.RcodeNameError
		return
	}

	for range maxCNAMEChain {
		records := s.records[strings.ToLower(owner)]

		matching := ofType(records, question.Qtype)
		if len(matching) > 0 || question.Qtype == dns.TypeCNAME {
			response.Answer = append(response.Answer, answerCopies(matching, owner)...)
			return
		}

		// An authoritative server returns the CNAME for any other type and
		// follows it while the target stays inside its own data.
		cnames := ofType(records, dns.TypeCNAME)
		if len(cnames) == 0 {
			return
		}
		response.Answer = append(response.Answer, answerCopies(cnames[:1], owner)...)

		owner = cnames[0].(*dns.CNAME).Target
	}
}

// nameExists reports whether name has records or is an ancestor of a name
// that has them. The caller holds s.mu.
func (s *Server) nameExists(name string) bool {
	if _, ok := s.records[name]; ok {
		return true
	}

	for stored := range s.records {
		if strings.HasSuffix(stored, "."+name) {
			return true
		}
	}

	return false
}

// answerCopies copies records with owner as their name. The reply then spells
// the owner in the case the query used, so tests can check case handling, while
// the store stays unchanged.
func answerCopies(records []dns.RR, owner string) []dns.RR {
	copies := make([]dns.RR, 0, len(records))
	for _, record := range records {
		duplicate := dns.Copy(record)
		duplicate.Header().Name = owner
		copies = append(copies, duplicate)
	}

	return copies
}

// truncateForUDP shrinks a UDP response to the size the client accepts, which
// is 512 bytes or its EDNS0 buffer size. Dropping records sets the TC bit, so
// clients retry over TCP as they would with a real server.
func truncateForUDP(w dns.ResponseWriter, request, response *dns.Msg) {
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); !isUDP {
		return
	}

	size := dns.MinMsgSize
	if opt := request.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
	}

	response.Truncate(size)
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{
		Name:   dns.Fqdn(name),
		Rrtype: rrtype,
		Class:  dns.ClassINET,
		Ttl:    recordTTL,
	}
}

func storeKey(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}

func ofType(records []dns.RR, rrtype uint16) []dns.RR {
	var matching []dns.RR
	for _, record := range records {
		if record.Header().Rrtype == rrtype {
			matching = append(matching, record)
		}
	}

	return matching
}

func withoutType(records []dns.RR, rrtype uint16) []dns.RR {
	var remaining []dns.RR
	for _, record := range records {
		if record.Header().Rrtype != rrtype {
			remaining = append(remaining, record)
		}
	}

	return remaining
}

// StartHandler serves handler over UDP and TCP on one random port of
// 127.0.0.1 and returns that address as "127.0.0.1:port". t.Cleanup stops
// both listeners, and a failure to listen ends the test with t.Fatal.
func StartHandler(t testing.TB, handler dns.Handler) string {
	t.Helper()

	packetConn, listener, err := listenPair()
	if err != nil {
		t.Fatalf("start test dns server: %v", err)
	}

	// Shutdown closes both sockets. This cleanup runs after it and only
	// matters when a server failed to start, so its errors are ignored.
	t.Cleanup(func() {
		packetConn.Close()
		listener.Close()
	})

	udpServer := &dns.Server{PacketConn: packetConn, Handler: handler}
	tcpServer := &dns.Server{Listener: listener, Handler: handler}

	for _, server := range []*dns.Server{udpServer, tcpServer} {
		serve(t, server)
	}

	return packetConn.LocalAddr().String()
}

// listenAttempts bounds how often listenPair looks for a port that is free
// for both UDP and TCP. Another process taking the TCP port between the two
// binds is rare, so a few attempts are enough.
const listenAttempts = 10

// listenPair binds UDP to a random port of 127.0.0.1 and TCP to the same
// port, trying again with a new port while the TCP side is taken.
func listenPair() (net.PacketConn, net.Listener, error) {
	var lastErr error

	for range listenAttempts {
		packetConn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("listen on udp 127.0.0.1: %w", err)
		}

		listener, err := net.Listen("tcp", packetConn.LocalAddr().String())
		if err == nil {
			return packetConn, listener, nil
		}

		packetConn.Close()
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("listen on tcp %s: %w", packetConn.LocalAddr(), err)
		}
		lastErr = err
	}

	return nil, nil, fmt.Errorf("no port free for both udp and tcp after %d attempts: %w", listenAttempts, lastErr)
}

// serve runs server in a goroutine, waits until it accepts queries and
// registers its shutdown with t.Cleanup.
func serve(t testing.TB, server *dns.Server) {
	t.Helper()

	started := make(chan struct{})
	server.NotifyStartedFunc = func() { close(started) }

	failed := make(chan error, 1)
	go func() {
		failed <- server.ActivateAndServe()
	}()

	select {
	case <-started:
	case err := <-failed:
		t.Fatalf("start test dns server: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("start test dns server: timed out after 5s")
	}

	t.Cleanup(func() {
		if err := server.Shutdown(); err != nil {
			t.Errorf("stop test dns server: %v", err)
		}
	})
}

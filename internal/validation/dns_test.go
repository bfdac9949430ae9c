package validation

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

const (
	recordName  = "_3639ac514e785e898d2646601fa951d5.example.com."
	recordValue = "_98d2646601fa951d53639ac514e785e8.zxcvbnmasd.acm-validations.aws."
)

func newTestChecker(t *testing.T, resolver string, timeout time.Duration) *DNSChecker {
	t.Helper()

	checker, err := NewDNSChecker(resolver, timeout)
	if err != nil {
		t.Fatalf("NewDNSChecker(%q, %s): %v", resolver, timeout, err)
	}

	return checker
}

func TestLookupCNAMEAgainstServer(t *testing.T) {
	server := dnsserver.Start(t)
	server.SetCNAME(recordName, recordValue)
	server.SetCNAME("_wrong.example.com", "_other.abcdefghij.acm-validations.aws.")
	server.SetCAA("caa-only.example.com", 0, "issue", "amazon.com")

	checker := newTestChecker(t, server.Addr(), 2*time.Second)

	tests := []struct {
		name string
		host string
		want string
		res  CNAMEResult
	}{
		{
			name: "absent name",
			host: "_missing.example.com.",
			want: recordValue,
			res:  CNAMEResult{},
		},
		{
			name: "name without CNAME",
			host: "caa-only.example.com",
			want: recordValue,
			res:  CNAMEResult{},
		},
		{
			name: "empty non-terminal",
			host: "example.com",
			want: recordValue,
			res:  CNAMEResult{},
		},
		{
			name: "different value",
			host: "_wrong.example.com.",
			want: recordValue,
			res:  CNAMEResult{Found: true, Value: "_other.abcdefghij.acm-validations.aws."},
		},
		{
			name: "exact value",
			host: recordName,
			want: recordValue,
			res:  CNAMEResult{Found: true, Value: recordValue, Matches: true},
		},
		{
			name: "value in other case without dot",
			host: recordName,
			want: strings.ToUpper(strings.TrimSuffix(recordValue, ".")),
			res:  CNAMEResult{Found: true, Value: recordValue, Matches: true},
		},
		{
			name: "name in other case without dot",
			host: strings.ToUpper(strings.TrimSuffix(recordName, ".")),
			want: recordValue,
			res:  CNAMEResult{Found: true, Value: recordValue, Matches: true},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checker.LookupCNAME(context.Background(), tt.host, tt.want)
			if err != nil {
				t.Fatalf("LookupCNAME(%q): %v", tt.host, err)
			}
			if got != tt.res {
				t.Errorf("LookupCNAME(%q) = %+v, want %+v", tt.host, got, tt.res)
			}

			matches, err := checker.CheckCNAME(context.Background(), tt.host, tt.want)
			if err != nil {
				t.Fatalf("CheckCNAME(%q): %v", tt.host, err)
			}
			if matches != tt.res.Matches {
				t.Errorf("CheckCNAME(%q) = %v, want %v", tt.host, matches, tt.res.Matches)
			}
		})
	}
}

func TestCheckCNAMESeesRemoval(t *testing.T) {
	server := dnsserver.Start(t)
	server.SetCNAME(recordName, recordValue)
	checker := newTestChecker(t, server.Addr(), 2*time.Second)

	before, err := checker.CheckCNAME(context.Background(), recordName, recordValue)
	if err != nil {
		t.Fatalf("CheckCNAME before removal: %v", err)
	}
	if !before {
		t.Errorf("CheckCNAME before removal = false, want true")
	}

	server.Remove(recordName)

	after, err := checker.CheckCNAME(context.Background(), recordName, recordValue)
	if err != nil {
		t.Fatalf("CheckCNAME after removal: %v", err)
	}
	if after {
		t.Errorf("CheckCNAME after removal = true, want false")
	}

	if got := server.Queries(); got != 2 {
		t.Errorf("server answered %d queries, want 2", got)
	}
}

func TestCheckCNAMEResolverFailures(t *testing.T) {
	tests := []struct {
		name    string
		rcode   int
		wantMsg string
	}{
		{name: "SERVFAIL", rcode: dns.RcodeServerFailure, wantMsg: "SERVFAIL"},
		{name: "REFUSED", rcode: dns.RcodeRefused, wantMsg: "REFUSED"},
		{name: "FORMERR", rcode: dns.RcodeFormatError, wantMsg: "FORMERR"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := dnsserver.StartHandler(t, rcodeHandler(tt.rcode))
			checker := newTestChecker(t, addr, 2*time.Second)

			ok, err := checker.CheckCNAME(context.Background(), recordName, recordValue)
			if err == nil {
				t.Fatalf("CheckCNAME returned nil error for %s", tt.name)
			}
			if ok {
				t.Errorf("CheckCNAME = true alongside error %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not name %s", err, tt.wantMsg)
			}
		})
	}
}

func rcodeHandler(rcode int) dns.HandlerFunc {
	return func(w dns.ResponseWriter, request *dns.Msg) {
		response := new(dns.Msg)
		response.SetRcode(request, rcode)
		w.WriteMsg(response)
	}
}

func TestCheckCNAMEClosedPort(t *testing.T) {
	addr := closedUDPAddr(t)
	timeout := 2 * time.Second
	checker := newTestChecker(t, addr, timeout)

	start := time.Now()
	ok, err := checker.CheckCNAME(context.Background(), recordName, recordValue)
	elapsed := time.Since(start)

	if err == nil {
		t.Fatalf("CheckCNAME via closed port %s returned nil error", addr)
	}
	if ok {
		t.Errorf("CheckCNAME = true alongside error %v", err)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("CheckCNAME took %s, want at most the %s timeout", elapsed, timeout)
	}
}

// closedUDPAddr returns a 127.0.0.1 UDP address that nothing listens on, so
// a query there gets an ICMP port unreachable.
func closedUDPAddr(t *testing.T) string {
	t.Helper()

	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on udp 127.0.0.1: %v", err)
	}
	addr := conn.LocalAddr().String()
	conn.Close()

	return addr
}

// silentUDPAddr returns a 127.0.0.1 UDP address that accepts queries and
// never answers them.
func silentUDPAddr(t *testing.T) string {
	t.Helper()

	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on udp 127.0.0.1: %v", err)
	}
	t.Cleanup(func() { conn.Close() })

	return conn.LocalAddr().String()
}

func TestCheckCNAMESilentResolver(t *testing.T) {
	tests := []struct {
		name        string
		timeout     time.Duration
		ctxDeadline time.Duration
		cancelAfter time.Duration
		wantErr     error
	}{
		{name: "checker timeout", timeout: 200 * time.Millisecond, wantErr: context.DeadlineExceeded},
		{name: "shorter ctx deadline", timeout: 5 * time.Second, ctxDeadline: 200 * time.Millisecond, wantErr: context.DeadlineExceeded},
		{name: "ctx cancelled in flight", timeout: 5 * time.Second, cancelAfter: 100 * time.Millisecond, wantErr: context.Canceled},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := newTestChecker(t, silentUDPAddr(t), tt.timeout)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.ctxDeadline > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.ctxDeadline)
				defer cancel()
			}
			if tt.cancelAfter > 0 {
				time.AfterFunc(tt.cancelAfter, cancel)
			}

			start := time.Now()
			_, err := checker.CheckCNAME(ctx, recordName, recordValue)
			elapsed := time.Since(start)

			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckCNAME error = %v, want %v", err, tt.wantErr)
			}
			if elapsed > time.Second {
				t.Errorf("CheckCNAME took %s, want under 1s", elapsed)
			}
		})
	}
}

func TestCheckCNAMECancelledContext(t *testing.T) {
	server := dnsserver.Start(t)
	server.SetCNAME(recordName, recordValue)
	checker := newTestChecker(t, server.Addr(), 2*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	ok, err := checker.CheckCNAME(ctx, recordName, recordValue)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CheckCNAME error = %v, want %v", err, context.Canceled)
	}
	if ok {
		t.Errorf("CheckCNAME = true for a cancelled context")
	}
	if got := server.Queries(); got != 0 {
		t.Errorf("server answered %d queries, want 0", got)
	}
}

func TestCheckCNAMETruncatedRetriesTCP(t *testing.T) {
	var (
		mu       sync.Mutex
		networks []string
	)
	addr := dnsserver.StartHandler(t, dns.HandlerFunc(func(w dns.ResponseWriter, request *dns.Msg) {
		response := new(dns.Msg)
		response.SetReply(request)

		mu.Lock()
		defer mu.Unlock()

		// Answer UDP with an empty truncated reply so only the TCP retry
		// can see the record.
		if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
			networks = append(networks, "udp")
			response.Truncated = true
		} else {
			networks = append(networks, "tcp")
			response.Answer = []dns.RR{&dns.CNAME{
				Hdr:    dns.RR_Header{Name: request.Question[0].Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60},
				Target: recordValue,
			}}
		}

		w.WriteMsg(response)
	}))
	checker := newTestChecker(t, addr, 2*time.Second)

	ok, err := checker.CheckCNAME(context.Background(), recordName, recordValue)
	if err != nil {
		t.Fatalf("CheckCNAME: %v", err)
	}
	if !ok {
		t.Errorf("CheckCNAME = false, want true from the TCP answer")
	}

	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(networks, ","); got != "udp,tcp" {
		t.Errorf("queries went over %q, want %q", got, "udp,tcp")
	}
}

func TestCheckCNAMEQueryShape(t *testing.T) {
	questions := make(chan *dns.Msg, 1)
	addr := dnsserver.StartHandler(t, dns.HandlerFunc(func(w dns.ResponseWriter, request *dns.Msg) {
		questions <- request.Copy()

		response := new(dns.Msg)
		response.SetRcode(request, dns.RcodeNameError)
		w.WriteMsg(response)
	}))
	checker := newTestChecker(t, addr, 2*time.Second)

	if _, err := checker.CheckCNAME(context.Background(), "Example.COM", recordValue); err != nil {
		t.Fatalf("CheckCNAME: %v", err)
	}

	request := <-questions
	if !request.RecursionDesired {
		t.Errorf("query has RD unset, want recursion desired")
	}
	if len(request.Question) != 1 {
		t.Fatalf("query has %d questions, want 1", len(request.Question))
	}
	if got := request.Question[0].Qtype; got != dns.TypeCNAME {
		t.Errorf("query type = %s, want CNAME", dns.TypeToString[got])
	}
	if got := request.Question[0].Name; got != "Example.COM." {
		t.Errorf("query name = %q, want %q", got, "Example.COM.")
	}
}

func TestCheckCNAMEInvalidName(t *testing.T) {
	checker := newTestChecker(t, closedUDPAddr(t), time.Second)

	_, err := checker.CheckCNAME(context.Background(), "bad..name", recordValue)
	if err == nil {
		t.Errorf("CheckCNAME accepted the invalid name %q", "bad..name")
	}
}

func TestNewDNSCheckerArguments(t *testing.T) {
	tests := []struct {
		name     string
		resolver string
		timeout  time.Duration
		wantErr  bool
	}{
		{name: "ipv4 resolver", resolver: "127.0.0.1:5353", timeout: time.Second},
		{name: "ipv6 resolver", resolver: "[::1]:53", timeout: time.Second},
		{name: "missing port", resolver: "127.0.0.1", timeout: time.Second, wantErr: true},
		{name: "zero timeout", resolver: "127.0.0.1:53", timeout: 0, wantErr: true},
		{name: "negative timeout", resolver: "127.0.0.1:53", timeout: -time.Second, wantErr: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker, err := NewDNSChecker(tt.resolver, tt.timeout)
			if tt.wantErr {
				if err == nil {
					t.Errorf("NewDNSChecker(%q, %s) returned nil error", tt.resolver, tt.timeout)
				}
				return
			}

			if err != nil {
				t.Fatalf("NewDNSChecker(%q, %s): %v", tt.resolver, tt.timeout, err)
			}
			if got := checker.Resolver(); got != tt.resolver {
				t.Errorf("Resolver() = %q, want %q", got, tt.resolver)
			}
		})
	}
}

func TestNewDNSCheckerSystemResolver(t *testing.T) {
	tests := []struct {
		name       string
		resolvConf string
		want       string
		wantErr    bool
	}{
		{
			name:       "first ipv4 nameserver",
			resolvConf: "search example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n",
			want:       "192.0.2.53:53",
		},
		{
			name:       "ipv6 nameserver",
			resolvConf: "nameserver 2001:db8::53\n",
			want:       "[2001:db8::53]:53",
		},
		{
			name:       "no nameserver",
			resolvConf: "search example.com\n",
			wantErr:    true,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "resolv.conf")
			if err := os.WriteFile(path, []byte(tt.resolvConf), 0o600); err != nil {
				t.Fatalf("write %s: %v", path, err)
			}

			checker, err := newDNSChecker("", time.Second, path)
			if tt.wantErr {
				if err == nil {
					t.Errorf("newDNSChecker with %q returned nil error", tt.resolvConf)
				}
				return
			}

			if err != nil {
				t.Fatalf("newDNSChecker: %v", err)
			}
			if got := checker.Resolver(); got != tt.want {
				t.Errorf("Resolver() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewDNSCheckerMissingResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.conf")

	if _, err := newDNSChecker("", time.Second, path); err == nil {
		t.Errorf("newDNSChecker with missing %s returned nil error", path)
	}
}

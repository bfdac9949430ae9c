package dnsserver

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// query sends one question to server over network and fails the test when
// no response arrives.
func query(t *testing.T, server *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()

	response, err := exchange(server.Addr(), network, name, qtype)
	if err != nil {
		t.Fatal(err)
	}

	return response
}

func exchange(addr, network, name string, qtype uint16) (*dns.Msg, error) {
	request := new(dns.Msg)
	request.SetQuestion(dns.Fqdn(name), qtype)

	client := &dns.Client{Net: network, Timeout: 2 * time.Second}
	response, _, err := client.Exchange(request, addr)
	if err != nil {
		return nil, fmt.Errorf("query %s %s over %s: %w", dns.TypeToString[qtype], name, network, err)
	}

	return response, nil
}

func TestServerAnswers(t *testing.T) {
	server := Start(t)
	server.SetCNAME("_token.Example.com", "_value.abcdefghij.acm-validations.aws")
	server.SetCAA("example.com.", 0, "issue", "amazon.com")
	server.SetCAA("example.com.", 128, "iodef", "mailto:security@example.com")
	server.SetCNAME("alias.example.org", "example.com")

	tests := []struct {
		name      string
		network   string
		host      string
		qtype     uint16
		wantRcode int
		wantRRs   []string
	}{
		{
			name:      "unknown name",
			network:   "udp",
			host:      "missing.example.com",
			qtype:     dns.TypeCNAME,
			wantRcode: dns.RcodeNameError,
		},
		{
			name:      "cname over udp",
			network:   "udp",
			host:      "_token.example.com",
			qtype:     dns.TypeCNAME,
			wantRcode: dns.RcodeSuccess,
			wantRRs:   []string{"_token.example.com.\t60\tIN\tCNAME\t_value.abcdefghij.acm-validations.aws."},
		},
		{
			name:      "cname over tcp in upper case",
			network:   "tcp",
			host:      "_TOKEN.EXAMPLE.COM",
			qtype:     dns.TypeCNAME,
			wantRcode: dns.RcodeSuccess,
			wantRRs:   []string{"_TOKEN.EXAMPLE.COM.\t60\tIN\tCNAME\t_value.abcdefghij.acm-validations.aws."},
		},
		{
			name:      "caa records",
			network:   "udp",
			host:      "example.com",
			qtype:     dns.TypeCAA,
			wantRcode: dns.RcodeSuccess,
			wantRRs: []string{
				"example.com.\t60\tIN\tCAA\t0 issue \"amazon.com\"",
				"example.com.\t60\tIN\tCAA\t128 iodef \"mailto:security@example.com\"",
			},
		},
		{
			name:      "existing name without requested type",
			network:   "udp",
			host:      "example.com",
			qtype:     dns.TypeCNAME,
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "empty non-terminal",
			network:   "udp",
			host:      "com",
			qtype:     dns.TypeCAA,
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "caa through cname",
			network:   "udp",
			host:      "alias.example.org",
			qtype:     dns.TypeCAA,
			wantRcode: dns.RcodeSuccess,
			wantRRs: []string{
				"alias.example.org.\t60\tIN\tCNAME\texample.com.",
				"example.com.\t60\tIN\tCAA\t0 issue \"amazon.com\"",
				"example.com.\t60\tIN\tCAA\t128 iodef \"mailto:security@example.com\"",
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response := query(t, server, tt.network, tt.host, tt.qtype)

			if response.Rcode != tt.wantRcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[response.Rcode], dns.RcodeToString[tt.wantRcode])
			}
			if !response.Authoritative {
				t.Errorf("AA flag unset, want an authoritative answer")
			}

			got := make([]string, len(response.Answer))
			for i, record := range response.Answer {
				got[i] = record.String()
			}
			if strings.Join(got, "\n") != strings.Join(tt.wantRRs, "\n") {
				t.Errorf("answer =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantRRs, "\n"))
			}
		})
	}
}

func TestServerSetCNAMEReplaces(t *testing.T) {
	server := Start(t)
	server.SetCNAME("name.example.com", "first.example.net")
	server.SetCNAME("NAME.example.com.", "second.example.net")

	response := query(t, server, "udp", "name.example.com", dns.TypeCNAME)

	if len(response.Answer) != 1 {
		t.Fatalf("answer has %d records, want 1: %v", len(response.Answer), response.Answer)
	}
	if got := response.Answer[0].(*dns.CNAME).Target; got != "second.example.net." {
		t.Errorf("CNAME target = %q, want %q", got, "second.example.net.")
	}
}

func TestServerRemove(t *testing.T) {
	server := Start(t)
	server.SetCNAME("name.example.com", "target.example.net")
	server.SetCAA("name.example.com", 0, "issue", "amazon.com")

	server.Remove("NAME.EXAMPLE.COM")

	for _, qtype := range []uint16{dns.TypeCNAME, dns.TypeCAA} {
		response := query(t, server, "udp", "name.example.com", qtype)
		if response.Rcode != dns.RcodeNameError {
			t.Errorf("%s after Remove: rcode = %s, want NXDOMAIN", dns.TypeToString[qtype], dns.RcodeToString[response.Rcode])
		}
	}
}

func TestServerTruncatesLargeUDPAnswer(t *testing.T) {
	server := Start(t)
	for i := range 20 {
		server.SetCAA("big.example.com", 0, "issue", fmt.Sprintf("ca-%02d.example.net", i))
	}

	udpResponse := query(t, server, "udp", "big.example.com", dns.TypeCAA)
	if !udpResponse.Truncated {
		t.Errorf("UDP answer of 20 CAA records has TC unset, want truncated")
	}

	tcpResponse := query(t, server, "tcp", "big.example.com", dns.TypeCAA)
	if tcpResponse.Truncated {
		t.Errorf("TCP answer has TC set, want complete")
	}
	if got := len(tcpResponse.Answer); got != 20 {
		t.Errorf("TCP answer has %d records, want 20", got)
	}
}

func TestServerCNAMELoopEnds(t *testing.T) {
	server := Start(t)
	server.SetCNAME("a.example.com", "b.example.com")
	server.SetCNAME("b.example.com", "a.example.com")

	response := query(t, server, "tcp", "a.example.com", dns.TypeCAA)

	if got := len(response.Answer); got != maxCNAMEChain {
		t.Errorf("answer has %d records, want %d", got, maxCNAMEChain)
	}
}

func TestServerQueriesCount(t *testing.T) {
	server := Start(t)
	server.SetCNAME("name.example.com", "target.example.net")

	if got := server.Queries(); got != 0 {
		t.Errorf("Queries() before any query = %d, want 0", got)
	}

	query(t, server, "udp", "name.example.com", dns.TypeCNAME)
	query(t, server, "tcp", "missing.example.com", dns.TypeCNAME)

	if got := server.Queries(); got != 2 {
		t.Errorf("Queries() = %d, want 2", got)
	}
}

func TestServerConcurrentUse(t *testing.T) {
	server := Start(t)

	const workers = 8
	const rounds = 20

	var wg sync.WaitGroup
	for worker := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()

			name := fmt.Sprintf("w%d.example.com", worker)
			for round := range rounds {
				server.SetCNAME(name, fmt.Sprintf("r%d.example.net", round))
				server.SetCAA(name, 0, "issue", "amazon.com")
				if _, err := exchange(server.Addr(), "udp", name, dns.TypeCNAME); err != nil {
					t.Error(err)
				}
				server.Remove(name)
			}
		}()
	}
	wg.Wait()

	if got := server.Queries(); got != workers*rounds {
		t.Errorf("Queries() = %d, want %d", got, workers*rounds)
	}
}

func TestStartHandlerServesBothNetworks(t *testing.T) {
	addr := StartHandler(t, dns.HandlerFunc(func(w dns.ResponseWriter, request *dns.Msg) {
		response := new(dns.Msg)
		response.SetRcode(request, dns.RcodeRefused)
		w.WriteMsg(response)
	}))

	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("address = %q, want it on 127.0.0.1", addr)
	}

	for _, network := range []string{"udp", "tcp"} {
		response, err := exchange(addr, network, "example.com", dns.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		if response.Rcode != dns.RcodeRefused {
			t.Errorf("rcode over %s = %s, want REFUSED", network, dns.RcodeToString[response.Rcode])
		}
	}
}

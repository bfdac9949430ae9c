package validation

import (
	"context"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

func TestCheckCAATreeClimbing(t *testing.T) {
	server := dnsserver.Start(t)
	server.SetCAA("allowed.test", 0, "issue", "openacm.example; account=1")
	server.SetCAA("forbidden.test", 0, "issue", "other-ca.example")
	server.SetCAA("deny-all.test", 0, "issue", ";")
	server.SetCAA("sub.forbidden.test", 0, "issue", "OpenACM.example.")
	server.SetCAA("wild.test", 0, "issue", "openacm.example")
	server.SetCAA("wild.test", 0, "issuewild", "other-ca.example")
	server.SetCAA("critical.test", 128, "future-tag", "x")
	server.SetCAA("noncritical.test", 0, "future-tag", "x")
	server.SetCAA("noncritical.test", 0, "issue", "openacm.example")
	server.SetCAA("iodef-only.test", 0, "iodef", "mailto:security@iodef-only.test")
	server.SetCAA("wildonly.test", 0, "issuewild", "other-ca.example")
	server.SetCNAME("alias.test", "forbidden.test")

	checker := NewCAAChecker(newTestChecker(t, server.Addr(), 2*time.Second), []string{"openacm.example", "second.example"})

	tests := []struct {
		name string
		host string
		want bool
	}{
		{"no records anywhere", "www.nocaa.test", true},
		{"set at the name", "allowed.test", true},
		{"set at a parent", "a.b.allowed.test", true},
		{"parent forbids", "www.forbidden.test", false},
		{"closer set wins", "www.sub.forbidden.test", true},
		{"empty issuer forbids", "deny-all.test", false},
		{"wildcard uses issuewild", "*.wild.test", false},
		{"plain name ignores issuewild", "www.wild.test", true},
		{"wildcard falls back to issue", "*.allowed.test", true},
		{"unknown critical tag forbids", "critical.test", false},
		{"unknown tag without flag ignored", "noncritical.test", true},
		{"iodef only allows", "iodef-only.test", true},
		{"issuewild only allows plain names", "wildonly.test", true},
		{"issuewild only limits wildcards", "*.wildonly.test", false},
		{"cname target's set applies", "alias.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checker.CheckCAA(context.Background(), tt.host)
			if err != nil {
				t.Fatalf("CheckCAA(%s): %v", tt.host, err)
			}
			if got != tt.want {
				t.Errorf("CheckCAA(%s) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

func TestCheckCAALookupFailure(t *testing.T) {
	checker := NewCAAChecker(newTestChecker(t, silentUDPAddr(t), 200*time.Millisecond), []string{"openacm.example"})
	if _, err := checker.CheckCAA(context.Background(), "example.test"); err == nil {
		t.Error("CheckCAA through a resolver that does not answer returned no error")
	}
}

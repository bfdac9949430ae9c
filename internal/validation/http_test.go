package validation

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/testutil/dnsserver"
)

const redirectTo = "https://validation.us-east-1.acm-validations.aws/111122223333/.well-known/pki-validation/abc.txt"

func TestCheckRedirect(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "good.test", "good.test:80":
			http.Redirect(w, r, redirectTo, http.StatusMovedPermanently)
		case "hop.test":
			if r.URL.Path == "/.well-known/pki-validation/abc.txt" {
				http.Redirect(w, r, "/moved/abc.txt", http.StatusFound)
				return
			}
			http.Redirect(w, r, redirectTo, http.StatusFound)
		case "elsewhere.test":
			http.Redirect(w, r, "https://attacker.example/abc.txt", http.StatusFound)
		case "loop.test":
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		case "ftp.test":
			w.Header().Set("Location", "ftp://ftp.test/abc.txt")
			w.WriteHeader(http.StatusFound)
		default:
			_, _ = w.Write([]byte("content, not a redirect"))
		}
	}))
	t.Cleanup(web.Close)
	_, portText, _ := net.SplitHostPort(strings.TrimPrefix(web.URL, "http://"))
	port, _ := strconv.Atoi(portText)

	dns := dnsserver.Start(t)
	for _, host := range []string{"good.test", "hop.test", "elsewhere.test", "loop.test", "ftp.test", "plain.test"} {
		dns.SetA(host, net.ParseIP("127.0.0.1"))
	}
	checker := NewHTTPChecker(newTestChecker(t, dns.Addr(), 2*time.Second), HTTPCheckerOptions{Port: port, Timeout: 5 * time.Second})

	tests := []struct {
		name    string
		host    string
		want    bool
		errText string
	}{
		{"redirects to target", "good.test", true, ""},
		{"same-host hop then target", "hop.test", true, ""},
		{"redirects elsewhere", "elsewhere.test", false, "attacker.example"},
		{"too many redirects", "loop.test", false, "more than"},
		{"non-web scheme", "ftp.test", false, "ftp://"},
		{"content instead of redirect", "plain.test", false, "want a redirect"},
		{"name without address", "missing.test", false, "dns lookup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := "http://" + tt.host + "/.well-known/pki-validation/abc.txt"
			got, err := checker.CheckRedirect(context.Background(), from, redirectTo)
			if got != tt.want {
				t.Errorf("CheckRedirect(%s) = %v (%v), want %v", from, got, err, tt.want)
			}
			if tt.errText == "" && err != nil {
				t.Errorf("CheckRedirect(%s) error = %v, want none", from, err)
			}
			if tt.errText != "" && (err == nil || !strings.Contains(err.Error(), tt.errText)) {
				t.Errorf("CheckRedirect(%s) error = %v, want one containing %q", from, err, tt.errText)
			}
		})
	}
}

func TestCheckRedirectRejectsBadSource(t *testing.T) {
	checker := NewHTTPChecker(newTestChecker(t, "127.0.0.1:1", time.Second), HTTPCheckerOptions{})
	for _, from := range []string{"file:///etc/passwd", "gopher://x.test/", "not a url"} {
		if ok, err := checker.CheckRedirect(context.Background(), from, redirectTo); ok || err == nil {
			t.Errorf("CheckRedirect(%q) = %v, %v; want false and an error", from, ok, err)
		}
	}
}

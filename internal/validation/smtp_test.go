package validation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/testutil/smtpserver"
)

func TestMailerPlainDelivery(t *testing.T) {
	server := smtpserver.Start(t, smtpserver.Options{})
	mailer, err := NewMailer(SMTPOptions{Addr: server.Addr(), From: "openacm@example.test"})
	if err != nil {
		t.Fatalf("NewMailer: %v", err)
	}

	body := "Approve example.com:\nhttp://127.0.0.1/validation/approve?token=" + strings.Repeat("a", 100) + "\nCaf\u00e9\n"
	if err := mailer.Send(context.Background(), Message{To: "admin@example.com", Subject: "Approve example.com", Body: body}); err != nil {
		t.Fatalf("Send: %v", err)
	}

	messages := server.WaitMessages(t, 1, 5*time.Second)
	got := messages[0]
	if got.From != "openacm@example.test" {
		t.Errorf("envelope sender = %q, want openacm@example.test", got.From)
	}
	if len(got.To) != 1 || got.To[0] != "admin@example.com" {
		t.Errorf("recipients = %v, want [admin@example.com]", got.To)
	}
	if subject := got.Header.Get("Subject"); subject != "Approve example.com" {
		t.Errorf("Subject = %q, want Approve example.com", subject)
	}
	if got.Body != body {
		t.Errorf("decoded body = %q, want %q", got.Body, body)
	}
	if got.Header.Get("Message-Id") == "" || got.Header.Get("Date") == "" {
		t.Errorf("headers %v lack Message-ID or Date", got.Header)
	}
}

func TestMailerStartTLSAndAuth(t *testing.T) {
	serverTLS, roots := selfSignedTLS(t)
	server := smtpserver.Start(t, smtpserver.Options{TLSConfig: serverTLS, Username: "acm", Password: "s3cret"})

	mailer, err := NewMailer(SMTPOptions{
		Addr: server.Addr(), From: "openacm@example.test", StartTLS: true,
		Username: "acm", Password: "s3cret",
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
	})
	if err != nil {
		t.Fatalf("NewMailer: %v", err)
	}
	if err := mailer.Send(context.Background(), Message{To: "admin@example.com", Subject: "s", Body: "b"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := server.WaitMessages(t, 1, 5*time.Second)[0]
	if !got.TLS || !got.Authenticated {
		t.Errorf("session TLS %v, authenticated %v; want both", got.TLS, got.Authenticated)
	}

	wrong, _ := NewMailer(SMTPOptions{
		Addr: server.Addr(), From: "openacm@example.test", StartTLS: true,
		Username: "acm", Password: "wrong",
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
	})
	err = wrong.Send(context.Background(), Message{To: "admin@example.com", Subject: "s", Body: "b"})
	if err == nil || errors.Is(err, ErrMailRejected) {
		t.Errorf("Send with a wrong password = %v, want a retryable error", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestMailerRejections(t *testing.T) {
	server := smtpserver.Start(t, smtpserver.Options{})
	server.Reject("gone@example.com", 550)
	server.Reject("busy@example.com", 451)
	mailer, _ := NewMailer(SMTPOptions{Addr: server.Addr(), From: "openacm@example.test"})

	err := mailer.Send(context.Background(), Message{To: "gone@example.com", Subject: "s", Body: "b"})
	if !errors.Is(err, ErrMailRejected) {
		t.Errorf("Send to a 550 mailbox = %v, want ErrMailRejected", err)
	}
	err = mailer.Send(context.Background(), Message{To: "busy@example.com", Subject: "s", Body: "b"})
	if err == nil || errors.Is(err, ErrMailRejected) {
		t.Errorf("Send to a 451 mailbox = %v, want a retryable error", err)
	}

	startTLS, _ := NewMailer(SMTPOptions{Addr: server.Addr(), From: "openacm@example.test", StartTLS: true})
	err = startTLS.Send(context.Background(), Message{To: "admin@example.com", Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Send with STARTTLS required to a server without it = %v, want a STARTTLS error", err)
	}

	err = mailer.Send(context.Background(), Message{To: "admin@example.com\r\nBcc: x@example.com", Subject: "s", Body: "b"})
	if !errors.Is(err, ErrMailRejected) {
		t.Errorf("Send with a line break in To = %v, want ErrMailRejected", err)
	}
}

func TestNewMailerChecksOptions(t *testing.T) {
	for _, options := range []SMTPOptions{
		{Addr: "no-port", From: "a@example.com"},
		{Addr: "127.0.0.1:25", From: ""},
		{Addr: "127.0.0.1:25", From: "a@example.com\r\nX: y"},
	} {
		if _, err := NewMailer(options); err == nil {
			t.Errorf("NewMailer(%+v) returned no error", options)
		}
	}
}

// selfSignedTLS returns a server configuration for "localhost" and a pool that trusts it.
func selfSignedTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	parsed, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(parsed)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, roots
}

// Package smtpserver runs a real SMTP server on 127.0.0.1 for tests, built
// on github.com/emersion/go-smtp. It keeps every message it accepts, can
// reject chosen recipients with a given reply code, and can require
// STARTTLS and AUTH PLAIN.
package smtpserver

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server. The zero value accepts mail without TLS or AUTH.
type Options struct {
	// TLSConfig turns on STARTTLS with this server certificate.
	TLSConfig *tls.Config
	// Username and Password make AUTH PLAIN required before MAIL FROM.
	Username string
	Password string
}

// Message is one accepted message.
type Message struct {
	From   string
	To     []string
	Header mail.Header
	// Body is the decoded text body.
	Body string
	// TLS and Authenticated record how the session that sent it was set up.
	TLS           bool
	Authenticated bool
}

// Server is a running SMTP server.
type Server struct {
	addr    string
	options Options

	mu       sync.Mutex
	messages []Message
	replies  map[string]int
	arrived  chan struct{}
}

// Start starts a server on a random port of 127.0.0.1; t.Cleanup stops it.
func Start(t testing.TB, options Options) *Server {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpserver: listen: %v", err)
	}

	s := &Server{addr: listener.Addr().String(), options: options, replies: map[string]int{}, arrived: make(chan struct{}, 1)}
	server := smtp.NewServer(smtp.BackendFunc(s.newSession))
	server.Domain = "localhost"
	server.TLSConfig = options.TLSConfig
	server.ReadTimeout = 10 * time.Second
	server.WriteTimeout = 10 * time.Second
	server.MaxMessageBytes = 1 << 20
	server.AllowInsecureAuth = options.TLSConfig == nil

	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := server.Serve(listener); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Logf("smtpserver: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = server.Close()
		<-done
	})
	return s
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

// Reject makes RCPT TO for address fail with code, such as 550 (permanent)
// or 450 (temporary). A code of 0 accepts the address again.
func (s *Server) Reject(address string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.replies, strings.ToLower(address))
		return
	}
	s.replies[strings.ToLower(address)] = code
}

// Messages returns a copy of the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitMessages waits until at least n messages arrived, failing the test after timeout.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if messages := s.Messages(); len(messages) >= n {
			return messages
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			t.Fatalf("smtpserver: %d messages after %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

func (s *Server) replyFor(address string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replies[strings.ToLower(address)]
}

func (s *Server) add(message Message) {
	s.mu.Lock()
	s.messages = append(s.messages, message)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

func (s *Server) newSession(conn *smtp.Conn) (smtp.Session, error) {
	return &session{server: s, conn: conn}, nil
}

// session is one SMTP conversation.
type session struct {
	server        *Server
	conn          *smtp.Conn
	authenticated bool
	from          string
	to            []string
}

func (s *session) AuthMechanisms() []string {
	if s.server.options.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.server.options.Username || password != s.server.options.Password {
			return smtp.ErrAuthFailed
		}
		s.authenticated = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.options.Username != "" && !s.authenticated {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := s.server.replyFor(to); code != 0 {
		return &smtp.SMTPError{Code: code, Message: "mailbox unavailable"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	parsed, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = parsed.Body
	if strings.EqualFold(parsed.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.server.add(Message{
		From:          s.from,
		To:            append([]string(nil), s.to...),
		Header:        parsed.Header,
		Body:          string(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))),
		TLS:           isTLS,
		Authenticated: s.authenticated,
	})
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

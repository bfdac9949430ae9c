package validation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// ErrMailRejected marks a delivery that the SMTP server refused for good
// (a 5xx reply to RCPT TO or DATA), so retrying the same address is useless.
var ErrMailRejected = errors.New("mail rejected permanently")

// SMTPOptions configure a Mailer.
type SMTPOptions struct {
	// Addr is the SMTP server as host:port.
	Addr string
	// From is the envelope sender and the From header.
	From string
	// StartTLS requires STARTTLS before AUTH and the message.
	StartTLS bool
	// Username and Password turn on AUTH PLAIN, which net/smtp sends only
	// over TLS or to a loopback server.
	Username string
	Password string
	// TLSConfig is the STARTTLS client configuration (default: system roots
	// and the host of Addr as server name).
	TLSConfig *tls.Config
	// Timeout bounds one whole delivery (default 30s).
	Timeout time.Duration
	// HelloName is the name sent in EHLO (default "localhost").
	HelloName string
}

// Message is one plain-text e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Mailer delivers messages through one SMTP server, one session per message.
type Mailer struct {
	options SMTPOptions
	host    string
}

// NewMailer checks options and returns a Mailer.
func NewMailer(options SMTPOptions) (*Mailer, error) {
	host, _, err := net.SplitHostPort(options.Addr)
	if err != nil {
		return nil, fmt.Errorf("invalid smtp address %q, expected host:port: %w", options.Addr, err)
	}
	if options.From == "" || strings.ContainsAny(options.From, "\r\n<>") {
		return nil, fmt.Errorf("invalid smtp sender %q: want an address such as openacm@example.com", options.From)
	}
	if options.Timeout <= 0 {
		options.Timeout = 30 * time.Second
	}
	if options.HelloName == "" {
		options.HelloName = "localhost"
	}
	return &Mailer{options: options, host: host}, nil
}

// Send delivers message. An error wrapping ErrMailRejected means the server
// refused the recipient or the message for good; any other error is worth
// a retry.
func (m *Mailer) Send(ctx context.Context, message Message) error {
	if strings.ContainsAny(message.To+message.Subject, "\r\n") {
		return fmt.Errorf("send mail to %q: %w: line break in a header", message.To, ErrMailRejected)
	}
	content, err := m.format(message)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, m.options.Timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", m.options.Addr)
	if err != nil {
		return fmt.Errorf("connect to smtp server %s: %w", m.options.Addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stopClosing := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClosing()

	if err := m.deliver(conn, message.To, content); err != nil {
		return fmt.Errorf("send mail to %s via %s: %w", message.To, m.options.Addr, err)
	}
	return nil
}

// deliver runs one SMTP session on conn: EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT.
func (m *Mailer) deliver(conn net.Conn, to string, content []byte) error {
	client, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer client.Close()

	if err := client.Hello(m.options.HelloName); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if m.options.StartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS, which the configuration requires")
		}
		if err := client.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.options.Username != "" {
		if err := client.Auth(smtp.PlainAuth("", m.options.Username, m.options.Password, m.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}

	if err := client.Mail(m.options.From); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := client.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT TO: %w", classify(err))
	}
	writer, err := client.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", classify(err))
	}
	if _, err := writer.Write(content); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := writer.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", classify(err))
	}
	return client.Quit()
}

func (m *Mailer) tlsConfig() *tls.Config {
	if m.options.TLSConfig != nil {
		config := m.options.TLSConfig.Clone()
		if config.ServerName == "" {
			config.ServerName = m.host
		}
		return config
	}
	return &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
}

// classify wraps a 5xx SMTP reply with ErrMailRejected.
func classify(err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code <= 599 {
		return fmt.Errorf("%w: %w", ErrMailRejected, err)
	}
	return err
}

// format renders the message with its headers, the body quoted-printable
// so long lines and non-ASCII text survive any relay.
func (m *Mailer) format(message Message) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generate message id: %w", err)
	}
	_, senderDomain, _ := strings.Cut(m.options.From, "@")
	if senderDomain == "" {
		senderDomain = m.options.HelloName
	}

	var buffer bytes.Buffer
	fmt.Fprintf(&buffer, "From: %s\r\n", m.options.From)
	fmt.Fprintf(&buffer, "To: %s\r\n", message.To)
	fmt.Fprintf(&buffer, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", message.Subject))
	fmt.Fprintf(&buffer, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&buffer, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), senderDomain)
	buffer.WriteString("MIME-Version: 1.0\r\n")
	buffer.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	buffer.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")

	body := quotedprintable.NewWriter(&buffer)
	if _, err := body.Write([]byte(strings.ReplaceAll(message.Body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("encode message body: %w", err)
	}
	if err := body.Close(); err != nil {
		return nil, fmt.Errorf("encode message body: %w", err)
	}
	return buffer.Bytes(), nil
}

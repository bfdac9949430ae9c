package integration

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/testutil/dnsserver"
	"github.com/openacm/openacm/internal/testutil/smtpserver"
)

// approvalLinkPattern finds the approval link in a message body.
var approvalLinkPattern = regexp.MustCompile(`http://\S+/validation/email/approve\?\S+`)

// startEmailValidation starts a DNS server, an SMTP server and OpenACM in
// real mode sending approval e-mail through that SMTP server.
func startEmailValidation(t *testing.T, options app.Options) (*server, *smtpserver.Server, *dnsserver.Server) {
	t.Helper()
	dns := dnsserver.Start(t)
	mail := smtpserver.Start(t, smtpserver.Options{})
	s := startServerWith(t, options, func(cfg *config.Config) {
		cfg.Validation = config.ValidationReal
		cfg.DNSResolver = dns.Addr()
		cfg.DNSRecheckInterval = 100 * time.Millisecond
		cfg.SMTPAddr = mail.Addr()
		cfg.SMTPFrom = "acm@openacm.test"
		cfg.SMTPStartTLS = false
	})
	return s, mail, dns
}

// messagesTo returns the approval links sent for domain, keyed by recipient.
func linksFor(t *testing.T, messages []smtpserver.Message, domain string) map[string]string {
	t.Helper()
	links := map[string]string{}
	for _, message := range messages {
		if message.Header.Get("Subject") != "Certificate approval for "+domain {
			continue
		}
		link := approvalLinkPattern.FindString(message.Body)
		if link == "" {
			t.Fatalf("message to %v has no approval link:\n%s", message.To, message.Body)
		}
		links[message.To[0]] = link
	}
	return links
}

func wantMailboxes(domain string) []string {
	var addresses []string
	for _, mailbox := range []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"} {
		addresses = append(addresses, mailbox+"@"+domain)
	}
	return addresses
}

func TestEmailValidation(t *testing.T) {
	s, mail, _ := startEmailValidation(t, app.Options{})
	client := s.client("eu-central-1")

	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName:              aws.String("mail.example.com"),
		SubjectAlternativeNames: []string{"www.shop.example.com"},
		DomainValidationOptions: []types.DomainValidationOption{
			{DomainName: aws.String("www.shop.example.com"), ValidationDomain: aws.String("shop.example.com")},
		},
		ValidationMethod: types.ValidationMethodEmail,
	})

	messages := mail.WaitMessages(t, 10, 20*time.Second)
	first := linksFor(t, messages, "mail.example.com")
	second := linksFor(t, messages, "www.shop.example.com")
	for domain, links := range map[string]map[string]string{"mail.example.com": first, "shop.example.com": second} {
		got := make([]string, 0, len(links))
		for address := range links {
			got = append(got, address)
		}
		slices.Sort(got)
		if want := wantMailboxes(domain); !slices.Equal(got, want) {
			t.Errorf("approval e-mail for %s went to %v, want %v", domain, got, want)
		}
	}

	t.Run("message content", func(t *testing.T) {
		for _, message := range messages {
			for _, want := range []string{arn, "000000000000", "eu-central-1"} {
				if !strings.Contains(message.Body, want) {
					t.Errorf("message to %v does not mention %s:\n%s", message.To, want, message.Body)
				}
			}
			if message.From != "acm@openacm.test" {
				t.Errorf("envelope sender = %q, want acm@openacm.test", message.From)
			}
		}
	})

	t.Run("bad token", func(t *testing.T) {
		link, _ := url.Parse(first["admin@mail.example.com"])
		query := link.Query()
		query.Set("token", strings.Repeat("A", 43))
		link.RawQuery = query.Encode()
		status, body := fetch(t, http.MethodGet, link.String(), nil)
		if status != http.StatusNotFound || !strings.Contains(body, "Link not valid") {
			t.Errorf("GET with a wrong token = %d %q, want 404 and the invalid-link page", status, body)
		}
	})

	t.Run("resend errors", func(t *testing.T) {
		_, err := client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
			CertificateArn: aws.String(arn), Domain: aws.String("other.example.com"), ValidationDomain: aws.String("example.com"),
		})
		if code, _ := apiError(t, err); code != "InvalidDomainValidationOptionsException" {
			t.Errorf("resend for a domain not on the certificate: %s, want InvalidDomainValidationOptionsException", code)
		}
		_, err = client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
			CertificateArn: aws.String(arn), Domain: aws.String("www.shop.example.com"), ValidationDomain: aws.String("example.com"),
		})
		if code, _ := apiError(t, err); code != "InvalidDomainValidationOptionsException" {
			t.Errorf("resend with another validation domain: %s, want InvalidDomainValidationOptionsException", code)
		}
	})

	t.Run("resend voids old links", func(t *testing.T) {
		before := len(mail.Messages())
		_, err := client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
			CertificateArn: aws.String(arn), Domain: aws.String("www.shop.example.com"), ValidationDomain: aws.String("shop.example.com"),
		})
		if err != nil {
			t.Fatalf("ResendValidationEmail: %v", err)
		}
		resent := mail.WaitMessages(t, before+5, 20*time.Second)[before:]
		fresh := linksFor(t, resent, "www.shop.example.com")
		if len(fresh) != 5 || len(resent) != 5 {
			t.Fatalf("resend sent %d messages, %d of them for www.shop.example.com; want 5 for it alone", len(resent), len(fresh))
		}
		if status, _ := fetch(t, http.MethodGet, second["admin@shop.example.com"], nil); status != http.StatusNotFound {
			t.Errorf("GET of a link from before the resend = %d, want 404", status)
		}
		second = fresh
	})

	t.Run("approve both names", func(t *testing.T) {
		approve(t, first["hostmaster@mail.example.com"])
		if status, _ := fetch(t, http.MethodGet, first["hostmaster@mail.example.com"], nil); status != http.StatusNotFound {
			t.Errorf("GET of a used link = %d, want 404", status)
		}
		waitForValidationStatus(t, client, arn, "mail.example.com", "SUCCESS")
		if detail := describeCertificate(t, client, arn); detail.Status != types.CertificateStatusPendingValidation {
			t.Errorf("Status with one name approved = %s, want PENDING_VALIDATION", detail.Status)
		}

		approve(t, second["webmaster@shop.example.com"])
		detail := waitForStatus(t, client, arn, "ISSUED").Certificate
		s.checkIssued(t, detail, getCertificate(t, client, arn), []string{"mail.example.com", "www.shop.example.com"}, types.KeyAlgorithmRsa2048)
	})

	t.Run("resend after issue", func(t *testing.T) {
		_, err := client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
			CertificateArn: aws.String(arn), Domain: aws.String("mail.example.com"), ValidationDomain: aws.String("mail.example.com"),
		})
		if code, _ := apiError(t, err); code != "InvalidStateException" {
			t.Errorf("resend for an issued certificate: %s, want InvalidStateException", code)
		}
	})
}

func TestEmailValidationAllBounce(t *testing.T) {
	s, mail, _ := startEmailValidation(t, app.Options{})
	for _, address := range wantMailboxes("bounce.example.com") {
		mail.Reject(address, 550)
	}
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("bounce.example.com"), ValidationMethod: types.ValidationMethodEmail,
	})

	detail := waitForStatus(t, client, arn, "FAILED").Certificate
	if detail.FailureReason != types.FailureReasonNoAvailableContacts {
		t.Errorf("FailureReason = %s, want NO_AVAILABLE_CONTACTS", detail.FailureReason)
	}
	if got := detail.DomainValidationOptions[0].ValidationStatus; got != types.DomainStatusFailed {
		t.Errorf("ValidationStatus = %s, want FAILED", got)
	}
}

func TestResendValidationEmailWrongMethod(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("dns.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	_, err := client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
		CertificateArn: aws.String(arn), Domain: aws.String("dns.example.com"), ValidationDomain: aws.String("dns.example.com"),
	})
	if code, _ := apiError(t, err); code != "InvalidStateException" {
		t.Errorf("resend for a DNS-validated certificate: %s, want InvalidStateException", code)
	}

	_, err = client.ResendValidationEmail(context.Background(), &acm.ResendValidationEmailInput{
		CertificateArn:   aws.String("arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000"),
		Domain:           aws.String("dns.example.com"),
		ValidationDomain: aws.String("dns.example.com"),
	})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("resend for an unknown certificate: %s, want ResourceNotFoundException", code)
	}
}

// approve opens an approval link and submits its form, as a browser without JavaScript does.
func approve(t *testing.T, link string) {
	t.Helper()
	status, body := fetch(t, http.MethodGet, link, nil)
	if status != http.StatusOK || !strings.Contains(body, `id="approve"`) {
		t.Fatalf("GET %s = %d, want 200 and the approve button:\n%s", link, status, body)
	}
	parsed, _ := url.Parse(link)
	form := url.Values{}
	for _, field := range []string{"certificate", "domain", "token"} {
		form.Set(field, parsed.Query().Get(field))
	}
	action := parsed.Scheme + "://" + parsed.Host + parsed.Path
	status, body = fetch(t, http.MethodPost, action, form)
	if status != http.StatusOK || !strings.Contains(body, "Approved") {
		t.Fatalf("POST %s = %d, want 200 and the approved page:\n%s", action, status, body)
	}
}

// fetch sends a GET, or a POST of form, and returns the status and body.
func fetch(t *testing.T, method, target string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	request, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, target, err)
	}
	if form != nil {
		request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	response, err := (&http.Client{Timeout: 10 * time.Second}).Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer response.Body.Close()
	content, _ := io.ReadAll(response.Body)
	return response.StatusCode, string(content)
}

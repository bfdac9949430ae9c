package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// jsonContentType is the media type of every AWS JSON 1.1 request and reply body.
const jsonContentType = "application/x-amz-json-1.1"

// testCredentials is the built-in credential of every OpenACM server.
var testCredentials = aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}

// rawReply is an HTTP reply with its body read in full.
type rawReply struct {
	status int
	header http.Header
	body   []byte
}

// newRawRequest builds an unsigned AWS JSON 1.1 POST of body to target.
func newRawRequest(t *testing.T, s *server, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Content-Type", jsonContentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// signRequest signs req with SigV4 for service "acm" in region, as the AWS SDK does.
func signRequest(t *testing.T, req *http.Request, body string, credentials aws.Credentials, region string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	signer := v4.NewSigner()
	err := signer.SignHTTP(context.Background(), credentials, req, hex.EncodeToString(sum[:]), "acm", region, time.Now())
	if err != nil {
		t.Fatalf("sign request: %v", err)
	}
}

// sendRaw sends req and reads the whole reply.
func sendRaw(t *testing.T, req *http.Request) rawReply {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("send %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply of %s %s: %v", req.Method, req.URL, err)
	}
	return rawReply{status: resp.StatusCode, header: resp.Header, body: body}
}

// callRaw sends body to CertificateManager.<operation>, signed with the
// built-in credential for region. It sends what the SDK rejects before
// sending, such as a request without a required member.
func callRaw(t *testing.T, s *server, region, operation, body string) rawReply {
	t.Helper()
	req := newRawRequest(t, s, "CertificateManager."+operation, body)
	signRequest(t, req, body, testCredentials, region)
	return sendRaw(t, req)
}

// getPath sends an unsigned GET of path.
func getPath(t *testing.T, s *server, path string) rawReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url()+path, nil)
	if err != nil {
		t.Fatalf("build GET %s: %v", path, err)
	}
	return sendRaw(t, req)
}

// decodeErrorReply checks that reply is an AWS JSON 1.1 error body with
// exactly the members __type and message, and returns them.
func decodeErrorReply(t *testing.T, reply rawReply) (code, message string) {
	t.Helper()
	if got := reply.header.Get("Content-Type"); got != jsonContentType {
		t.Errorf("error reply Content-Type = %q, want %q", got, jsonContentType)
	}

	var members map[string]any
	if err := json.Unmarshal(reply.body, &members); err != nil {
		t.Fatalf("error reply body %q is not a JSON object: %v", reply.body, err)
	}
	if len(members) != 2 {
		t.Errorf("error reply members = %v, want only __type and message", members)
	}
	code, codeIsString := members["__type"].(string)
	message, messageIsString := members["message"].(string)
	if !codeIsString || !messageIsString {
		t.Fatalf("error reply body %q lacks string __type or message", reply.body)
	}
	return code, message
}

// checkRawError checks a reply's status, __type and message.
func checkRawError(t *testing.T, reply rawReply, wantStatus int, wantCode, wantMessage string) {
	t.Helper()
	if reply.status != wantStatus {
		t.Errorf("status = %d, want %d (body %s)", reply.status, wantStatus, reply.body)
	}
	code, message := decodeErrorReply(t, reply)
	if code != wantCode {
		t.Errorf("__type = %q, want %q", code, wantCode)
	}
	if message != wantMessage {
		t.Errorf("message = %q\nwant      %q", message, wantMessage)
	}
}

func TestProtocolErrors(t *testing.T) {
	s := startServer(t)
	const invalidSignature = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

	cases := []struct {
		name        string
		target      string
		body        string
		credentials *aws.Credentials // nil sends the request unsigned
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{
			name:        "unknown operation",
			target:      "CertificateManager.MakeCoffee",
			body:        "{}",
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "UnknownOperationException",
			wantMessage: "The operation CertificateManager.MakeCoffee is not supported by this server.",
		},
		{
			name:        "ACME endpoint operation not built",
			target:      "CertificateManager.ListAcmeEndpoints",
			body:        "{}",
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "UnknownOperationException",
			wantMessage: "The operation CertificateManager.ListAcmeEndpoints is not supported by this server.",
		},
		{
			name:        "operation of another service prefix",
			target:      "DynamoDB_20120810.ListTables",
			body:        "{}",
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "UnknownOperationException",
			wantMessage: "The operation DynamoDB_20120810.ListTables is not supported by this server.",
		},
		{
			name:        "body not JSON",
			target:      "CertificateManager.RequestCertificate",
			body:        "DomainName=example.com",
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "The request body is not valid JSON.",
		},
		{
			name:        "body a truncated object",
			target:      "CertificateManager.ListCertificates",
			body:        `{"MaxItems": 5`,
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "The request body is not valid JSON.",
		},
		{
			name:        "string member given a number",
			target:      "CertificateManager.RequestCertificate",
			body:        `{"DomainName": 5}`,
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "NUMBER_VALUE can not be converted to a String",
		},
		{
			name:        "list member given a string",
			target:      "CertificateManager.RequestCertificate",
			body:        `{"DomainName": "example.com", "SubjectAlternativeNames": "www.example.com"}`,
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "STRING_VALUE can not be converted to a List",
		},
		{
			name:        "integer member given a string",
			target:      "CertificateManager.ListCertificates",
			body:        `{"MaxItems": "10"}`,
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "STRING_VALUE can not be converted to an Integer",
		},
		{
			name:        "string member given an object",
			target:      "CertificateManager.DescribeCertificate",
			body:        `{"CertificateArn": {"arn": "x"}}`,
			credentials: &testCredentials,
			wantStatus:  400,
			wantCode:    "SerializationException",
			wantMessage: "Start of structure or map found where not expected.",
		},
		{
			name:        "unsigned",
			target:      "CertificateManager.ListCertificates",
			body:        "{}",
			wantStatus:  400,
			wantCode:    "MissingAuthenticationTokenException",
			wantMessage: "Missing Authentication Token",
		},
		{
			name:        "wrong secret key",
			target:      "CertificateManager.ListCertificates",
			body:        "{}",
			credentials: &aws.Credentials{AccessKeyID: "test", SecretAccessKey: "not-the-secret"},
			wantStatus:  400,
			wantCode:    "InvalidSignatureException",
			wantMessage: invalidSignature,
		},
		{
			name:        "unknown access key",
			target:      "CertificateManager.ListCertificates",
			body:        "{}",
			credentials: &aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "test"},
			wantStatus:  400,
			wantCode:    "UnrecognizedClientException",
			wantMessage: "The security token included in the request is invalid.",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := newRawRequest(t, s, tc.target, tc.body)
			if tc.credentials != nil {
				signRequest(t, req, tc.body, *tc.credentials, "us-east-1")
			}

			reply := sendRaw(t, req)

			checkRawError(t, reply, tc.wantStatus, tc.wantCode, tc.wantMessage)
			if got := reply.header.Get("X-Amzn-ErrorType"); got != tc.wantCode {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tc.wantCode)
			}
		})
	}
}

func TestProtocolRequestIDOnEveryReply(t *testing.T) {
	s := startServer(t)

	replies := map[string]rawReply{
		"success":       callRaw(t, s, "us-east-1", "ListCertificates", "{}"),
		"validation":    callRaw(t, s, "us-east-1", "ListCertificates", `{"MaxItems": 0}`),
		"serialization": callRaw(t, s, "us-east-1", "ListCertificates", "not json"),
		"unknown":       callRaw(t, s, "us-east-1", "ListAcmeEndpoints", "{}"),
		"unsigned":      sendRaw(t, newRawRequest(t, s, "CertificateManager.ListCertificates", "{}")),
	}

	seen := map[string]string{}
	for name, reply := range replies {
		id := reply.header.Get("x-amzn-RequestId")
		if id == "" {
			t.Errorf("%s reply (status %d) has no x-amzn-RequestId header", name, reply.status)
			continue
		}
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s replies share request id %s", name, other, id)
		}
		seen[id] = name
	}
}

func TestProtocolUnknownMembersIgnored(t *testing.T) {
	s := startServer(t)
	body := `{"DomainName": "example.com", "ValidationMethod": "DNS", "NoSuchMember": {"deep": [1, 2]}, "Other": 5}`

	reply := callRaw(t, s, "us-east-1", "RequestCertificate", body)

	if reply.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", reply.status, reply.body)
	}
	if got := reply.header.Get("Content-Type"); got != jsonContentType {
		t.Errorf("Content-Type = %q, want %q", got, jsonContentType)
	}
	var out struct{ CertificateArn string }
	if err := json.Unmarshal(reply.body, &out); err != nil {
		t.Fatalf("decode reply %s: %v", reply.body, err)
	}
	if !strings.HasPrefix(out.CertificateArn, "arn:aws:acm:us-east-1:000000000000:certificate/") {
		t.Errorf("CertificateArn = %q, want an ACM ARN in us-east-1 and account 000000000000", out.CertificateArn)
	}
}

// bodyTooLargeMessage is the message of the 413 reply to a body over 4 MiB.
const bodyTooLargeMessage = "The request body is larger than the maximum of 4 MiB."

// readRawHTTPReply reads one HTTP reply from conn, giving up after timeout so
// that a server that waits for the rest of the body fails the test.
func readRawHTTPReply(t *testing.T, conn net.Conn, timeout time.Duration) rawReply {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read reply: %v (the server may be waiting for the whole body)", err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply body: %v", err)
	}
	return rawReply{status: resp.StatusCode, header: resp.Header, body: body}
}

// writeRequestHead writes the request line and headers of an ACM call.
func writeRequestHead(t *testing.T, conn net.Conn, s *server, extraHeaders string) {
	t.Helper()
	host := strings.TrimPrefix(s.url(), "http://")
	head := "POST / HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Content-Type: " + jsonContentType + "\r\n" +
		"X-Amz-Target: CertificateManager.ListCertificates\r\n" +
		extraHeaders + "\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("write request head: %v", err)
	}
}

func dialServer(t *testing.T, s *server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url(), "http://"))
	if err != nil {
		t.Fatalf("dial server: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestProtocolBodyTooLarge(t *testing.T) {
	s := startServer(t)
	const maxBody = 4 << 20

	t.Run("declared length refused before the body", func(t *testing.T) {
		conn := dialServer(t, s)

		// Only 1 KiB of the declared body is ever sent, so the reply proves
		// the server decided from Content-Length alone.
		writeRequestHead(t, conn, s, fmt.Sprintf("Content-Length: %d\r\n", maxBody+1))
		if _, err := conn.Write(bytes.Repeat([]byte(" "), 1024)); err != nil {
			t.Fatalf("write body start: %v", err)
		}

		reply := readRawHTTPReply(t, conn, 5*time.Second)
		checkRawError(t, reply, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", bodyTooLargeMessage)
		if reply.header.Get("x-amzn-RequestId") == "" {
			t.Errorf("413 reply has no x-amzn-RequestId header")
		}
	})

	t.Run("chunked body stopped at the limit", func(t *testing.T) {
		conn := dialServer(t, s)
		writeRequestHead(t, conn, s, "Transfer-Encoding: chunked\r\n")

		// One chunk of 5 MiB is written in the background. The server may
		// close the connection before taking all of it, so write errors are
		// expected and ignored.
		go func() {
			size := 5 << 20
			fmt.Fprintf(conn, "%x\r\n", size)
			_, _ = conn.Write(bytes.Repeat([]byte(" "), size))
			_, _ = io.WriteString(conn, "\r\n0\r\n\r\n")
		}()

		reply := readRawHTTPReply(t, conn, 10*time.Second)
		checkRawError(t, reply, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", bodyTooLargeMessage)
	})

	t.Run("body at the limit accepted", func(t *testing.T) {
		// A JSON object padded with spaces to exactly 4 MiB is valid input.
		body := "{}" + strings.Repeat(" ", maxBody-2)

		reply := callRaw(t, s, "us-east-1", "ListCertificates", body)

		if reply.status != http.StatusOK {
			t.Errorf("status = %d, want 200 (body %.200s)", reply.status, reply.body)
		}
	})
}

func TestProtocolDescribeTimestampsAreNumbers(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")
	arn := requestOrFail(t, client, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), ValidationMethod: types.ValidationMethodDns})
	waitForStatus(t, client, arn, "ISSUED")

	reply := callRaw(t, s, "us-east-1", "DescribeCertificate", `{"CertificateArn": "`+arn+`"}`)

	if reply.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", reply.status, reply.body)
	}
	var described struct {
		Certificate map[string]json.RawMessage
	}
	if err := json.Unmarshal(reply.body, &described); err != nil {
		t.Fatalf("decode reply %s: %v", reply.body, err)
	}
	for _, member := range []string{"CreatedAt", "IssuedAt", "NotBefore", "NotAfter"} {
		raw, ok := described.Certificate[member]
		if !ok {
			t.Errorf("Certificate.%s is missing", member)
			continue
		}
		var seconds float64
		if err := json.Unmarshal(raw, &seconds); err != nil {
			t.Errorf("Certificate.%s = %s, want a JSON number of epoch seconds", member, raw)
			continue
		}
		if seconds < 1e9 || seconds > 1e11 {
			t.Errorf("Certificate.%s = %s, want epoch seconds, not milliseconds", member, raw)
		}
	}
}

func TestProtocolUnsignedEndpoints(t *testing.T) {
	s := startServer(t)

	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			reply := getPath(t, s, path)
			if reply.status != http.StatusOK {
				t.Errorf("GET %s status = %d, want 200 (body %q)", path, reply.status, reply.body)
			}
		})
	}

	t.Run("root certificate PEM", func(t *testing.T) {
		reply := getPath(t, s, "/ca/root.pem")
		if reply.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", reply.status)
		}

		block, rest := pem.Decode(reply.body)
		if block == nil || block.Type != "CERTIFICATE" {
			t.Fatalf("body %q is not a PEM CERTIFICATE block", reply.body)
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			t.Errorf("%d bytes follow the PEM block, want none", len(rest))
		}
		root, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parse root certificate: %v", err)
		}
		if !root.IsCA {
			t.Errorf("root certificate IsCA = false, want true")
		}
		if err := root.CheckSignatureFrom(root); err != nil {
			t.Errorf("root certificate is not self-signed: %v", err)
		}
	})

	t.Run("CRL signed by intermediate", func(t *testing.T) {
		crlReply := getPath(t, s, "/crl/intermediate.crl")
		intermediateReply := getPath(t, s, "/ca/intermediate.crt")
		if crlReply.status != http.StatusOK || intermediateReply.status != http.StatusOK {
			t.Fatalf("CRL status %d, intermediate status %d, want 200 and 200", crlReply.status, intermediateReply.status)
		}

		crl, err := x509.ParseRevocationList(crlReply.body)
		if err != nil {
			t.Fatalf("parse CRL: %v", err)
		}
		intermediate, err := x509.ParseCertificate(intermediateReply.body)
		if err != nil {
			t.Fatalf("parse intermediate certificate: %v", err)
		}
		if err := crl.CheckSignatureFrom(intermediate); err != nil {
			t.Errorf("CRL signature does not verify against the intermediate: %v", err)
		}
		if !crl.NextUpdate.After(time.Now()) {
			t.Errorf("CRL NextUpdate %v is not in the future", crl.NextUpdate)
		}
	})
}

// TestProtocolNullListElementsSkipped pins the rule that model.CheckInput
// documents: a JSON null element of a list is skipped. The rest of the
// server must skip it too, rather than decode it into an empty value that
// never passed the constraint checks.
func TestProtocolNullListElementsSkipped(t *testing.T) {
	s := startServer(t)
	client := s.client("us-east-1")

	t.Run("SubjectAlternativeNames", func(t *testing.T) {
		arn := createRaw(t, s, `{"DomainName": "example.com", "ValidationMethod": "DNS", "SubjectAlternativeNames": [null, "www.example.com"]}`)

		got := describeOrFail(t, client, arn).SubjectAlternativeNames
		want := []string{"example.com", "www.example.com"}
		if !slices.Equal(got, want) {
			t.Errorf("SubjectAlternativeNames = %q, want %q", got, want)
		}
	})

	t.Run("RequestCertificate Tags", func(t *testing.T) {
		arn := createRaw(t, s, `{"DomainName": "example.com", "Tags": [null, {"Key": "team"}]}`)

		if got := tagKeys(t, client, arn); !slices.Equal(got, []string{"team"}) {
			t.Errorf("tag keys = %q, want [team]", got)
		}
	})

	t.Run("AddTagsToCertificate Tags", func(t *testing.T) {
		arn := createRaw(t, s, `{"DomainName": "example.com"}`)

		reply := callRaw(t, s, "us-east-1", "AddTagsToCertificate", `{"CertificateArn": "`+arn+`", "Tags": [null, {"Key": "team"}]}`)

		if reply.status != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %s)", reply.status, reply.body)
		}
		if got := tagKeys(t, client, arn); !slices.Equal(got, []string{"team"}) {
			t.Errorf("tag keys = %q, want [team]", got)
		}
	})

	t.Run("DomainValidationOptions", func(t *testing.T) {
		body := `{"DomainName": "www.example.com", "DomainValidationOptions": [null, {"DomainName": "www.example.com", "ValidationDomain": "example.com"}]}`

		reply := callRaw(t, s, "us-east-1", "RequestCertificate", body)

		if reply.status != http.StatusOK {
			t.Errorf("status = %d, want 200 (body %s)", reply.status, reply.body)
		}
	})

	t.Run("CertificateStatuses", func(t *testing.T) {
		arn := createRaw(t, s, `{"DomainName": "listed.example.com"}`)

		reply := callRaw(t, s, "us-east-1", "ListCertificates", `{"CertificateStatuses": [null]}`)

		if reply.status != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %s)", reply.status, reply.body)
		}
		if !bytes.Contains(reply.body, []byte(arn)) {
			t.Errorf("ListCertificates with a null status filter left out %s: %s", arn, reply.body)
		}
	})
}

// createRaw sends a RequestCertificate body that must succeed and returns the ARN.
func createRaw(t *testing.T, s *server, body string) string {
	t.Helper()
	reply := callRaw(t, s, "us-east-1", "RequestCertificate", body)
	if reply.status != http.StatusOK {
		t.Fatalf("request certificate: status %d, body %s", reply.status, reply.body)
	}

	var out struct{ CertificateArn string }
	if err := json.Unmarshal(reply.body, &out); err != nil {
		t.Fatalf("decode RequestCertificate reply %s: %v", reply.body, err)
	}
	return out.CertificateArn
}

// tagKeys returns the tag keys of a certificate in the order the server lists them.
func tagKeys(t *testing.T, client *acm.Client, arn string) []string {
	t.Helper()
	out, err := client.ListTagsForCertificate(context.Background(), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("list tags of %s: %v", arn, err)
	}

	keys := make([]string, 0, len(out.Tags))
	for _, tag := range out.Tags {
		keys = append(keys, aws.ToString(tag.Key))
	}
	return keys
}

// Package adminclient calls OpenACM's own admin operations (target prefix
// OpenACMAdmin.) over AWS JSON 1.1, signed with SigV4 for the acm service
// like any ACM call. The openacm command and the tests use it.
package adminclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Client signs and sends admin calls to one OpenACM endpoint.
type Client struct {
	Endpoint    string
	Region      string
	Credentials aws.Credentials
	HTTPClient  *http.Client
	// Now is the signing clock (default time.Now); tests that move the
	// server's clock sign with the same one.
	Now func() time.Time
}

// CertificateUse names a certificate and a resource that uses it.
type CertificateUse struct {
	CertificateArn string `json:"CertificateArn"`
	ResourceArn    string `json:"ResourceArn"`
}

// Error is an error body returned by the server.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// AddCertificateUse adds use.ResourceArn to the certificate's InUseBy list.
func (c *Client) AddCertificateUse(ctx context.Context, use CertificateUse) error {
	return c.call(ctx, "AddCertificateUse", use)
}

// RemoveCertificateUse removes use.ResourceArn from the certificate's InUseBy list.
func (c *Client) RemoveCertificateUse(ctx context.Context, use CertificateUse) error {
	return c.call(ctx, "RemoveCertificateUse", use)
}

func (c *Client) call(ctx context.Context, operation string, input any) error {
	body, err := json.Marshal(input)
	if err != nil {
		return fmt.Errorf("encode %s input: %w", operation, err)
	}
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build %s request: %w", operation, err)
	}
	request.Header.Set("Content-Type", "application/x-amz-json-1.1")
	request.Header.Set("X-Amz-Target", "OpenACMAdmin."+operation)

	hash := sha256.Sum256(body)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	signer := v4.NewSigner()
	if err := signer.SignHTTP(ctx, c.Credentials, request, hex.EncodeToString(hash[:]), "acm", c.Region, now()); err != nil {
		return fmt.Errorf("sign %s request: %w", operation, err)
	}

	httpClient := c.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	response, err := httpClient.Do(request)
	if err != nil {
		return fmt.Errorf("%s: %w", operation, err)
	}
	defer response.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", operation, err)
	}
	if response.StatusCode == http.StatusOK {
		return nil
	}
	return decodeError(reply, response.StatusCode)
}

// decodeError reads an AWS JSON 1.1 error body; __type may carry a
// namespace prefix ("ns#Code").
func decodeError(reply []byte, status int) error {
	var body struct {
		Type         string `json:"__type"`
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(reply, &body)
	code := body.Type
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	message := body.Message
	if message == "" {
		message = body.MessageUpper
	}
	if code == "" {
		code = "UnknownError"
	}
	return &Error{Code: code, Message: message, Status: status}
}

package benchkit

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
)

// countingConn counts the Write calls made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestOneWriteClient drives an SDK client through OneWriteClient and checks
// that each call is one write on one kept-alive connection, and that the
// server receives the whole body.
func TestOneWriteClient(t *testing.T) {
	const calls = 200
	const arn = "arn:aws:acm:us-east-1:000000000000:certificate/1"

	var badBodies atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || string(body) != `{"CertificateArn":"`+arn+`"}` {
			badBodies.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"Certificate":{"CertificateArn":"`+arn+`"}}`)
	}))
	defer server.Close()

	var dials, writes atomic.Int64
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, writes: &writes}, nil
	}
	client := acm.New(acm.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(server.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  OneWriteClient{&http.Client{Transport: transport}},
	})

	for i := 0; i < calls; i++ {
		out, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if got := aws.ToString(out.Certificate.CertificateArn); got != arn {
			t.Fatalf("call %d: CertificateArn %q, want %q", i, got, arn)
		}
	}

	if n := badBodies.Load(); n != 0 {
		t.Errorf("server received %d incomplete bodies", n)
	}
	if n := writes.Load(); n != calls {
		t.Errorf("%d writes for %d calls, want one write per call", n, calls)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections for %d calls in sequence, want 1", n, calls)
	}
}

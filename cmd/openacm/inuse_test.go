package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
)

func TestInUseCommand(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = listener.Addr().String()
	server, err := app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Listener: listener})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = server.Close(context.Background()) })

	client := acm.New(acm.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(server.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	requested, err := client.RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName: aws.String("cli.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	arn := aws.ToString(requested.CertificateArn)
	resource := "arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/web/1"

	env := map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": server.URL()}
	var stdout, stderr bytes.Buffer
	code := inUse([]string{"add", "--certificate-arn", arn, "--resource-arn", resource}, &stdout, &stderr, func(name string) string { return env[name] })
	if code != 0 {
		t.Fatalf("openacm in-use add exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "is in use by "+resource) {
		t.Errorf("openacm in-use add printed %q", stdout.String())
	}

	described, err := client.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	if got := described.Certificate.InUseBy; len(got) != 1 || got[0] != resource {
		t.Errorf("InUseBy = %v, want [%s]", got, resource)
	}

	stderr.Reset()
	env["AWS_SECRET_ACCESS_KEY"] = "wrong"
	code = inUse([]string{"remove", "--certificate-arn", arn, "--resource-arn", resource}, io.Discard, &stderr, func(name string) string { return env[name] })
	if code != 1 || !strings.Contains(stderr.String(), "SignatureDoesNotMatch") && !strings.Contains(stderr.String(), "InvalidSignature") {
		t.Errorf("openacm in-use remove with a wrong secret exited %d and printed %q, want 1 and a signature error", code, stderr.String())
	}

	stderr.Reset()
	code = inUse([]string{"add", "--certificate-arn", arn}, io.Discard, &stderr, func(name string) string { return env[name] })
	if code != 2 || !strings.Contains(stderr.String(), "--resource-arn") {
		t.Errorf("openacm in-use add without --resource-arn exited %d and printed %q, want 2", code, stderr.String())
	}
}

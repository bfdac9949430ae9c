// Command example requests a certificate from OpenACM with aws-sdk-go-v2,
// waits until it is issued and prints it.
//
// Start a server first (go run ./cmd/openacm serve), then run:
//
//	go run ./examples/go [-endpoint URL] [-domain NAME]
//
// The server must run in auto validation mode (the default); in real mode,
// publish the CNAME record this prints and the example waits for it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

func main() {
	defaultEndpoint := os.Getenv("AWS_ENDPOINT_URL")
	if defaultEndpoint == "" {
		defaultEndpoint = "http://127.0.0.1:4566"
	}
	endpoint := flag.String("endpoint", defaultEndpoint, "OpenACM base URL")
	domain := flag.String("domain", "www.example.com", "domain name of the certificate")
	flag.Parse()

	if err := run(context.Background(), *endpoint, *domain); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, endpoint, domain string) error {
	client := acm.New(acm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})

	requested, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:       aws.String(domain),
		ValidationMethod: types.ValidationMethodDns,
	})
	if err != nil {
		return fmt.Errorf("request certificate: %w", err)
	}
	arn := aws.ToString(requested.CertificateArn)
	fmt.Println("requested", arn)

	described, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: requested.CertificateArn})
	if err != nil {
		return fmt.Errorf("describe certificate: %w", err)
	}
	record := described.Certificate.DomainValidationOptions[0].ResourceRecord
	fmt.Println("validation record:", aws.ToString(record.Name), record.Type, aws.ToString(record.Value))

	waiter := acm.NewCertificateValidatedWaiter(client, func(o *acm.CertificateValidatedWaiterOptions) {
		o.MinDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: requested.CertificateArn}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for validation: %w", err)
	}

	issued, err := client.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: requested.CertificateArn})
	if err != nil {
		return fmt.Errorf("get certificate: %w", err)
	}
	fmt.Print(aws.ToString(issued.Certificate))

	if _, err := client.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: requested.CertificateArn}); err != nil {
		return fmt.Errorf("delete certificate: %w", err)
	}
	fmt.Println("deleted", arn)
	return nil
}

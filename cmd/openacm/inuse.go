package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openacm/openacm/internal/adminclient"
)

// defaultEndpoint is the server the in-use command calls when neither
// --endpoint nor AWS_ENDPOINT_URL is set.
const defaultEndpoint = "http://127.0.0.1:4566"

// inUse runs "openacm in-use add|remove": it marks a certificate as used
// (or no longer used) by a resource, signing the call with the AWS
// credentials in the environment.
func inUse(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "remove") {
		fmt.Fprintln(stderr, "usage: openacm in-use add|remove --certificate-arn ARN --resource-arn ARN [--endpoint URL] [--region REGION]")
		return 2
	}
	action := args[0]

	fs := flag.NewFlagSet("openacm in-use "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	certificateArn := fs.String("certificate-arn", "", "ARN of the certificate")
	resourceArn := fs.String("resource-arn", "", "ARN of the resource that uses the certificate, such as a load balancer")
	endpoint := fs.String("endpoint", firstSet(getenv("AWS_ENDPOINT_URL"), defaultEndpoint), "OpenACM URL [env AWS_ENDPOINT_URL]")
	region := fs.String("region", firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1"), "region of the certificate [env AWS_REGION, AWS_DEFAULT_REGION]")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *certificateArn == "" || *resourceArn == "" {
		fmt.Fprintln(stderr, "openacm in-use: --certificate-arn and --resource-arn are required")
		return 2
	}

	credentials := aws.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if credentials.AccessKeyID == "" || credentials.SecretAccessKey == "" {
		fmt.Fprintln(stderr, "openacm in-use: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the account's credentials")
		return 2
	}

	client := &adminclient.Client{Endpoint: *endpoint, Region: *region, Credentials: credentials}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	use := adminclient.CertificateUse{CertificateArn: *certificateArn, ResourceArn: *resourceArn}
	var err error
	if action == "add" {
		err = client.AddCertificateUse(ctx, use)
	} else {
		err = client.RemoveCertificateUse(ctx, use)
	}
	if err != nil {
		fmt.Fprintln(stderr, "openacm in-use:", err)
		return 1
	}
	if action == "add" {
		fmt.Fprintf(stdout, "%s is in use by %s\n", *certificateArn, *resourceArn)
	} else {
		fmt.Fprintf(stdout, "%s is no longer in use by %s\n", *certificateArn, *resourceArn)
	}
	return 0
}

func firstSet(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}

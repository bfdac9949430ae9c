"""Request a certificate from OpenACM with boto3, wait until it is issued,
and save the certificate, its chain and OpenACM's root to files.

Start a server first (go run ./cmd/openacm serve), then run:

    python3 examples/python/request_certificate.py [ENDPOINT_URL] [DOMAIN]

ENDPOINT_URL defaults to $AWS_ENDPOINT_URL, then http://127.0.0.1:4566.
The server must run in auto validation mode (the default); in real mode,
publish the CNAME record this prints and the script waits for it.
"""

import os
import sys
import urllib.request

import boto3


def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    domain = sys.argv[2] if len(sys.argv) > 2 else "www.example.com"

    acm = boto3.client(
        "acm",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )

    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    print("requested", arn)

    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    record = detail["DomainValidationOptions"][0]["ResourceRecord"]
    print("validation record:", record["Name"], record["Type"], record["Value"])

    # The waiter polls every 60 seconds; auto validation usually finishes
    # before its first poll.
    acm.get_waiter("certificate_validated").wait(
        CertificateArn=arn, WaiterConfig={"Delay": 2, "MaxAttempts": 60}
    )
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    print("status", detail["Status"], "valid until", detail["NotAfter"])

    issued = acm.get_certificate(CertificateArn=arn)
    with open("certificate.pem", "w") as f:
        f.write(issued["Certificate"])
    with open("chain.pem", "w") as f:
        f.write(issued["CertificateChain"])
    with urllib.request.urlopen(endpoint.rstrip("/") + "/ca/root.pem") as response:
        with open("openacm-root.pem", "wb") as f:
            f.write(response.read())
    print("wrote certificate.pem, chain.pem and openacm-root.pem")

    acm.delete_certificate(CertificateArn=arn)
    print("deleted", arn)


if __name__ == "__main__":
    main()

"""End-to-end test of OpenACM with boto3: request, describe, wait, fetch,
verify with openssl, tag, page, delete.

Usage: python3 boto3_e2e.py ENDPOINT_URL
The server must run in auto validation mode with a short delay.
"""

import subprocess
import sys
import tempfile
import time

import boto3
import botocore.exceptions


def main(endpoint):
    client = boto3.client(
        "acm",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )

    arn = client.request_certificate(
        DomainName="boto3.example.com",
        ValidationMethod="DNS",
        KeyAlgorithm="EC_prime256v1",
    )["CertificateArn"]
    assert arn.startswith("arn:aws:acm:eu-west-1:000000000000:certificate/"), arn

    detail = client.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION", detail["Status"]
    assert detail["KeyAlgorithm"] == "EC-prime256v1", detail["KeyAlgorithm"]
    record = detail["DomainValidationOptions"][0]["ResourceRecord"]
    assert record["Type"] == "CNAME", record
    assert record["Value"].endswith(".acm-validations.aws."), record

    # Let the auto-validation delay pass, so the waiter's first poll finds SUCCESS.
    time.sleep(3)
    client.get_waiter("certificate_validated").wait(CertificateArn=arn)
    detail = client.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "ISSUED", detail["Status"]
    assert detail["NotAfter"] > detail["NotBefore"], detail

    issued = client.get_certificate(CertificateArn=arn)
    with tempfile.TemporaryDirectory() as work:
        cert_path, chain_path = work + "/cert.pem", work + "/chain.pem"
        with open(cert_path, "w") as f:
            f.write(issued["Certificate"])
        with open(chain_path, "w") as f:
            f.write(issued["CertificateChain"])
        subprocess.run(["openssl", "verify", "-CAfile", chain_path, cert_path], check=True)

    client.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "env", "Value": "test"}])
    tags = client.list_tags_for_certificate(CertificateArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "test"}], tags

    # EC certificates appear in listings only when asked for by key type.
    paginator = client.get_paginator("list_certificates")
    pages = paginator.paginate(Includes={"keyTypes": ["EC_prime256v1"]}, PaginationConfig={"PageSize": 1})
    listed = [s["CertificateArn"] for page in pages for s in page["CertificateSummaryList"]]
    assert arn in listed, listed

    try:
        client.request_certificate(DomainName="a" * 60 + ".example.com")
        raise AssertionError("a 72-character domain name was accepted")
    except botocore.exceptions.ClientError as err:
        code = err.response["Error"]["Code"]
        assert code == "InvalidDomainValidationOptionsException", code

    client.delete_certificate(CertificateArn=arn)
    try:
        client.describe_certificate(CertificateArn=arn)
        raise AssertionError("describe after delete succeeded")
    except client.exceptions.ResourceNotFoundException:
        pass

    print("boto3_e2e.py: PASS")


if __name__ == "__main__":
    main(sys.argv[1])

"""End-to-end test of boto3 against ImportCertificate, UpdateCertificateOptions,
the error cases of ResendValidationEmail, Get/PutAccountConfiguration and
SearchCertificates, with certificates made by openssl.

Usage: python3 boto3_acm_api.py ENDPOINT_URL
The server must run in auto validation mode with a short delay.
"""

import subprocess
import sys
import tempfile
import time

import boto3
import botocore.exceptions


def make_certificate(work, name, curve="P-384"):
    key, cert = f"{work}/{name}.key", f"{work}/{name}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{curve}",
         "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    with open(cert, "rb") as c, open(key, "rb") as k:
        return c.read(), k.read()


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as err:
        got = err.response["Error"]["Code"]
        assert got == code, f"{got}: {err}"
        return err.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} succeeded, want {code}")


def check_resend_errors(client, issued_dns, imported):
    """ResendValidationEmail only works for a name of a pending certificate
    validated by e-mail; everything else gets the error ACM gives."""
    for arn in (issued_dns, imported):
        message = expect_error("InvalidStateException", client.resend_validation_email,
                               CertificateArn=arn, Domain="boto3.options.example.org",
                               ValidationDomain="boto3.options.example.org")
        assert arn in message, message

    # The call comes right after the request, well within the server's
    # one-second auto-validation delay, so the certificate is still pending.
    pending = client.request_certificate(DomainName="boto3.resend.example.org",
                                         ValidationMethod="EMAIL")["CertificateArn"]
    expect_error("InvalidDomainValidationOptionsException", client.resend_validation_email,
                 CertificateArn=pending, Domain="other.example.org", ValidationDomain="other.example.org")
    expect_error("InvalidDomainValidationOptionsException", client.resend_validation_email,
                 CertificateArn=pending, Domain="boto3.resend.example.org", ValidationDomain="example.com")
    message = expect_error("ValidationException", client.resend_validation_email,
                           CertificateArn="not-an-arn-of-any-service", Domain="boto3.resend.example.org",
                           ValidationDomain="boto3.resend.example.org")
    assert "certificateArn" in message, message
    missing = "arn:aws:acm:sa-east-1:000000000000:certificate/00000000-0000-4000-8000-0000000000ee"
    expect_error("ResourceNotFoundException", client.resend_validation_email,
                 CertificateArn=missing, Domain="boto3.resend.example.org",
                 ValidationDomain="boto3.resend.example.org")
    # The searches below expect only the certificates main made.
    client.delete_certificate(CertificateArn=pending)


def main(endpoint):
    client = boto3.client("acm", endpoint_url=endpoint, region_name="sa-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")

    with tempfile.TemporaryDirectory() as work:
        cert, key = make_certificate(work, "boto3.import.example.org")
        other_cert, other_key = make_certificate(work, "other.import.example.org")
        p256_cert, p256_key = make_certificate(work, "p256.import.example.org", curve="P-256")

    arn = client.import_certificate(Certificate=cert, PrivateKey=key,
                                    Tags=[{"Key": "source", "Value": "boto3"}])["CertificateArn"]
    detail = client.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "IMPORTED", detail["Type"]
    assert detail["KeyAlgorithm"] == "EC-secp384r1", detail["KeyAlgorithm"]
    assert detail["DomainValidationOptions"] == [{"DomainName": "boto3.import.example.org"}], detail["DomainValidationOptions"]

    expect_error("ValidationException", client.import_certificate, Certificate=cert, PrivateKey=other_key)
    expect_error("ValidationException", client.import_certificate, Certificate=b"garbage", PrivateKey=key)
    expect_error("ValidationException", client.import_certificate, CertificateArn=arn,
                 Certificate=p256_cert, PrivateKey=p256_key)
    missing = "arn:aws:acm:sa-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000"
    message = expect_error("ResourceNotFoundException", client.import_certificate, CertificateArn=missing,
                           Certificate=other_cert, PrivateKey=other_key)
    assert message == f"Could not find certificate {missing}.", message

    assert client.import_certificate(CertificateArn=arn, Certificate=other_cert,
                                     PrivateKey=other_key)["CertificateArn"] == arn
    tags = client.list_tags_for_certificate(CertificateArn=arn)["Tags"]
    assert tags == [{"Key": "source", "Value": "boto3"}], tags

    requested = client.request_certificate(DomainName="boto3.options.example.org",
                                           ValidationMethod="DNS")["CertificateArn"]
    time.sleep(2)
    client.update_certificate_options(CertificateArn=requested,
                                      Options={"CertificateTransparencyLoggingPreference": "DISABLED"})
    options = client.describe_certificate(CertificateArn=requested)["Certificate"]["Options"]
    assert options["CertificateTransparencyLoggingPreference"] == "DISABLED", options
    expect_error("ValidationException", client.update_certificate_options, CertificateArn=requested,
                 Options={"Export": "ENABLED"})

    check_resend_errors(client, issued_dns=requested, imported=arn)

    assert client.get_account_configuration()["ExpiryEvents"] == {"DaysBeforeExpiry": 45}
    client.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 60}, IdempotencyToken="boto3cfg")
    assert client.get_account_configuration()["ExpiryEvents"] == {"DaysBeforeExpiry": 60}
    # boto3 checks lengths and ranges itself but not patterns, so the server
    # rejects a token outside \w+.
    expect_error("ValidationException", client.put_account_configuration,
                 ExpiryEvents={"DaysBeforeExpiry": 5}, IdempotencyToken="bad-token")

    results = client.search_certificates(
        FilterStatement={"And": [
            {"Filter": {"X509AttributeFilter": {"KeyAlgorithm": "EC_secp384r1"}}},
            {"Not": {"Filter": {"AcmCertificateMetadataFilter": {"InUse": True}}}},
        ]},
        SortBy="CREATED_AT", SortOrder="DESCENDING")["Results"]
    assert [r["CertificateArn"] for r in results] == [arn], results
    metadata = results[0]["CertificateMetadata"]["AcmCertificateMetadata"]
    assert metadata["Type"] == "IMPORTED", metadata

    paginator = client.get_paginator("search_certificates")
    seen = [r["CertificateArn"] for page in paginator.paginate(PaginationConfig={"PageSize": 1})
            for r in page["Results"]]
    assert sorted(seen) == sorted([arn, requested]), seen

    print("boto3_acm_api.py: PASS")


if __name__ == "__main__":
    main(sys.argv[1])

"""End-to-end test of the endpoint variables with boto3: AWS_ENDPOINT_URL,
AWS_ENDPOINT_URL_ACM and AWS_ENDPOINT_URL_ACM_PCA, with no endpoint_url in
the code.

botocore reads these variables from 1.31 on; this machine has 1.43. The
unused address 127.0.0.1:9 as the general endpoint shows that a
service-specific variable wins for its service and only for it.

Usage: python3 boto3_endpoint_env.py ENDPOINT_URL
"""

import os
import sys
import time

import boto3
import botocore
import botocore.config
import botocore.exceptions

UNUSED_ENDPOINT = "http://127.0.0.1:9"
CA_CONFIGURATION = {
    "KeyAlgorithm": "EC_prime256v1",
    "SigningAlgorithm": "SHA256WITHECDSA",
    "Subject": {"CommonName": "Endpoint Variables Root CA", "Organization": "Example Corp"},
}


def client(service, variables):
    """Return a client made from the environment alone, as a user's code would be."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ACM", "AWS_ENDPOINT_URL_ACM_PCA"):
        os.environ.pop(name, None)
    os.environ.update(variables)
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="ap-southeast-2")
    config = botocore.config.Config(connect_timeout=2, retries={"total_max_attempts": 1})
    return session.client(service, config=config)


def main(endpoint):
    # Keep a shared config file from setting endpoints or ignoring the variables.
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ.pop("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", None)

    acm = client("acm", {"AWS_ENDPOINT_URL": endpoint})
    assert acm.meta.endpoint_url == endpoint, acm.meta.endpoint_url
    arn = acm.request_certificate(DomainName="env.example.com", ValidationMethod="DNS")["CertificateArn"]
    assert arn.startswith("arn:aws:acm:ap-southeast-2:000000000000:certificate/"), arn

    acm = client("acm", {"AWS_ENDPOINT_URL": UNUSED_ENDPOINT, "AWS_ENDPOINT_URL_ACM": endpoint})
    status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    assert status in ("PENDING_VALIDATION", "ISSUED"), status
    acm.delete_certificate(CertificateArn=arn)

    variables = {"AWS_ENDPOINT_URL": UNUSED_ENDPOINT, "AWS_ENDPOINT_URL_ACM_PCA": endpoint}
    pca = client("acm-pca", variables)
    ca_arn = pca.create_certificate_authority(
        CertificateAuthorityType="ROOT",
        CertificateAuthorityConfiguration=CA_CONFIGURATION,
    )["CertificateAuthorityArn"]
    assert ca_arn.startswith("arn:aws:acm-pca:ap-southeast-2:000000000000:certificate-authority/"), ca_arn
    deadline = time.monotonic() + 30
    while True:
        status = pca.describe_certificate_authority(CertificateAuthorityArn=ca_arn)["CertificateAuthority"]["Status"]
        if status == "PENDING_CERTIFICATE":
            break
        assert status == "CREATING", status
        assert time.monotonic() < deadline, "CA still CREATING after 30 s"
        time.sleep(0.1)
    pca.delete_certificate_authority(CertificateAuthorityArn=ca_arn, PermanentDeletionTimeInDays=7)

    # The same environment sends acm calls to the general, unused endpoint.
    acm = client("acm", variables)
    try:
        acm.list_certificates()
        raise AssertionError("acm reached a server through AWS_ENDPOINT_URL_ACM_PCA")
    except botocore.exceptions.EndpointConnectionError:
        pass

    print("boto3_endpoint_env.py: PASS (botocore %s)" % botocore.__version__)


if __name__ == "__main__":
    main(sys.argv[1])

"""End-to-end test of authentication with requests that botocore signs.

It starts the built server with a credentials file, then checks a
long-term key, a temporary key with its session token, a presigned
(query-string) request, a wrong secret, and a reload of the credentials
file on SIGHUP that removes one key and adds another.

Usage: python3 botocore_auth_e2e.py OPENACM_BINARY
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions

REGION = "us-east-1"
OWNER = ("AKIAOPENACME2EOWNER1", "e2e-owner-secret", None)
TEMPORARY = ("ASIAOPENACME2ETEMP01", "e2e-temp-secret", "e2e-session-token")
ADDED = ("AKIAOPENACME2EADDED1", "e2e-added-secret", None)


def credentials_file(path, keys):
    entries = []
    for access_key, secret, token in keys:
        entry = {"access_key_id": access_key, "secret_access_key": secret, "account_id": "111122223333"}
        if token:
            entry["session_token"] = token
        entries.append(entry)
    with open(path, "w") as f:
        json.dump({"credentials": entries}, f)


def client(endpoint, key):
    access_key, secret, token = key
    return boto3.client(
        "acm",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def error_code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return ""


def presigned_list(endpoint, key):
    """Sends ListCertificates signed in the query string by botocore."""
    access_key, secret, token = key
    body = b"{}"
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "CertificateManager.ListCertificates"},
    )
    credentials = botocore.credentials.Credentials(access_key, secret, token)
    botocore.auth.SigV4QueryAuth(credentials, "acm", REGION, expires=60).add_auth(request)
    prepared = request.prepare()
    http_request = urllib.request.Request(prepared.url, data=body, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_ready(endpoint):
    for _ in range(200):
        try:
            with urllib.request.urlopen(endpoint + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("server did not become ready")


def main(binary):
    work = tempfile.mkdtemp()
    creds_path = os.path.join(work, "credentials.json")
    credentials_file(creds_path, [OWNER, TEMPORARY])

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    endpoint = "http://127.0.0.1:%d" % port

    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(work, "data"),
         "--credentials-file", creds_path],
        stdout=log, stderr=log,
    )
    try:
        wait_ready(endpoint)
        run_checks(endpoint, creds_path, server)
    except BaseException:
        log.flush()
        print(open(os.path.join(work, "server.log")).read(), file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("botocore auth e2e: passed")


def run_checks(endpoint, creds_path, server):
    owner = client(endpoint, OWNER)
    arn = owner.request_certificate(DomainName="botocore.example.com")["CertificateArn"]
    assert arn.startswith("arn:aws:acm:us-east-1:111122223333:certificate/"), arn

    temporary = client(endpoint, TEMPORARY)
    listed = temporary.list_certificates()["CertificateSummaryList"]
    assert [c["CertificateArn"] for c in listed] == [arn], listed

    no_token = client(endpoint, (TEMPORARY[0], TEMPORARY[1], None))
    code = error_code(no_token.list_certificates)
    assert code == "UnrecognizedClientException", code

    wrong_secret = client(endpoint, (OWNER[0], "not-the-secret", None))
    code = error_code(wrong_secret.list_certificates)
    assert code == "InvalidSignatureException", code

    test_key = client(endpoint, ("test", "test", None))
    code = error_code(test_key.list_certificates)
    assert code == "UnrecognizedClientException", code

    status, body = presigned_list(endpoint, OWNER)
    assert status == 200, (status, body)
    assert [c["CertificateArn"] for c in body["CertificateSummaryList"]] == [arn], body
    status, body = presigned_list(endpoint, TEMPORARY)
    assert status == 200, (status, body)

    credentials_file(creds_path, [ADDED])
    os.kill(server.pid, signal.SIGHUP)
    added = client(endpoint, ADDED)
    for _ in range(200):
        if error_code(added.list_certificates) == "":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the added key does not work after SIGHUP")
    code = error_code(owner.list_certificates)
    assert code == "UnrecognizedClientException", code


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env bash
# End-to-end test of OpenACM with the AWS CLI: request, describe, wait for
# validation, fetch, verify with openssl, delete, and the endpoint
# environment variables where the CLI reads them.
#
# Usage: cli.sh ENDPOINT_URL [AWS_CLI]
# AWS_CLI is the aws binary to test (default: aws on PATH), so the same
# script runs with AWS CLI v1 and v2. The server must run in auto
# validation mode with a short delay.
set -euo pipefail

endpoint=${1:?usage: cli.sh ENDPOINT_URL [AWS_CLI]}
aws_cli=${2:-aws}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
acm() { "$aws_cli" --endpoint-url "$endpoint" acm "$@"; }
fail() { echo "cli.sh: FAIL: $*" >&2; exit 1; }

cli_version=$("$aws_cli" --version 2>&1)
echo "cli.sh: testing $cli_version"

# A fresh token per run: OpenACM maps a token to its certificate for an hour,
# even after that certificate is deleted, and both CLIs share one server.
token="cli$(date +%s%N)"
arn=$(acm request-certificate --domain-name cli.example.com \
  --subject-alternative-names www.cli.example.com '*.cli.example.com' \
  --validation-method DNS --idempotency-token "$token" \
  --tags Key=team,Value=platform --query CertificateArn --output text)
[[ "$arn" == arn:aws:acm:us-east-1:000000000000:certificate/* ]] || fail "unexpected ARN $arn"
echo "requested $arn"

again=$(acm request-certificate --domain-name other.example.com --idempotency-token "$token" \
  --query CertificateArn --output text)
[[ "$again" == "$arn" ]] || fail "idempotency token returned $again, want $arn"

acm describe-certificate --certificate-arn "$arn" >"$work/pending.json"
python3 - "$work/pending.json" <<'PY' || fail "pending certificate description is wrong"
import json, sys
cert = json.load(open(sys.argv[1]))["Certificate"]
assert cert["Type"] == "AMAZON_ISSUED", cert["Type"]
assert cert["SubjectAlternativeNames"] == ["cli.example.com", "www.cli.example.com", "*.cli.example.com"], cert["SubjectAlternativeNames"]
assert cert["KeyAlgorithm"] == "RSA-2048", cert["KeyAlgorithm"]
names = [o["ResourceRecord"]["Name"] for o in cert["DomainValidationOptions"]]
assert names[0] == names[2], "example.com and *.example.com must share a record"
PY

# The waiter polls once a minute; let the auto-validation delay pass first so
# its first poll already finds SUCCESS.
sleep 3
acm wait certificate-validated --certificate-arn "$arn"
status=$(acm describe-certificate --certificate-arn "$arn" --query Certificate.Status --output text)
[[ "$status" == ISSUED ]] || fail "status $status after the waiter, want ISSUED"

acm get-certificate --certificate-arn "$arn" --query Certificate --output text >"$work/cert.pem"
acm get-certificate --certificate-arn "$arn" --query CertificateChain --output text >"$work/chain.pem"
openssl verify -CAfile "$work/chain.pem" "$work/cert.pem" || fail "openssl verify failed"
openssl x509 -in "$work/cert.pem" -noout -ext subjectAltName | grep -q 'DNS:\*.cli.example.com' \
  || fail "wildcard SAN missing from the certificate"

tags=$(acm list-tags-for-certificate --certificate-arn "$arn" --query 'Tags[0].Value' --output text)
[[ "$tags" == platform ]] || fail "tag value $tags, want platform"

listed=$(acm list-certificates --query "CertificateSummaryList[?CertificateArn=='$arn'] | length(@)" --output text)
[[ "$listed" == 1 ]] || fail "certificate listed $listed times, want 1"

acm delete-certificate --certificate-arn "$arn"
if acm describe-certificate --certificate-arn "$arn" 2>"$work/err.txt"; then
  fail "describe after delete succeeded"
fi
grep -q ResourceNotFoundException "$work/err.txt" || fail "describe after delete: $(cat "$work/err.txt")"

# AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> arrived in AWS CLI 1.29
# and 2.13. The unused address 127.0.0.1:9 as the general endpoint shows
# that the service-specific variable wins.
if [[ "$cli_version" =~ ^aws-cli/([0-9]+)\.([0-9]+)\. ]]; then
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
else
  fail "cannot read the CLI version from: $cli_version"
fi
if (( (major == 1 && minor >= 29) || (major == 2 && minor >= 13) || major > 2 )); then
  count=$(AWS_ENDPOINT_URL="$endpoint" "$aws_cli" acm list-certificates --query 'length(CertificateSummaryList)' --output text) \
    || fail "list-certificates through AWS_ENDPOINT_URL failed"
  [[ "$count" =~ ^[0-9]+$ ]] || fail "AWS_ENDPOINT_URL: unexpected count $count"

  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_ACM="$endpoint" \
    "$aws_cli" acm list-certificates >/dev/null || fail "list-certificates through AWS_ENDPOINT_URL_ACM failed"

  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_ACM_PCA="$endpoint" \
    "$aws_cli" acm-pca list-certificate-authorities >/dev/null 2>"$work/pca.txt" \
    || fail "acm-pca through AWS_ENDPOINT_URL_ACM_PCA: $(cat "$work/pca.txt")"
  echo "cli.sh: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ACM and AWS_ENDPOINT_URL_ACM_PCA work"
else
  # Debian's AWS CLI 2.9 lands here: it predates the variables, so it is
  # tested with --endpoint-url only.
  echo "cli.sh: $aws_cli reads no endpoint variables (they need 1.29 or 2.13); checked --endpoint-url only"
fi

echo "cli.sh: PASS ($aws_cli)"

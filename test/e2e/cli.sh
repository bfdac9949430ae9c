#!/usr/bin/env bash
# End-to-end test of OpenACM with the installed AWS CLI: request, describe,
# wait for validation, fetch, verify with openssl, delete.
#
# Usage: cli.sh ENDPOINT_URL
# The server must run in auto validation mode with a short delay.
set -euo pipefail

endpoint=${1:?usage: cli.sh ENDPOINT_URL}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
acm() { aws --endpoint-url "$endpoint" acm "$@"; }
fail() { echo "cli.sh: FAIL: $*" >&2; exit 1; }

arn=$(acm request-certificate --domain-name cli.example.com \
  --subject-alternative-names www.cli.example.com '*.cli.example.com' \
  --validation-method DNS --idempotency-token cli1 \
  --tags Key=team,Value=platform --query CertificateArn --output text)
[[ "$arn" == arn:aws:acm:us-east-1:000000000000:certificate/* ]] || fail "unexpected ARN $arn"
echo "requested $arn"

again=$(acm request-certificate --domain-name other.example.com --idempotency-token cli1 \
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

echo "cli.sh: PASS"

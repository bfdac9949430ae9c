#!/usr/bin/env bash
# End-to-end test of the AWS CLI against ImportCertificate (and reimport),
# UpdateCertificateOptions, Get/PutAccountConfiguration and
# SearchCertificates, with certificates made by openssl.
#
# Usage: cli_acm_api.sh ENDPOINT_URL
# The server must run in auto validation mode with a short delay.
set -euo pipefail

endpoint=${1:?usage: cli_acm_api.sh ENDPOINT_URL}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=ap-south-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
acm() { aws --endpoint-url "$endpoint" acm "$@"; }
fail() { echo "cli_acm_api.sh: FAIL: $*" >&2; exit 1; }

# selfsigned NAME KEYFILE CERTFILE makes an EC P-256 certificate for NAME.
selfsigned() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/O=CLI Import/CN=$1" -addext "subjectAltName=DNS:$1" \
    -keyout "$2" -out "$3" 2>/dev/null
}

selfsigned import.cli.example.com "$work/key.pem" "$work/cert.pem"
arn=$(acm import-certificate --certificate "fileb://$work/cert.pem" --private-key "fileb://$work/key.pem" \
  --tags Key=owner,Value=cli --query CertificateArn --output text)
echo "imported $arn"

acm describe-certificate --certificate-arn "$arn" >"$work/imported.json"
python3 - "$work/imported.json" <<'PY' || fail "imported certificate description is wrong"
import json, sys
cert = json.load(open(sys.argv[1]))["Certificate"]
assert cert["Type"] == "IMPORTED", cert["Type"]
assert cert["Status"] == "ISSUED", cert["Status"]
assert cert["Subject"] == "O=CLI Import,CN=import.cli.example.com", cert["Subject"]
assert cert["KeyAlgorithm"] == "EC-prime256v1", cert["KeyAlgorithm"]
assert cert["Options"] == {"CertificateTransparencyLoggingPreference": "DISABLED", "Export": "DISABLED"}, cert["Options"]
assert "ImportedAt" in cert and "CreatedAt" in cert, cert
PY

selfsigned second.cli.example.com "$work/key2.pem" "$work/cert2.pem"
if acm import-certificate --certificate-arn "$arn" --certificate "fileb://$work/cert2.pem" \
  --private-key "fileb://$work/key2.pem" --tags Key=x,Value=y 2>"$work/err.txt"; then
  fail "reimport with tags succeeded"
fi
grep -q 'Tagging is not permitted on re-import.' "$work/err.txt" || fail "reimport with tags: $(cat "$work/err.txt")"

same=$(acm import-certificate --certificate-arn "$arn" --certificate "fileb://$work/cert2.pem" \
  --private-key "fileb://$work/key2.pem" --query CertificateArn --output text)
[[ "$same" == "$arn" ]] || fail "reimport returned $same, want $arn"
name=$(acm describe-certificate --certificate-arn "$arn" --query Certificate.DomainName --output text)
[[ "$name" == second.cli.example.com ]] || fail "domain after reimport $name"

cat "$work/cert.pem" "$work/cert2.pem" >"$work/bundle.pem"
if acm import-certificate --certificate "fileb://$work/bundle.pem" --private-key "fileb://$work/key.pem" 2>"$work/err.txt"; then
  fail "a bundle in the Certificate member was accepted"
fi
grep -q ValidationException "$work/err.txt" || fail "bundle: $(cat "$work/err.txt")"

requested=$(acm request-certificate --domain-name options.cli.example.com --validation-method DNS \
  --query CertificateArn --output text)
sleep 2
acm update-certificate-options --certificate-arn "$requested" \
  --options CertificateTransparencyLoggingPreference=DISABLED
ct=$(acm describe-certificate --certificate-arn "$requested" \
  --query Certificate.Options.CertificateTransparencyLoggingPreference --output text)
[[ "$ct" == DISABLED ]] || fail "CT preference $ct after update, want DISABLED"

days=$(acm get-account-configuration --query ExpiryEvents.DaysBeforeExpiry --output text)
[[ "$days" == 45 ]] || fail "default DaysBeforeExpiry $days, want 45"
acm put-account-configuration --expiry-events DaysBeforeExpiry=20 --idempotency-token cliconfig1
acm put-account-configuration --expiry-events DaysBeforeExpiry=7 --idempotency-token cliconfig1
days=$(acm get-account-configuration --query ExpiryEvents.DaysBeforeExpiry --output text)
[[ "$days" == 20 ]] || fail "DaysBeforeExpiry $days after a repeated token, want 20"

found=$(acm search-certificates \
  --filter-statement '{"Filter":{"AcmCertificateMetadataFilter":{"Type":"IMPORTED"}}}' \
  --query 'Results[].CertificateArn' --output text)
[[ "$found" == "$arn" ]] || fail "search by type found '$found', want $arn"
found=$(acm search-certificates \
  --filter-statement '{"Or":[{"Filter":{"X509AttributeFilter":{"SubjectAlternativeName":{"DnsName":{"Value":"options.cli","ComparisonOperator":"CONTAINS"}}}}},{"Filter":{"CertificateArn":"'"$arn"'"}}]}' \
  --sort-by CERTIFICATE_ARN --query 'length(Results)' --output text)
[[ "$found" == 2 ]] || fail "search with Or found $found, want 2"

echo "cli_acm_api.sh: PASS"

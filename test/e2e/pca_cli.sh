#!/usr/bin/env bash
# End-to-end test of private CAs with the installed AWS CLI, following the
# documented flow. It creates a root CA, fetches its CSR, issues its
# certificate with RootCACertificate/V1 and imports it. It does the same for
# a subordinate CA under the root. Then it requests a private certificate
# from each CA through ACM, exports it with a passphrase and checks it with
# openssl.
#
# Usage: pca_cli.sh ENDPOINT_URL
set -euo pipefail

endpoint=${1:?usage: pca_cli.sh ENDPOINT_URL}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
pca() { aws --endpoint-url "$endpoint" acm-pca "$@"; }
acm() { aws --endpoint-url "$endpoint" acm "$@"; }
fail() { echo "pca_cli.sh: FAIL: $*" >&2; exit 1; }

# wait_ca_status ARN STATUS polls DescribeCertificateAuthority for up to 30 s.
wait_ca_status() {
  local status
  for _ in $(seq 1 150); do
    status=$(pca describe-certificate-authority --certificate-authority-arn "$1" \
      --query CertificateAuthority.Status --output text)
    [[ "$status" == "$2" ]] && return 0
    sleep 0.2
  done
  fail "CA $1 is $status, want $2"
}

# create_ca TYPE COMMON_NAME prints the ARN of a new CA whose CSR exists.
create_ca() {
  cat >"$work/config-$2.json" <<JSON
{"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
 "Subject": {"Country": "US", "Organization": "Example Corp", "CommonName": "$2"}}
JSON
  cat >"$work/revocation.json" <<'JSON'
{"CrlConfiguration": {"Enabled": true}, "OcspConfiguration": {"Enabled": true}}
JSON
  local arn
  arn=$(pca create-certificate-authority --certificate-authority-type "$1" \
    --certificate-authority-configuration "file://$work/config-$2.json" \
    --revocation-configuration "file://$work/revocation.json" \
    --idempotency-token "$2" --query CertificateAuthorityArn --output text)
  [[ "$arn" == arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/* ]] || fail "unexpected CA ARN $arn"
  wait_ca_status "$arn" PENDING_CERTIFICATE
  echo "$arn"
}

# issue_ca_certificate ISSUER_ARN CSR_FILE TEMPLATE OUT_PREFIX YEARS writes
# OUT_PREFIX.pem and OUT_PREFIX-chain.pem.
issue_ca_certificate() {
  local cert_arn
  cert_arn=$(pca issue-certificate --certificate-authority-arn "$1" --csr "fileb://$2" \
    --signing-algorithm SHA256WITHRSA --template-arn "arn:aws:acm-pca:::template/$3" \
    --validity "Value=$5,Type=YEARS" --query CertificateArn --output text)
  [[ "$cert_arn" == "$1"/certificate/* ]] || fail "unexpected certificate ARN $cert_arn"
  pca wait certificate-issued --certificate-authority-arn "$1" --certificate-arn "$cert_arn"
  pca get-certificate --certificate-authority-arn "$1" --certificate-arn "$cert_arn" \
    --query Certificate --output text >"$4.pem"
  pca get-certificate --certificate-authority-arn "$1" --certificate-arn "$cert_arn" \
    --query CertificateChain --output text >"$4-chain.pem"
}

# check_private_certificate CA_ARN NAME requests a private certificate from
# the CA, waits for ISSUED, exports it and checks it with openssl.
check_private_certificate() {
  local arn status
  arn=$(acm request-certificate --domain-name "$2" --certificate-authority-arn "$1" \
    --query CertificateArn --output text)
  # The certificate_validated waiter never succeeds for private
  # certificates, which have no DomainValidationOptions: poll instead.
  for _ in $(seq 1 150); do
    status=$(acm describe-certificate --certificate-arn "$arn" --query Certificate.Status --output text)
    [[ "$status" == ISSUED || "$status" == FAILED ]] && break
    sleep 0.2
  done
  [[ "$status" == ISSUED ]] || fail "private certificate $arn is $status, want ISSUED"
  type=$(acm describe-certificate --certificate-arn "$arn" --query Certificate.Type --output text)
  [[ "$type" == PRIVATE ]] || fail "certificate type $type, want PRIVATE"

  printf 'export passphrase' >"$work/passphrase"
  acm export-certificate --certificate-arn "$arn" --passphrase "fileb://$work/passphrase" >"$work/export.json"
  python3 - "$work/export.json" "$work" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
open(sys.argv[2] + "/leaf.pem", "w").write(out["Certificate"])
open(sys.argv[2] + "/leaf-chain.pem", "w").write(out["CertificateChain"])
open(sys.argv[2] + "/leaf-key.pem", "w").write(out["PrivateKey"])
PY
  grep -q -- '-----BEGIN ENCRYPTED PRIVATE KEY-----' "$work/leaf-key.pem" || fail "exported key is not encrypted PKCS#8"
  openssl verify -CAfile "$work/leaf-chain.pem" "$work/leaf.pem" || fail "openssl verify of $2 failed"
  openssl pkey -in "$work/leaf-key.pem" -passin "file:$work/passphrase" -pubout >"$work/key-pub.pem" \
    || fail "openssl pkey could not decrypt the key of $2"
  openssl x509 -in "$work/leaf.pem" -noout -pubkey >"$work/cert-pub.pem"
  cmp -s "$work/key-pub.pem" "$work/cert-pub.pem" || fail "exported key of $2 does not match its certificate"

  eligibility=$(acm describe-certificate --certificate-arn "$arn" --query Certificate.RenewalEligibility --output text)
  [[ "$eligibility" == ELIGIBLE ]] || fail "RenewalEligibility $eligibility after export, want ELIGIBLE"
  echo "issued and exported $arn"
}

root=$(create_ca ROOT "Example Root CA")
echo "root CA $root"
pca get-certificate-authority-csr --certificate-authority-arn "$root" --output text >"$work/root.csr"
issue_ca_certificate "$root" "$work/root.csr" RootCACertificate/V1 "$work/root" 10
pca import-certificate-authority-certificate --certificate-authority-arn "$root" \
  --certificate "fileb://$work/root.pem"
wait_ca_status "$root" ACTIVE

sub=$(create_ca SUBORDINATE "Example Issuing CA")
echo "subordinate CA $sub"
pca get-certificate-authority-csr --certificate-authority-arn "$sub" --output text >"$work/sub.csr"
issue_ca_certificate "$root" "$work/sub.csr" SubordinateCACertificate_PathLen0/V1 "$work/sub" 5
pca import-certificate-authority-certificate --certificate-authority-arn "$sub" \
  --certificate "fileb://$work/sub.pem" --certificate-chain "fileb://$work/sub-chain.pem"
wait_ca_status "$sub" ACTIVE
openssl verify -CAfile "$work/root.pem" "$work/sub.pem" || fail "subordinate CA certificate does not verify"

check_private_certificate "$root" root-issued.example.com
check_private_certificate "$sub" sub-issued.example.com

echo "pca_cli.sh: PASS"

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/fxamacker/cbor/v2"
)

// missingCAArn is a well-formed CA ARN that no test creates.
const missingCAArn = "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/00000000-0000-4000-8000-000000000000"

// callPCA sends a signed AWS JSON 1.1 acm-pca request.
func callPCA(t *testing.T, s *server, operation, body string) rawReply {
	t.Helper()
	req := newRawRequest(t, s, "ACMPrivateCA."+operation, body)
	signFor(t, req, []byte(body), "acm-pca")
	return sendRaw(t, req)
}

// callPCACBOR sends a signed Smithy RPC v2 CBOR acm-pca request.
func callPCACBOR(t *testing.T, s *server, operation string, body []byte) rawReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url()+"/service/ACMPrivateCA/operation/"+operation, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	signFor(t, req, body, "acm-pca")
	return sendRaw(t, req)
}

func signFor(t *testing.T, req *http.Request, body []byte, service string) {
	t.Helper()
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCredentials, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatalf("sign request: %v", err)
	}
}

// jsonError reads the __type and message of a JSON error reply.
func jsonError(t *testing.T, reply rawReply) (string, string) {
	t.Helper()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(reply.body, &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", reply.body, err)
	}
	return body.Type, body.Message
}

func TestPCAInputErrors(t *testing.T) {
	s := startServer(t)
	arnOnly := `{"CertificateAuthorityArn":"` + missingCAArn + `"}`

	tests := []struct {
		operation   string
		body        string
		wantCode    string
		wantMessage string
	}{
		{"CreateCertificateAuthority", `{}`, "ValidationException", "Member must not be null"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"x"}}}`,
			"InvalidArgsException", "not compatible"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"ML_DSA_44","SigningAlgorithm":"ML_DSA_44","Subject":{"CommonName":"x"}}}`,
			"InvalidArgsException", "not supported"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":"INTERMEDIATE","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"x"}}}`,
			"ValidationException", "enum value set"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{}}}`,
			"InvalidArgsException", "at least one attribute"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"x"}},"Tags":[{"Key":"aws:x"}]}`,
			"InvalidTagException", "reserved"},
		{"CreateCertificateAuthority", `{"CertificateAuthorityType":5}`, "SerializationException", ""},
		{"DescribeCertificateAuthority", `{}`, "ValidationException", "Member must not be null"},
		{"DescribeCertificateAuthority", arnOnly, "ResourceNotFoundException", missingCAArn},
		{"DescribeCertificateAuthority", `{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/short"}`, "InvalidArnException", ""},
		{"DescribeCertificateAuthority", `{"CertificateAuthorityArn":"arn:aws:acm:us-east-1:0:certificate/x"}`, "ValidationException", "regular expression"},
		{"ListCertificateAuthorities", `{"MaxResults":0}`, "ValidationException", "greater than or equal to 1"},
		{"ListCertificateAuthorities", `{"NextToken":"not-a-token"}`, "InvalidNextTokenException", ""},
		{"GetCertificateAuthorityCsr", arnOnly, "ResourceNotFoundException", ""},
		{"IssueCertificate", `{}`, "ValidationException", "Member must not be null"},
		{"IssueCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","Csr":"bm90IGEgY3Ny","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":1,"Type":"DAYS"}}`,
			"ResourceNotFoundException", ""},
		{"IssueCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","Csr":"%%%","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":1,"Type":"DAYS"}}`,
			"SerializationException", ""},
		{"IssueCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","Csr":"eA==","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":0,"Type":"DAYS"}}`,
			"ValidationException", "validity.value"},
		{"GetCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `"}`, "ValidationException", "certificateArn"},
		{"GetCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","CertificateArn":"` + missingCAArn + `/certificate/00"}`, "ResourceNotFoundException", ""},
		{"ImportCertificateAuthorityCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `"}`, "ValidationException", "certificate"},
		{"ImportCertificateAuthorityCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","Certificate":"eA=="}`, "ResourceNotFoundException", ""},
		{"GetCertificateAuthorityCertificate", arnOnly, "ResourceNotFoundException", ""},
		{"UpdateCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","Status":"NOPE"}`, "ValidationException", "enum value set"},
		{"UpdateCertificateAuthority", arnOnly, "ResourceNotFoundException", ""},
		{"DeleteCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","PermanentDeletionTimeInDays":6}`, "ValidationException", "greater than or equal to 7"},
		{"DeleteCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","PermanentDeletionTimeInDays":31}`, "ValidationException", "less than or equal to 30"},
		{"DeleteCertificateAuthority", arnOnly, "ResourceNotFoundException", ""},
		{"RestoreCertificateAuthority", arnOnly, "ResourceNotFoundException", ""},
		{"RevokeCertificate", arnOnly, "ValidationException", "Member must not be null"},
		{"RevokeCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","CertificateSerial":"0a","RevocationReason":"BAD"}`, "ValidationException", "enum value set"},
		{"RevokeCertificate", `{"CertificateAuthorityArn":"` + missingCAArn + `","CertificateSerial":"0a","RevocationReason":"SUPERSEDED"}`, "ResourceNotFoundException", ""},
		{"TagCertificateAuthority", arnOnly, "ValidationException", "tags"},
		{"TagCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","Tags":[]}`, "ValidationException", "greater than or equal to 1"},
		{"TagCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","Tags":[{"Key":"k"}]}`, "ResourceNotFoundException", ""},
		{"UntagCertificateAuthority", `{"CertificateAuthorityArn":"` + missingCAArn + `","Tags":[{"Key":"k"}]}`, "ResourceNotFoundException", ""},
		{"ListTags", arnOnly, "ResourceNotFoundException", ""},
		{"ListTags", `{"CertificateAuthorityArn":"` + missingCAArn + `","MaxResults":1001}`, "ValidationException", "less than or equal to 1000"},
		{"CreatePermission", `{"CertificateAuthorityArn":"` + missingCAArn + `","Principal":"acm.amazonaws.com","Actions":[]}`, "ValidationException", "actions"},
		{"CreatePermission", `{"CertificateAuthorityArn":"` + missingCAArn + `","Principal":"acm.amazonaws.com","Actions":["IssueCertificate"]}`, "ResourceNotFoundException", ""},
		{"CreatePermission", `{"CertificateAuthorityArn":"` + missingCAArn + `","Principal":"ec2.amazonaws.com","Actions":["IssueCertificate"]}`, "ValidationException", "only principal"},
		{"DeletePermission", `{"CertificateAuthorityArn":"` + missingCAArn + `","Principal":"acm.amazonaws.com"}`, "ResourceNotFoundException", ""},
		{"ListPermissions", arnOnly, "ResourceNotFoundException", ""},
		{"PutPolicy", `{"ResourceArn":"` + missingCAArn + `"}`, "ValidationException", "policy"},
		{"PutPolicy", `{"ResourceArn":"` + missingCAArn + `","Policy":"{}"}`, "ResourceNotFoundException", ""},
		{"GetPolicy", `{"ResourceArn":"` + missingCAArn + `"}`, "ResourceNotFoundException", ""},
		{"DeletePolicy", `{}`, "ValidationException", "resourceArn"},
		{"DeletePolicy", `{"ResourceArn":"` + missingCAArn + `"}`, "ResourceNotFoundException", ""},
		{"CreateCertificateAuthorityAuditReport", `{"CertificateAuthorityArn":"` + missingCAArn + `","S3BucketName":"b","AuditReportResponseFormat":"XML"}`, "ValidationException", "enum value set"},
		{"CreateCertificateAuthorityAuditReport", `{"CertificateAuthorityArn":"` + missingCAArn + `","S3BucketName":"bucket","AuditReportResponseFormat":"JSON"}`, "ResourceNotFoundException", ""},
		{"DescribeCertificateAuthorityAuditReport", arnOnly, "ValidationException", "auditReportId"},
		{"DescribeCertificateAuthorityAuditReport", `{"CertificateAuthorityArn":"` + missingCAArn + `","AuditReportId":"11111111-1111-1111-1111-111111111111"}`, "ResourceNotFoundException", ""},
		{"NoSuchOperation", `{}`, "UnknownOperationException", ""},
	}

	for _, tt := range tests {
		t.Run(tt.operation+" "+tt.wantCode, func(t *testing.T) {
			reply := callPCA(t, s, tt.operation, tt.body)
			if reply.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400; body %s", reply.status, reply.body)
			}
			code, message := jsonError(t, reply)
			if code != tt.wantCode {
				t.Errorf("__type = %s, want %s (message %q)", code, tt.wantCode, message)
			}
			if !strings.Contains(message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", message, tt.wantMessage)
			}
		})
	}
}

func TestPCACBORErrors(t *testing.T) {
	s := startServer(t)

	body, _ := cbor.Marshal(map[string]any{"CertificateAuthorityArn": missingCAArn})
	tests := []struct {
		name      string
		operation string
		body      []byte
		wantCode  string
	}{
		{"not found", "DescribeCertificateAuthority", body, "ResourceNotFoundException"},
		{"missing member", "DescribeCertificateAuthority", nil, "ValidationException"},
		{"malformed body", "DescribeCertificateAuthority", []byte{0xff, 0x00}, "SerializationException"},
		{"not a map", "DescribeCertificateAuthority", []byte{0x01}, "SerializationException"},
		{"unknown operation", "NoSuchOperation", body, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := callPCACBOR(t, s, tt.operation, tt.body)
			if reply.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", reply.status)
			}
			if got := reply.header.Get("Smithy-Protocol"); got != "rpc-v2-cbor" {
				t.Errorf("smithy-protocol header = %q, want rpc-v2-cbor", got)
			}
			var decoded map[string]string
			if err := cbor.Unmarshal(reply.body, &decoded); err != nil {
				t.Fatalf("error body is not CBOR: %v", err)
			}
			if want := "com.amazonaws.acmpca#" + tt.wantCode; decoded["__type"] != want {
				t.Errorf("__type = %q, want %q (message %q)", decoded["__type"], want, decoded["message"])
			}
		})
	}
}

func TestPCAStateErrors(t *testing.T) {
	s := startServer(t)
	client := s.pcaClient("us-east-1")
	ctx := context.Background()
	rootArn := createCA(t, client, caInput(pcatypes.CertificateAuthorityTypeRoot, "State Root", nil))
	_, csr := newCSR(t, "leaf.example.com")

	_, err := client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(1)},
	})
	code, message := apiError(t, err)
	if want := "The certificate authority " + rootArn + " is not in the correct state to have issued certificates."; code != "InvalidStateException" || message != want {
		t.Errorf("IssueCertificate while PENDING_CERTIFICATE: %s %q, want InvalidStateException %q", code, message, want)
	}

	activateRoot(t, client, rootArn)
	_, err = client.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: aws.String(rootArn)})
	if code, _ := apiError(t, err); code != "InvalidStateException" {
		t.Errorf("delete of an ACTIVE CA: %s, want InvalidStateException", code)
	}

	_, err = client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withrsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(1)},
	})
	if code, _ := apiError(t, err); code != "InvalidArgsException" {
		t.Errorf("RSA signing algorithm on an EC CA: %s, want InvalidArgsException", code)
	}
	_, err = client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Csr:                     []byte("not a CSR"),
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeDays, Value: aws.Int64(1)},
	})
	if code, _ := apiError(t, err); code != "MalformedCSRException" {
		t.Errorf("garbage CSR: %s, want MalformedCSRException", code)
	}
	_, err = client.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn),
		Csr:                     csr,
		SigningAlgorithm:        pcatypes.SigningAlgorithmSha256withecdsa,
		Validity:                &pcatypes.Validity{Type: pcatypes.ValidityPeriodTypeYears, Value: aws.Int64(50)},
	})
	if code, _ := apiError(t, err); code != "InvalidArgsException" {
		t.Errorf("validity past the CA's: %s, want InvalidArgsException", code)
	}

	for _, status := range []pcatypes.CertificateAuthorityStatus{pcatypes.CertificateAuthorityStatusDisabled} {
		if _, err := client.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
			CertificateAuthorityArn: aws.String(rootArn), Status: status,
		}); err != nil {
			t.Fatalf("UpdateCertificateAuthority(%s): %v", status, err)
		}
	}
	if _, err := client.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{
		CertificateAuthorityArn: aws.String(rootArn), PermanentDeletionTimeInDays: aws.Int32(7),
	}); err != nil {
		t.Fatalf("DeleteCertificateAuthority: %v", err)
	}
	deleted := waitForCAStatus(t, client, rootArn, pcatypes.CertificateAuthorityStatusDeleted)
	if deleted.RestorableUntil == nil || deleted.RestorableUntil.Sub(time.Now()) < 6*24*time.Hour {
		t.Errorf("RestorableUntil = %v, want about 7 days ahead", deleted.RestorableUntil)
	}
	if _, err := client.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: aws.String(rootArn)}); err != nil {
		t.Fatalf("RestoreCertificateAuthority: %v", err)
	}
	waitForCAStatus(t, client, rootArn, pcatypes.CertificateAuthorityStatusDisabled)
	_, err = client.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: aws.String(rootArn)})
	if code, _ := apiError(t, err); code != "InvalidStateException" {
		t.Errorf("restore of a DISABLED CA: %s, want InvalidStateException", code)
	}
}

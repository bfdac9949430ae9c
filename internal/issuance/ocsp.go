package issuance

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ocspLifetime is the time from thisUpdate to nextUpdate of an OCSP response.
const ocspLifetime = 24 * time.Hour

// OCSPStatus is the revocation state of one serial.
type OCSPStatus struct {
	// Known is false for a serial the CA never issued.
	Known     bool
	Revoked   bool
	RevokedAt time.Time
	// ReasonCode is an RFC 5280 CRLReason value.
	ReasonCode int
}

// OCSPLookup returns the state of a serial the issuer signed.
type OCSPLookup func(serial *big.Int) (OCSPStatus, error)

// RespondOCSP responds to a DER OCSP request about a certificate of issuer,
// signing the response with the issuer's own key (so the response carries no
// responder certificate). It returns a signed "unknown" response for serials
// the lookup does not know, and the unsigned "malformed" or "unauthorized"
// responses for requests that cannot be parsed or name another issuer.
func RespondOCSP(issuer *x509.Certificate, signer crypto.Signer, requestDER []byte, now time.Time, lookup OCSPLookup) ([]byte, error) {
	request, err := ocsp.ParseRequest(requestDER)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	if !issuedBy(request, issuer) {
		return ocsp.UnauthorizedErrorResponse, nil
	}

	state, err := lookup(request.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("look up serial %x: %w", request.SerialNumber, err)
	}

	template := ocsp.Response{
		SerialNumber: request.SerialNumber,
		Status:       ocsp.Good,
		ThisUpdate:   now.UTC().Truncate(time.Second),
		NextUpdate:   now.UTC().Truncate(time.Second).Add(ocspLifetime),
		IssuerHash:   request.HashAlgorithm,
	}
	switch {
	case !state.Known:
		template.Status = ocsp.Unknown
	case state.Revoked:
		template.Status = ocsp.Revoked
		template.RevokedAt = state.RevokedAt.UTC()
		template.RevocationReason = state.ReasonCode
	}

	response, err := ocsp.CreateResponse(issuer, issuer, template, signer)
	if err != nil {
		return nil, fmt.Errorf("sign OCSP response: %w", err)
	}
	return response, nil
}

// issuedBy reports whether the request's issuer name and key hashes are
// those of issuer.
func issuedBy(request *ocsp.Request, issuer *x509.Certificate) bool {
	if !request.HashAlgorithm.Available() {
		return false
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}

	nameHash := request.HashAlgorithm.New()
	nameHash.Write(issuer.RawSubject)
	keyHash := request.HashAlgorithm.New()
	keyHash.Write(spki.PublicKey.RightAlign())
	return bytes.Equal(nameHash.Sum(nil), request.IssuerNameHash) && bytes.Equal(keyHash.Sum(nil), request.IssuerKeyHash)
}

// OCSP responds to an OCSP request about a certificate the intermediate issued.
func (ca *CA) OCSP(requestDER []byte, now time.Time, lookup OCSPLookup) ([]byte, error) {
	return RespondOCSP(ca.Intermediate, ca.intermediateKey, requestDER, now, lookup)
}

// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests.
//
// It owns every step between a raw request and the identity that signed it.
// It parses the Authorization header or the presigned query and checks the
// credential scope and the clock. It then rebuilds the canonical request and
// the string to sign, derives the signing key and compares signatures in
// constant time. Credential lookup and the clock are injected, so the server
// decides where keys live and tests decide what time it is.
//
// Every error a client can see is an *apierr.Error with the exception name
// and message AWS JSON services send for the same fault.
package sigv4

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/openacm/openacm/internal/apierr"
)

// defaultMaxSkew is the clock difference AWS JSON services accept between the
// signed request time and their own clock.
const defaultMaxSkew = 5 * time.Minute

// Credential is an access key pair and the account it belongs to.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	Account         string // 12-digit AWS account id
	// DisplayName is an optional label for logs; it is never checked.
	DisplayName string
	// SessionToken marks a temporary credential: a request must carry it in
	// X-Amz-Security-Token. A credential without one rejects requests that
	// carry a token.
	SessionToken string
	// Expiration ends a temporary credential; zero means it does not expire.
	Expiration time.Time
}

// CredentialSource finds the credential of an access key id.
type CredentialSource interface {
	Lookup(accessKeyID string) (Credential, bool)
}

// Verifier checks SigV4 signatures against the credentials of a CredentialSource.
// A Verifier is safe for concurrent use once its fields are set.
type Verifier struct {
	Credentials CredentialSource
	Now         func() time.Time // nil means time.Now
	MaxSkew     time.Duration    // 0 means 5 minutes
}

// Identity is who signed a request and for what scope.
type Identity struct {
	Credential      Credential
	Region, Service string
}

// Verify checks r's signature. body is the full request body (already read by the caller).
// service is the signing name the endpoint expects ("acm" or "acm-pca").
//
// A request with several faults gets the error of the first failed check.
// The order follows AWS's replies where they are known: form of the
// Authorization data, signed host, date format, clock skew, credential scope,
// access key, and last the signature itself.
func (v *Verifier) Verify(r *http.Request, body []byte, service string) (Identity, error) {
	signed, err := readSignedRequest(r)
	if err != nil {
		return Identity{}, err
	}

	if err := v.checkTime(signed); err != nil {
		return Identity{}, err
	}

	scope, err := parseCredentialScope(signed.credential)
	if err != nil {
		return Identity{}, err
	}
	if err := scope.check(service, signed.time); err != nil {
		return Identity{}, err
	}

	credential, ok := v.Credentials.Lookup(scope.accessKeyID)
	if !ok {
		return Identity{}, invalidToken()
	}
	if err := v.checkSessionToken(r, credential); err != nil {
		return Identity{}, err
	}

	canonical := buildCanonicalRequest(r, signed, body)
	toSign := buildStringToSign(signed.time, scope, canonical)
	key := signingKeys.get(credential.SecretAccessKey, scope)
	if !signatureMatches(key, toSign, signed.signature) {
		return Identity{}, apierr.New(apierr.InvalidSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}

	return Identity{Credential: credential, Region: scope.region, Service: scope.service}, nil
}

// checkSessionToken compares X-Amz-Security-Token, from the header or the
// presigned query, with the credential's session token.
func (v *Verifier) checkSessionToken(r *http.Request, credential Credential) error {
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}

	if credential.SessionToken == "" {
		if token != "" {
			return invalidToken()
		}
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(credential.SessionToken)) != 1 {
		return invalidToken()
	}
	if !credential.Expiration.IsZero() && !v.now().Before(credential.Expiration) {
		return apierr.New(apierr.ExpiredToken, "The security token included in the request is expired")
	}
	return nil
}

func invalidToken() error {
	return apierr.New(apierr.UnrecognizedClient, "The security token included in the request is invalid.")
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew == 0 {
		return defaultMaxSkew
	}
	return v.MaxSkew
}

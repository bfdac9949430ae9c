package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// buildStringToSign joins the algorithm, the request time, the credential
// scope and the hash of the canonical request, one per line.
func buildStringToSign(requestTime time.Time, scope credentialScope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))

	b := make([]byte, 0, len(algorithm)+len(amzDateFormat)+len(scope.date)+len(scope.region)+
		len(scope.service)+len(scope.terminator)+2*sha256.Size+8)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = requestTime.UTC().AppendFormat(b, amzDateFormat)
	b = append(b, '\n')
	b = append(b, scope.date...)
	b = append(b, '/')
	b = append(b, scope.region...)
	b = append(b, '/')
	b = append(b, scope.service...)
	b = append(b, '/')
	b = append(b, scope.terminator...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, sum[:])
	return string(b)
}

// deriveSigningKey chains HMAC-SHA256 over the scope's date, region, service
// and terminator, starting from "AWS4" + secret.
func deriveSigningKey(secret string, scope credentialScope) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), scope.date)
	key = hmacSHA256(key, scope.region)
	key = hmacSHA256(key, scope.service)
	return hmacSHA256(key, scope.terminator)
}

// signatureMatches reports whether signature is the lowercase hex
// HMAC-SHA256 of the string to sign, in time that does not depend on where
// the two differ. It compares the hex in a stack buffer, so it allocates
// no copy of either signature.
func signatureMatches(signingKey []byte, stringToSign, signature string) bool {
	var sum [sha256.Size]byte
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte(stringToSign))
	var expected [2 * sha256.Size]byte
	hex.Encode(expected[:], mac.Sum(sum[:0]))

	if len(signature) != len(expected) {
		return false
	}
	var difference byte
	for i := range expected {
		difference |= expected[i] ^ signature[i]
	}
	return difference == 0
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

// maxCachedSigningKeys bounds the signing key cache. A key is valid for one
// day, region and service, so a server derives few distinct keys per day.
const maxCachedSigningKeys = 1024

// signingKeys is shared by all Verifiers: its entries are keyed by the
// secret itself, so two Verifiers that see the same secret and scope derive
// the same key anyway.
var signingKeys = &signingKeyCache{keys: make(map[signingKeyID][]byte)}

type signingKeyID struct {
	secret, date, region, service, terminator string
}

// signingKeyCache keeps derived signing keys so that each request costs one
// HMAC for the signature instead of five.
type signingKeyCache struct {
	mu   sync.Mutex
	keys map[signingKeyID][]byte
}

func (c *signingKeyCache) get(secret string, scope credentialScope) []byte {
	id := signingKeyID{secret, scope.date, scope.region, scope.service, scope.terminator}

	c.mu.Lock()
	key, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return key
	}

	key = deriveSigningKey(secret, scope)

	c.mu.Lock()
	defer c.mu.Unlock()
	// Dropping everything when full is crude but keeps memory bounded; keys
	// of past days would never be read again anyway.
	if len(c.keys) >= maxCachedSigningKeys {
		clear(c.keys)
	}
	c.keys[id] = key
	return key
}

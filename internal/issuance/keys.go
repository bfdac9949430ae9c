// Package issuance owns the certificate authority that OpenACM issues from.
//
// It creates the RSA root and intermediate certificates, signs leaf
// certificates and CRLs with the intermediate, and describes certificates of
// any origin in the terms the ACM API uses. It works on PEM and DER bytes
// only, so storing the CA material and serving URLs belong to other packages.
package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Key algorithms, spelled as the ACM KeyAlgorithm enum spells them.
const (
	RSA1024 = "RSA_1024"
	RSA2048 = "RSA_2048"
	RSA3072 = "RSA_3072"
	RSA4096 = "RSA_4096"
	ECP256  = "EC_prime256v1"
	ECP384  = "EC_secp384r1"
	ECP521  = "EC_secp521r1"
)

var rsaBitsByAlgorithm = map[string]int{
	RSA1024: 1024,
	RSA2048: 2048,
	RSA3072: 3072,
	RSA4096: 4096,
}

var curveByAlgorithm = map[string]elliptic.Curve{
	ECP256: elliptic.P256(),
	ECP384: elliptic.P384(),
	ECP521: elliptic.P521(),
}

// GenerateKey creates a private key for an ACM key algorithm such as "RSA_2048"
// or "EC_prime256v1".
func GenerateKey(algorithm string) (crypto.Signer, error) {
	if bits, ok := rsaBitsByAlgorithm[algorithm]; ok {
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", algorithm, err)
		}
		return key, nil
	}

	if curve, ok := curveByAlgorithm[algorithm]; ok {
		key, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", algorithm, err)
		}
		return key, nil
	}

	return nil, fmt.Errorf("unsupported key algorithm %q", algorithm)
}

// KnownKeyAlgorithm reports whether GenerateKey accepts algorithm.
func KnownKeyAlgorithm(algorithm string) bool {
	_, rsaKey := rsaBitsByAlgorithm[algorithm]
	_, ecKey := curveByAlgorithm[algorithm]
	return rsaKey || ecKey
}

// MarshalPrivateKey encodes an RSA or ECDSA key as a PKCS #8 "PRIVATE KEY" PEM block.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey decodes the first PEM block of pemBytes as an RSA or ECDSA
// private key. It accepts PKCS #8 ("PRIVATE KEY") as well as the PKCS #1
// ("RSA PRIVATE KEY") and SEC 1 ("EC PRIVATE KEY") forms that imported keys
// often use. Encrypted keys are rejected.
func ParsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}

	if _, encrypted := block.Headers["Proc-Type"]; encrypted {
		return nil, errors.New("parse private key: encrypted PEM keys are not supported")
	}

	switch block.Type {
	case "PRIVATE KEY":
		return parsePKCS8(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA private key: %w", err)
		}
		return key, nil
	case "EC PRIVATE KEY":
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse EC private key: %w", err)
		}
		return key, nil
	default:
		return nil, fmt.Errorf("parse private key: unsupported PEM block type %q", block.Type)
	}
}

func parsePKCS8(der []byte) (crypto.Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS #8 private key: %w", err)
	}

	switch key := parsed.(type) {
	case *rsa.PrivateKey:
		return key, nil
	case *ecdsa.PrivateKey:
		return key, nil
	default:
		return nil, fmt.Errorf("parse PKCS #8 private key: unsupported key type %T", parsed)
	}
}

// KeyAlgorithmOf returns the ACM key algorithm of an RSA or ECDSA public key,
// such as "RSA_2048" or "EC_prime256v1". Other RSA sizes, curves and key
// types have no ACM name and return an error.
func KeyAlgorithmOf(pub crypto.PublicKey) (string, error) {
	switch key := pub.(type) {
	case *rsa.PublicKey:
		bits := key.N.BitLen()
		for algorithm, size := range rsaBitsByAlgorithm {
			if size == bits {
				return algorithm, nil
			}
		}
		return "", fmt.Errorf("unsupported RSA key size %d bits", bits)
	case *ecdsa.PublicKey:
		for algorithm, curve := range curveByAlgorithm {
			if curve == key.Curve {
				return algorithm, nil
			}
		}
		return "", fmt.Errorf("unsupported elliptic curve %s", key.Curve.Params().Name)
	default:
		return "", fmt.Errorf("unsupported public key type %T", pub)
	}
}

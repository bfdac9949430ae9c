package issuance

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
)

// PBES2 parameters of EncryptPrivateKey. OpenSSL 3 writes the same
// algorithms by default with fewer iterations.
const (
	pbkdf2Iterations = 100_000
	pbkdf2SaltBytes  = 16
	aes256KeyBytes   = 32
)

// OIDs of RFC 8018 (PKCS #5 v2.1) and NIST's AES-256-CBC.
var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int
	PRF            algorithmIdentifier
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type encryptedPrivateKeyInfo struct {
	EncryptionAlgorithm algorithmIdentifier
	EncryptedData       []byte
}

// EncryptPrivateKey encrypts a PKCS #8 "PRIVATE KEY" PEM block under
// password and returns an "ENCRYPTED PRIVATE KEY" PEM block: PBES2 with
// PBKDF2-HMAC-SHA256 and AES-256-CBC, which `openssl pkey -passin` reads.
// The password bytes are used as given, without trimming or encoding.
func EncryptPrivateKey(keyPEM, password []byte) ([]byte, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("encrypt private key: input is not a PRIVATE KEY PEM block")
	}

	salt := make([]byte, pbkdf2SaltBytes)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("encrypt private key: read salt: %w", err)
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("encrypt private key: read IV: %w", err)
	}

	key, err := pbkdf2.Key(sha256.New, string(password), salt, pbkdf2Iterations, aes256KeyBytes)
	if err != nil {
		return nil, fmt.Errorf("encrypt private key: derive key: %w", err)
	}
	aesCipher, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encrypt private key: %w", err)
	}
	plaintext := padPKCS7(block.Bytes, aes.BlockSize)
	ciphertext := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(aesCipher, iv).CryptBlocks(ciphertext, plaintext)

	der, err := marshalEncryptedKey(salt, iv, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("encrypt private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}

func marshalEncryptedKey(salt, iv, ciphertext []byte) ([]byte, error) {
	null := asn1.RawValue{Tag: asn1.TagNull}
	kdfParams, err := asn1.Marshal(pbkdf2Params{
		Salt:           salt,
		IterationCount: pbkdf2Iterations,
		KeyLength:      aes256KeyBytes,
		PRF:            algorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: null},
	})
	if err != nil {
		return nil, err
	}
	ivParam, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	schemeParams, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: algorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
		EncryptionScheme:  algorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivParam}},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(encryptedPrivateKeyInfo{
		EncryptionAlgorithm: algorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: schemeParams}},
		EncryptedData:       ciphertext,
	})
}

// padPKCS7 appends RFC 5652 padding up to a multiple of blockSize.
func padPKCS7(data []byte, blockSize int) []byte {
	padding := blockSize - len(data)%blockSize
	out := make([]byte, len(data), len(data)+padding)
	copy(out, data)
	for range padding {
		out = append(out, byte(padding))
	}
	return out
}

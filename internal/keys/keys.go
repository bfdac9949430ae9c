// Package keys seals secrets at rest with envelope encryption.
//
// Each sealed value gets a fresh 256-bit data key. The data key encrypts the
// value with AES-256-GCM, and a master key wraps the data key, again with
// AES-256-GCM. Both encryptions take the record id as additional data, so a
// sealed value copied to another record fails to open. Rotating the master
// key rewraps the data keys and leaves the encrypted values as they are.
//
// The package owns the sealed format and the master key file. It does not
// know where sealed values are stored; the store calls Seal and Open at its
// boundary.
package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length of master keys and data keys in bytes (AES-256).
const KeySize = 32

// magic starts every sealed value, so a value written before sealing
// existed (a PEM key starts with "-----") is told apart from a sealed one.
var magic = []byte("OAK1")

// Layout of a sealed value:
//
//	magic (4) | master key id (8) | wrap nonce (12) | wrapped data key (32 + 16 tag)
//	| data nonce (12) | ciphertext with tag
const (
	idSize         = 8
	nonceSize      = 12
	tagSize        = 16
	wrappedKeySize = KeySize + tagSize
	headerSize     = len("OAK1") + idSize + nonceSize + wrappedKeySize
	minSealedSize  = headerSize + nonceSize + tagSize
)

// Additional-data prefixes keep the two encryptions apart, so a wrapped
// data key can never be opened as data or the other way round.
const (
	wrapContext = "openacm key wrap v1\x00"
	dataContext = "openacm sealed data v1\x00"
)

// Errors callers branch on with errors.Is.
var (
	// ErrUnknownKey means the value was sealed by a master key the keyring lacks.
	ErrUnknownKey = errors.New("sealed by a master key that is not loaded")
	// ErrOpen means the value is corrupt, was moved to another record, or
	// its data key does not match the master key.
	ErrOpen = errors.New("sealed value failed to open")
	// ErrNotSealed means the value lacks the sealed format's header.
	ErrNotSealed = errors.New("value is not sealed")
)

// masterKey is one loaded master key and the id stored with every value it wraps.
type masterKey struct {
	id   [idSize]byte
	aead cipher.AEAD
}

func newMasterKey(raw []byte) (masterKey, error) {
	if len(raw) != KeySize {
		return masterKey{}, fmt.Errorf("master key is %d bytes, want %d", len(raw), KeySize)
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return masterKey{}, err
	}
	return masterKey{id: KeyID(raw), aead: aead}, nil
}

// KeyID returns the identifier stored with values a master key wraps. It
// is a MAC of a fixed label under the key, so it reveals nothing about the key.
func KeyID(raw []byte) [idSize]byte {
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte("openacm master key id"))
	var id [idSize]byte
	copy(id[:], mac.Sum(nil))
	return id
}

// FormatKeyID writes a key id as hex, the form logs and messages show.
func FormatKeyID(id [idSize]byte) string {
	return hex.EncodeToString(id[:])
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create GCM: %w", err)
	}
	return aead, nil
}

// IsSealed reports whether value has the sealed format's header. It does
// not check that the value opens.
func IsSealed(value []byte) bool {
	return len(value) >= minSealedSize && bytes.HasPrefix(value, magic)
}

// SealedKeyID returns the id of the master key that wrapped value.
func SealedKeyID(value []byte) ([idSize]byte, error) {
	var id [idSize]byte
	if !IsSealed(value) {
		return id, ErrNotSealed
	}
	copy(id[:], value[len(magic):])
	return id, nil
}

// seal encrypts plaintext under a new data key wrapped by master.
func seal(master masterKey, recordID string, plaintext []byte) ([]byte, error) {
	dataKey := make([]byte, KeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("generate data key: %w", err)
	}
	defer clear(dataKey)

	out := make([]byte, 0, minSealedSize+len(plaintext))
	out = append(out, magic...)
	out, err := appendWrappedKey(out, master, recordID, dataKey)
	if err != nil {
		return nil, err
	}

	dataAEAD, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate data nonce: %w", err)
	}
	out = append(out, nonce...)
	return dataAEAD.Seal(out, nonce, plaintext, additionalData(dataContext, recordID)), nil
}

// appendWrappedKey appends master's id, a nonce and the wrapped data key.
func appendWrappedKey(out []byte, master masterKey, recordID string, dataKey []byte) ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate wrap nonce: %w", err)
	}
	out = append(out, master.id[:]...)
	out = append(out, nonce...)
	return master.aead.Seal(out, nonce, dataKey, additionalData(wrapContext, recordID)), nil
}

// unwrapKey returns the data key of sealed, which must have been checked with IsSealed.
func unwrapKey(master masterKey, recordID string, sealed []byte) ([]byte, error) {
	nonceStart := len(magic) + idSize
	nonce := sealed[nonceStart : nonceStart+nonceSize]
	wrapped := sealed[nonceStart+nonceSize : headerSize]
	dataKey, err := master.aead.Open(nil, nonce, wrapped, additionalData(wrapContext, recordID))
	if err != nil {
		return nil, ErrOpen
	}
	return dataKey, nil
}

// open decrypts sealed with master, which must be the key whose id it carries.
func open(master masterKey, recordID string, sealed []byte) ([]byte, error) {
	dataKey, err := unwrapKey(master, recordID, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)

	dataAEAD, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plaintext, err := dataAEAD.Open(nil, nonce, sealed[headerSize+nonceSize:], additionalData(dataContext, recordID))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// rewrap returns sealed with its data key wrapped by to instead of from.
// The encrypted data is copied unchanged.
func rewrap(from, to masterKey, recordID string, sealed []byte) ([]byte, error) {
	dataKey, err := unwrapKey(from, recordID, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)

	out := make([]byte, 0, len(sealed))
	out = append(out, magic...)
	out, err = appendWrappedKey(out, to, recordID, dataKey)
	if err != nil {
		return nil, err
	}
	return append(out, sealed[headerSize:]...), nil
}

func additionalData(context, recordID string) []byte {
	return []byte(context + recordID)
}

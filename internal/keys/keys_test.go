package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newTestKeyring(t *testing.T) (*Keyring, []byte) {
	t.Helper()
	raw, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := NewKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	return keyring, raw
}

func TestSealOpenRoundTrip(t *testing.T) {
	keyring, _ := newTestKeyring(t)
	plaintext := []byte("-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n")

	sealed, err := keyring.Seal("certificates.private_key/arn:1", plaintext)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if !IsSealed(sealed) {
		t.Errorf("IsSealed(sealed) = false")
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Errorf("sealed value contains the plaintext")
	}
	opened, err := keyring.Open("certificates.private_key/arn:1", sealed)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(opened, plaintext) {
		t.Errorf("Open = %q, want %q", opened, plaintext)
	}
}

func TestSealUsesFreshDataKeys(t *testing.T) {
	keyring, _ := newTestKeyring(t)
	first, _ := keyring.Seal("id", []byte("same"))
	second, _ := keyring.Seal("id", []byte("same"))
	if bytes.Equal(first[len(magic)+idSize:headerSize], second[len(magic)+idSize:headerSize]) {
		t.Errorf("two seals share a wrapped data key")
	}
}

func TestOpenRejects(t *testing.T) {
	keyring, _ := newTestKeyring(t)
	other, _ := newTestKeyring(t)
	sealed, err := keyring.Seal("record-a", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}

	flipped := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name     string
		keyring  *Keyring
		recordID string
		value    []byte
		want     error
	}{
		{"other record id", keyring, "record-b", sealed, ErrOpen},
		{"other master key", other, "record-a", sealed, ErrUnknownKey},
		{"tampered wrapped key", keyring, "record-a", flipped(len(magic) + idSize + nonceSize + 1), ErrOpen},
		{"tampered ciphertext", keyring, "record-a", flipped(len(sealed) - 1), ErrOpen},
		{"truncated", keyring, "record-a", sealed[:minSealedSize-1], ErrNotSealed},
		{"clear PEM", keyring, "record-a", []byte("-----BEGIN PRIVATE KEY-----"), ErrNotSealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.keyring.Open(tt.recordID, tt.value); !errors.Is(err, tt.want) {
				t.Errorf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRewrapKeepsData(t *testing.T) {
	oldKey, _ := GenerateKey()
	newKey, _ := GenerateKey()
	oldRing, _ := NewKeyring(oldKey)
	rotating, _ := NewKeyring(newKey, oldKey)
	newRing, _ := NewKeyring(newKey)

	sealed, _ := oldRing.Seal("id", []byte("secret"))
	rewrapped, changed, err := rotating.Rewrap("id", sealed)
	if err != nil || !changed {
		t.Fatalf("Rewrap = %v, %v; want changed", changed, err)
	}
	if !bytes.Equal(rewrapped[headerSize:], sealed[headerSize:]) {
		t.Errorf("Rewrap changed the encrypted data")
	}
	if opened, err := newRing.Open("id", rewrapped); err != nil || string(opened) != "secret" {
		t.Errorf("new key Open = %q, %v", opened, err)
	}
	if _, err := oldRing.Open("id", rewrapped); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old key Open error = %v, want ErrUnknownKey", err)
	}
	if _, changed, err := newRing.Rewrap("id", rewrapped); err != nil || changed {
		t.Errorf("Rewrap of a value already under the primary key = %v, %v; want unchanged", changed, err)
	}
}

func TestFileKeyringFollowsRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	created, err := CreateFile(path)
	if err != nil || !created {
		t.Fatalf("CreateFile = %v, %v", created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("master key file mode = %v, want 0600", info.Mode().Perm())
	}
	if again, err := CreateFile(path); err != nil || again {
		t.Errorf("second CreateFile = %v, %v; want false, nil", again, err)
	}

	serving, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := serving.Seal("id", []byte("before"))

	oldKeys, _ := ReadFile(path)
	newKey, _ := GenerateKey()
	if err := WriteFile(path, append([][]byte{newKey}, oldKeys...)); err != nil {
		t.Fatal(err)
	}
	after, err := serving.Seal("id", []byte("after"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := SealedKeyID(after); id != KeyID(newKey) {
		t.Errorf("value sealed after the file changed uses key %x, want the new key", id)
	}

	// A value rewrapped by another process makes the keyring reread the file.
	other, _ := NewKeyring(newKey, oldKeys[0])
	rewrapped, _, _ := other.Rewrap("id", before)
	if err := WriteFile(path, [][]byte{newKey}); err != nil {
		t.Fatal(err)
	}
	if opened, err := serving.Open("id", rewrapped); err != nil || string(opened) != "before" {
		t.Errorf("Open after rotation = %q, %v", opened, err)
	}
}

func TestParseKeysRejects(t *testing.T) {
	for name, text := range map[string]string{
		"empty":      "",
		"comment":    "# only a comment\n",
		"not base64": "!!!\n",
		"short key":  "AAAA\n",
	} {
		if _, err := ParseKeys([]byte(text)); err == nil {
			t.Errorf("ParseKeys(%s) error = nil", name)
		}
	}
}

func FuzzOpen(f *testing.F) {
	keyring, err := NewKeyring(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := keyring.Seal("id", []byte("secret"))
	f.Add("id", sealed)
	f.Add("", []byte("OAK1"))
	f.Add("id", []byte("-----BEGIN PRIVATE KEY-----"))

	f.Fuzz(func(t *testing.T, recordID string, value []byte) {
		opened, err := keyring.Open(recordID, value)
		if err == nil && (recordID != "id" || !bytes.Equal(opened, []byte("secret"))) {
			t.Errorf("Open accepted a value it did not seal: %q for %q", opened, recordID)
		}
	})
}

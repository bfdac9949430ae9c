package keys

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Keyring holds the master keys: the primary key seals, and every key
// opens. A keyring loaded from a file rereads the file when it changes, so
// a running server follows a master key rotation without a restart. It is
// safe for concurrent use.
type Keyring struct {
	path string // "" for a keyring that is not backed by a file

	mu      sync.RWMutex
	keys    []masterKey // keys[0] is the primary key
	modTime time.Time
	size    int64
}

// NewKeyring returns a keyring of raw master keys; the first one is primary.
func NewKeyring(primary []byte, others ...[]byte) (*Keyring, error) {
	loaded, err := loadKeys(append([][]byte{primary}, others...))
	if err != nil {
		return nil, err
	}
	return &Keyring{keys: loaded}, nil
}

// LoadFile returns a keyring backed by a master key file (see ParseKeys).
func LoadFile(path string) (*Keyring, error) {
	k := &Keyring{path: path}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// ParseEnv returns a keyring of the master keys in the text of an
// environment variable, in the format of a master key file with commas
// allowed between keys.
func ParseEnv(text string) (*Keyring, error) {
	raw, err := ParseKeys([]byte(strings.ReplaceAll(text, ",", "\n")))
	if err != nil {
		return nil, err
	}
	loaded, err := loadKeys(raw)
	if err != nil {
		return nil, err
	}
	return &Keyring{keys: loaded}, nil
}

func loadKeys(raw [][]byte) ([]masterKey, error) {
	loaded := make([]masterKey, 0, len(raw))
	for i, key := range raw {
		master, err := newMasterKey(key)
		if err != nil {
			return nil, fmt.Errorf("master key %d: %w", i+1, err)
		}
		loaded = append(loaded, master)
	}
	return loaded, nil
}

// Path returns the master key file, or "" when the keyring has none.
func (k *Keyring) Path() string { return k.path }

// PrimaryID returns the id of the key that seals, in hex.
func (k *Keyring) PrimaryID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return FormatKeyID(k.keys[0].id)
}

// Seal encrypts plaintext for the record named recordID under a new data
// key wrapped by the primary key. It first rereads a changed key file, so
// a value sealed during a rotation uses the new primary key.
func (k *Keyring) Seal(recordID string, plaintext []byte) ([]byte, error) {
	if err := k.refresh(); err != nil {
		return nil, err
	}
	return seal(k.primary(), recordID, plaintext)
}

// Open decrypts a value sealed for recordID. A value wrapped by a key the
// keyring lacks makes a file-backed keyring reread its file once.
func (k *Keyring) Open(recordID string, sealed []byte) ([]byte, error) {
	master, err := k.keyFor(sealed)
	if err != nil {
		return nil, err
	}
	return open(master, recordID, sealed)
}

// Rewrap returns sealed with its data key wrapped by the primary key, and
// whether that changed anything. A value already wrapped by the primary key
// is returned as it is.
func (k *Keyring) Rewrap(recordID string, sealed []byte) ([]byte, bool, error) {
	from, err := k.keyFor(sealed)
	if err != nil {
		return nil, false, err
	}
	// Opening the whole value first keeps a corrupt value from being
	// rewritten as if it were sound.
	if _, err := open(from, recordID, sealed); err != nil {
		return nil, false, err
	}
	primary := k.primary()
	if from.id == primary.id {
		return sealed, false, nil
	}
	rewrapped, err := rewrap(from, primary, recordID, sealed)
	if err != nil {
		return nil, false, err
	}
	return rewrapped, true, nil
}

func (k *Keyring) primary() masterKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[0]
}

// keyFor returns the loaded key whose id sealed carries.
func (k *Keyring) keyFor(sealed []byte) (masterKey, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return masterKey{}, err
	}
	if master, ok := k.find(id); ok {
		return master, nil
	}
	if k.path != "" {
		if err := k.reload(); err != nil {
			return masterKey{}, err
		}
		if master, ok := k.find(id); ok {
			return master, nil
		}
	}
	return masterKey{}, fmt.Errorf("%w: key id %s", ErrUnknownKey, FormatKeyID(id))
}

func (k *Keyring) find(id [idSize]byte) (masterKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, master := range k.keys {
		if master.id == id {
			return master, true
		}
	}
	return masterKey{}, false
}

// refresh rereads the key file when its size or modification time changed.
func (k *Keyring) refresh() error {
	if k.path == "" {
		return nil
	}
	info, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("check master key file: %w", err)
	}
	k.mu.RLock()
	unchanged := info.ModTime().Equal(k.modTime) && info.Size() == k.size
	k.mu.RUnlock()
	if unchanged {
		return nil
	}
	return k.reload()
}

// reload reads the key file. A file that fails to parse leaves the loaded
// keys in place and returns the error.
func (k *Keyring) reload() error {
	info, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("read master key file: %w", err)
	}
	text, err := os.ReadFile(k.path)
	if err != nil {
		return fmt.Errorf("read master key file: %w", err)
	}
	raw, err := ParseKeys(text)
	if err != nil {
		return fmt.Errorf("master key file %s: %w", k.path, err)
	}
	loaded, err := loadKeys(raw)
	if err != nil {
		return fmt.Errorf("master key file %s: %w", k.path, err)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = loaded
	k.modTime = info.ModTime()
	k.size = info.Size()
	return nil
}

// ParseKeys reads master keys in the master key file format: one
// base64-encoded 32-byte key per line, the primary key first. Blank lines
// and lines starting with # are skipped.
func ParseKeys(text []byte) ([][]byte, error) {
	var raw [][]byte
	for number, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("line %d is not base64", number+1)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("line %d holds %d bytes, want a %d-byte key", number+1, len(key), KeySize)
		}
		raw = append(raw, key)
	}
	if len(raw) == 0 {
		return nil, errors.New("no master key found")
	}
	return raw, nil
}

// FormatKeys writes raw keys in the master key file format.
func FormatKeys(raw [][]byte) []byte {
	var b strings.Builder
	b.WriteString("# OpenACM master keys: the first line seals, every line opens.\n")
	for _, key := range raw {
		b.WriteString(base64.StdEncoding.EncodeToString(key))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

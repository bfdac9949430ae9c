package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileMode is the mode of master key files: readable by their owner only.
const fileMode = 0o600

// GenerateKey returns a new random master key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}
	return key, nil
}

// CreateFile writes a new master key file at path unless one exists. It
// reports whether it created the file. Two processes racing to create it
// agree on one file, because the create is exclusive.
func CreateFile(path string) (bool, error) {
	key, err := GenerateKey()
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create master key file: %w", err)
	}
	if _, err := f.Write(FormatKeys([][]byte{key})); err != nil {
		f.Close()
		os.Remove(path)
		return false, fmt.Errorf("write master key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return false, fmt.Errorf("sync master key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("close master key file: %w", err)
	}
	return true, nil
}

// WriteFile replaces the master key file at path with raw keys, the
// primary key first. The new file is written beside the old one and
// renamed over it, so a reader sees the old file or the new one, never a
// mix.
func WriteFile(path string, raw [][]byte) error {
	temp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return fmt.Errorf("create temporary master key file: %w", err)
	}
	tempPath := temp.Name()
	defer os.Remove(tempPath)

	if err := temp.Chmod(fileMode); err != nil {
		temp.Close()
		return fmt.Errorf("restrict temporary master key file: %w", err)
	}
	if _, err := temp.Write(FormatKeys(raw)); err != nil {
		temp.Close()
		return fmt.Errorf("write temporary master key file: %w", err)
	}
	if err := temp.Sync(); err != nil {
		temp.Close()
		return fmt.Errorf("sync temporary master key file: %w", err)
	}
	if err := temp.Close(); err != nil {
		return fmt.Errorf("close temporary master key file: %w", err)
	}
	if err := os.Rename(tempPath, path); err != nil {
		return fmt.Errorf("replace master key file: %w", err)
	}
	return nil
}

// ReadFile returns the raw keys of a master key file, the primary key first.
func ReadFile(path string) ([][]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file: %w", err)
	}
	raw, err := ParseKeys(text)
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return raw, nil
}

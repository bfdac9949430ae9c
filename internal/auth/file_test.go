package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validFile = `{"credentials": [
  {"access_key_id": "AKIAOPENACMEXAMPLE1", "secret_access_key": "s3cr3t-one", "account_id": "111122223333", "display_name": "ci"},
  {"access_key_id": "ASIAOPENACMEXAMPLE2", "secret_access_key": "s3cr3t-two", "account_id": "444455556666",
   "session_token": "token-two", "expiration": "2030-01-01T00:00:00Z"}
]}`

func TestParseFile(t *testing.T) {
	loaded, err := ParseFile([]byte(validFile))
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	first, ok := loaded.Lookup("AKIAOPENACMEXAMPLE1")
	if !ok || first.Account != "111122223333" || first.DisplayName != "ci" || first.SessionToken != "" {
		t.Errorf("first credential = %+v, %v", first, ok)
	}
	second, ok := loaded.Lookup("ASIAOPENACMEXAMPLE2")
	if !ok || second.SessionToken != "token-two" || second.Expiration.Year() != 2030 {
		t.Errorf("temporary credential = %+v, %v", second, ok)
	}
	if _, ok := loaded.Lookup(TestAccessKeyID); ok {
		t.Errorf("a credentials file keeps the built-in test credential")
	}
}

func TestParseFileRejects(t *testing.T) {
	entry := func(fields string) string { return `{"credentials": [{` + fields + `}]}` }
	base := `"access_key_id": "AKIAOPENACMEXAMPLE1", "secret_access_key": "s3cr3t", "account_id": "111122223333"`
	tests := map[string]string{
		"not JSON":          `{`,
		"no credentials":    `{"credentials": []}`,
		"unknown field":     entry(base + `, "role": "admin"`),
		"short access key":  entry(`"access_key_id": "short", "secret_access_key": "s3cr3t", "account_id": "111122223333"`),
		"slash in key":      entry(`"access_key_id": "AKIA/OPENACMEXAMPLE", "secret_access_key": "s3cr3t", "account_id": "111122223333"`),
		"missing secret":    entry(`"access_key_id": "AKIAOPENACMEXAMPLE1", "account_id": "111122223333"`),
		"bad account":       entry(`"access_key_id": "AKIAOPENACMEXAMPLE1", "secret_access_key": "s3cr3t", "account_id": "1234"`),
		"expiry no token":   entry(base + `, "expiration": "2030-01-01T00:00:00Z"`),
		"duplicate key":     `{"credentials": [{` + base + `}, {` + base + `}]}`,
		"trailing document": entry(base) + `{}`,
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFile([]byte(text))
			if err == nil {
				t.Fatalf("ParseFile error = nil")
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestFileReloadKeepsOldOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, []byte(validFile), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(`{"credentials": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := file.Reload(); err == nil {
		t.Errorf("Reload of a broken file error = nil")
	}
	if _, ok := file.Lookup("AKIAOPENACMEXAMPLE1"); !ok {
		t.Errorf("a failed reload dropped the loaded keys")
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(validFile))
	f.Add([]byte(`{"credentials": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, text []byte) {
		loaded, err := ParseFile(text)
		if err == nil && len(loaded) == 0 {
			t.Errorf("ParseFile returned no credentials and no error")
		}
	})
}

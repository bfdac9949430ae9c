package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/openacm/openacm/internal/auth"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/sigv4"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// MasterKeyFile is the name of the master key file a single node creates
// in its data dir when no master key is given.
const MasterKeyFile = "master.key"

// ErrMasterKeyMismatch means the master key cannot open the keys already
// in the store, so the node must not start.
var ErrMasterKeyMismatch = errors.New("the master key cannot open the private keys in the store")

// loadKeyring returns the master keys of cfg: from MasterKeyEnv, from
// --master-key-file, or from the data dir's master.key, which it creates
// (and warns about) when missing.
func loadKeyring(cfg config.Config, logger *slog.Logger) (*keys.Keyring, error) {
	if cfg.MasterKey != "" {
		keyring, err := keys.ParseEnv(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("read master key from %s: %w", config.MasterKeyEnv, err)
		}
		return keyring, nil
	}

	path := cfg.MasterKeyFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, MasterKeyFile)
		created, err := keys.CreateFile(path)
		if err != nil {
			return nil, err
		}
		if created {
			logger.Warn("created a master key in the data dir; anyone who can read the data dir can open the private keys, and nodes sharing a database need --master-key-file",
				"path", path)
		}
	}

	keyring, err := keys.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return keyring, nil
}

// openStore opens the PostgreSQL database that cfg.Store names or, when it
// is empty, the SQLite file in the data dir, with keyring, and checks that
// keyring opens the keys already in it.
func openStore(ctx context.Context, cfg config.Config, keyring *keys.Keyring, logger *slog.Logger) (*sqlstore.Store, error) {
	var (
		st  *sqlstore.Store
		err error
	)
	if cfg.UsesPostgres() {
		st, err = sqlstore.OpenPostgres(ctx, cfg.Store, logger, sqlstore.WithKeyring(keyring))
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", sqlstore.RedactURL(cfg.Store), err)
		}
	} else {
		st, err = sqlstore.OpenSQLite(ctx, filepath.Join(cfg.DataDir, DatabaseFile), logger, sqlstore.WithKeyring(keyring))
		if err != nil {
			return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
		}
	}
	if err := st.CheckSealed(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("%w (primary master key id %s); start every node with the --master-key-file the store was sealed with: %w",
			ErrMasterKeyMismatch, keyring.PrimaryID(), err)
	}
	// CheckSealed opened a bounded sample. Every other value is checked
	// after start, once per database until a key rotation.
	go func() {
		started := time.Now()
		read, err := st.CheckAllSealed(context.WithoutCancel(ctx))
		if err != nil {
			logger.Error("checking every sealed value failed; a node started with a wrong --master-key-file, or the store closed during the check",
				"primary_master_key_id", keyring.PrimaryID(), "read", read, "error", err)
			return
		}
		if read > 0 {
			logger.Info("checked every sealed value", "read", read,
				"duration_ms", time.Since(started).Milliseconds())
		}
	}()
	return st, nil
}

// loadCredentials returns the credentials file of cfg, or nil and the
// built-in test credential when none is given.
func loadCredentials(cfg config.Config) (*auth.File, sigv4.CredentialSource, error) {
	if cfg.CredentialsFile == "" {
		return nil, auth.TestCredentials(), nil
	}
	file, err := auth.LoadFile(cfg.CredentialsFile)
	if err != nil {
		return nil, nil, err
	}
	return file, file, nil
}

// credentialsDescription names the credentials in use, for the start log.
func credentialsDescription(file *auth.File) string {
	if file == nil {
		return "built-in test credential (access key test, account " + auth.TestAccount + ")"
	}
	return fmt.Sprintf("%d access keys from %s", file.Len(), file.Path())
}

// ReloadCredentials rereads the credentials file. On an error the keys
// loaded before stay in use. Without a credentials file it does nothing.
func (a *App) ReloadCredentials() error {
	if a.credentials == nil {
		a.logger.Info("credentials reload skipped: no --credentials-file given")
		return nil
	}
	if err := a.credentials.Reload(); err != nil {
		a.logger.Error("credentials reload failed; keeping the keys loaded before", "path", a.credentials.Path(), "error", err)
		return err
	}
	a.logger.Info("credentials reloaded", "path", a.credentials.Path(), "access_keys", a.credentials.Len())
	return nil
}

// loadRecordKey returns the key of validation record hashes, created on first start.
func loadRecordKey(ctx context.Context, st store.Store) ([]byte, error) {
	key, err := store.InitSecretOnce(ctx, st, recordKeySetting, func() ([]byte, error) {
		candidate := make([]byte, 32)
		if _, err := rand.Read(candidate); err != nil {
			return nil, fmt.Errorf("generate validation record key: %w", err)
		}
		return candidate, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load validation record key: %w", err)
	}
	return key, nil
}

// OpenExistingStore opens the store of an existing data dir for a command
// that reads it, such as `openacm ca`. Unlike serve it creates no master
// key: without masterKeyFile it uses the data dir's master.key, or the
// master keys in masterKeyEnv when that is set.
func OpenExistingStore(ctx context.Context, dataDir, masterKeyFile, masterKeyEnv string) (*sqlstore.Store, error) {
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.MasterKeyFile = masterKeyFile
	cfg.MasterKey = masterKeyEnv
	if cfg.MasterKeyFile == "" && cfg.MasterKey == "" {
		cfg.MasterKeyFile = filepath.Join(dataDir, MasterKeyFile)
		if _, err := os.Stat(cfg.MasterKeyFile); err != nil {
			return nil, fmt.Errorf("no master key at %s: pass the --master-key-file the server uses", cfg.MasterKeyFile)
		}
	}

	keyring, err := loadKeyring(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg, keyring, slog.New(slog.DiscardHandler))
}

package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/keys"
)

// maxRewrapPasses bounds how often a rotation rescans the store for values
// wrapped by an old key that serving nodes wrote while it ran.
const maxRewrapPasses = 10

// RotationResult is what RotateMasterKey did.
type RotationResult struct {
	OldKeyID  string
	NewKeyID  string
	Rewrapped int
	Passes    int
}

// RotateMasterKey replaces the primary master key of cfg's master key file
// with a new one while servers keep serving:
//
//  1. It writes the file with the new key first and the old keys after it.
//     Serving nodes reread a changed file before they seal, and when they
//     meet an unknown key id, so they seal with the new key from here on
//     and still open values wrapped by the old one.
//  2. It rewraps every sealed data key in the database with the new key,
//     repeating the pass until one finds nothing left to rewrap.
//  3. It writes the file with the new key alone.
//
// A rotation that stops early leaves a file that still opens every value,
// and running it again finishes the work.
//
// NOTE: a node that sealed a value with the old key just before step 1,
// and commits it after the last pass of step 2, leaves a value that only
// the old key opens. The repeated passes make the window small, not zero.
func RotateMasterKey(ctx context.Context, cfg config.Config, logger *slog.Logger) (RotationResult, error) {
	if cfg.MasterKey != "" {
		return RotationResult{}, fmt.Errorf("the master key comes from %s: rotate it by moving the keys to a file given with --master-key-file", config.MasterKeyEnv)
	}
	path := cfg.MasterKeyFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, MasterKeyFile)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, DatabaseFile)); err != nil {
		return RotationResult{}, fmt.Errorf("find the database to rotate: %w", err)
	}

	oldKeys, err := keys.ReadFile(path)
	if err != nil {
		return RotationResult{}, err
	}
	newKey, err := keys.GenerateKey()
	if err != nil {
		return RotationResult{}, err
	}
	result := RotationResult{OldKeyID: keys.FormatKeyID(keys.KeyID(oldKeys[0])), NewKeyID: keys.FormatKeyID(keys.KeyID(newKey))}
	logger.Info("master key rotation starting", "path", path, "old_key_id", result.OldKeyID, "new_key_id", result.NewKeyID)

	if err := keys.WriteFile(path, append([][]byte{newKey}, oldKeys...)); err != nil {
		return result, err
	}

	if err := rewrapStore(ctx, cfg, path, logger, &result); err != nil {
		return result, err
	}

	if err := keys.WriteFile(path, [][]byte{newKey}); err != nil {
		return result, err
	}
	logger.Info("master key rotation finished", "path", path, "new_key_id", result.NewKeyID,
		"rewrapped", result.Rewrapped, "passes", result.Passes)
	return result, nil
}

// rewrapStore rewraps the store's sealed values with the primary key of
// the file at path until a pass changes nothing.
func rewrapStore(ctx context.Context, cfg config.Config, path string, logger *slog.Logger, result *RotationResult) error {
	keyring, err := keys.LoadFile(path)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, keyring, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	for result.Passes < maxRewrapPasses {
		changed, err := st.RewrapSealed(ctx)
		result.Passes++
		result.Rewrapped += changed
		if err != nil {
			return fmt.Errorf("rewrap sealed values: %w", err)
		}
		if changed == 0 {
			return nil
		}
	}
	return errors.New("values wrapped by the old master key kept appearing; run the rotation again")
}

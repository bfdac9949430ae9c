package store

import (
	"context"
	"errors"
	"fmt"
)

// InitSecretOnce returns the secret stored under name. When none is stored
// it moves a value that older versions kept in clear under the setting of
// the same name into the secret, or else stores what create returns.
// Concurrent first calls agree on one value, as InitSecret promises.
func InitSecretOnce(ctx context.Context, st Store, name string, create func() ([]byte, error)) ([]byte, error) {
	secret, err := st.GetSecret(ctx, name)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}

	candidate, err := st.GetSetting(ctx, name)
	if errors.Is(err, ErrNotFound) {
		candidate, err = create()
	}
	if err != nil {
		return nil, err
	}

	secret, err = st.InitSecret(ctx, name, candidate)
	if err != nil {
		return nil, err
	}
	if err := st.DeleteSetting(ctx, name); err != nil {
		return nil, fmt.Errorf("remove clear setting %q: %w", name, err)
	}
	return secret, nil
}

package sqlstore

import (
	"context"
	"fmt"
)

// DataVersion returns SQLite's PRAGMA data_version, read on a connection of
// its own. SQLite changes that value for a connection whenever another
// connection commits, so it covers the writer pool and any other process
// that writes the file, such as openacm rotate-master-key. A PostgreSQL
// store returns ok false.
func (s *Store) DataVersion(ctx context.Context) (version int64, ok bool, err error) {
	if s.versionDB == nil {
		return 0, false, nil
	}

	if err := s.versionDB.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return 0, false, fmt.Errorf("read data version of %s: %w", s.name, err)
	}
	return version, true, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// ListTags returns the certificate's tags in the order their keys were
// first added, or store.ErrNotFound when the certificate is not in that
// account and region.
func (s *Store) ListTags(ctx context.Context, account, region, arn string) ([]store.Tag, error) {
	// The outer join returns one row with a NULL key for a certificate
	// without tags and no row for a missing one, so a single statement
	// tells the two apart and reads them from one snapshot.
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT t.tag_key, t.tag_value
		FROM certificates c LEFT JOIN certificate_tags t ON t.arn = c.arn
		WHERE c.arn = ? AND c.account = ? AND c.region = ?
		ORDER BY t.position`),
		arn, account, region)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	defer rows.Close()

	found := false
	tags := []store.Tag{}
	for rows.Next() {
		found = true

		var key, value sql.NullString
		if err := rows.Scan(&key, &value); err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}

		if !key.Valid {
			continue
		}

		tag := store.Tag{Key: key.String}
		if value.Valid {
			tag.Value = &value.String
		}
		tags = append(tags, tag)
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}

	if !found {
		return nil, fmt.Errorf("list tags of %s: %w", arn, store.ErrNotFound)
	}

	return tags, nil
}

// AddTags adds tags by key and overwrites the value of a key already
// present, which keeps its position. When the certificate would end up
// with more than maxTags tags it changes nothing and returns
// store.ErrTooManyTags. When a key repeats within tags, the last value wins.
func (s *Store) AddTags(ctx context.Context, account, region, arn string, tags []store.Tag, maxTags int) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		exists, err := s.certificateExists(ctx, tx, account, region, arn)
		if err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}

		count, err := s.countTagsAfterAdd(ctx, tx, arn, tags)
		if err != nil {
			return err
		}
		if count > maxTags {
			return fmt.Errorf("%w: %d tags, at most %d allowed", store.ErrTooManyTags, count, maxTags)
		}

		return s.upsertTags(ctx, tx, arn, tags)
	})
	if err != nil {
		return fmt.Errorf("add tags to %s: %w", arn, err)
	}

	return nil
}

// countTagsAfterAdd returns how many tags the certificate would have after
// adding tags.
func (s *Store) countTagsAfterAdd(ctx context.Context, tx *sql.Tx, arn string, tags []store.Tag) (int, error) {
	rows, err := tx.QueryContext(ctx, s.dialect.bind(`SELECT tag_key FROM certificate_tags WHERE arn = ?`), arn)
	if err != nil {
		return 0, fmt.Errorf("read tags: %w", err)
	}
	defer rows.Close()

	keys := make(map[string]bool)
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return 0, fmt.Errorf("read tags: %w", err)
		}
		keys[key] = true
	}

	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read tags: %w", err)
	}

	for _, tag := range tags {
		keys[tag.Key] = true
	}

	return len(keys), nil
}

// upsertTags writes tags in order. A new key goes after every existing
// one, and an existing key keeps its position and takes the new value.
func (s *Store) upsertTags(ctx context.Context, tx *sql.Tx, arn string, tags []store.Tag) error {
	if len(tags) == 0 {
		return nil
	}

	var lastPosition int64
	err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT COALESCE(MAX(position), -1) FROM certificate_tags WHERE arn = ?`),
		arn).Scan(&lastPosition)
	if err != nil {
		return fmt.Errorf("read tag positions: %w", err)
	}

	for i, tag := range tags {
		_, err := s.exec(ctx, tx, `INSERT INTO certificate_tags (arn, tag_key, tag_value, position)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
			arn, tag.Key, nullableString(tag.Value), lastPosition+1+int64(i))
		if err != nil {
			return fmt.Errorf("write tag %q: %w", tag.Key, err)
		}
	}

	return nil
}

// RemoveTags removes each tag whose key matches a given tag. A given tag
// with a nil Value removes the key whatever its value. One with a Value
// removes the key only when the stored value equals it, and a stored tag
// without a value counts as the empty string here. Keys that match nothing
// are ignored.
func (s *Store) RemoveTags(ctx context.Context, account, region, arn string, tags []store.Tag) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		exists, err := s.certificateExists(ctx, tx, account, region, arn)
		if err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}

		for _, tag := range tags {
			if err := s.removeTag(ctx, tx, arn, tag); err != nil {
				return err
			}
		}

		return nil
	})
	if err != nil {
		return fmt.Errorf("remove tags from %s: %w", arn, err)
	}

	return nil
}

func (s *Store) removeTag(ctx context.Context, tx *sql.Tx, arn string, tag store.Tag) error {
	var err error
	if tag.Value == nil {
		_, err = s.exec(ctx, tx, `DELETE FROM certificate_tags WHERE arn = ? AND tag_key = ?`, arn, tag.Key)
	} else {
		_, err = s.exec(ctx, tx, `DELETE FROM certificate_tags
			WHERE arn = ? AND tag_key = ? AND COALESCE(tag_value, '') = ?`,
			arn, tag.Key, *tag.Value)
	}

	if err != nil {
		return fmt.Errorf("remove tag %q: %w", tag.Key, err)
	}

	return nil
}

// nullableString returns nil for a nil pointer, so the column stores NULL.
func nullableString(value *string) any {
	if value == nil {
		return nil
	}

	return *value
}

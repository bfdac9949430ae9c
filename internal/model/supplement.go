package model

import (
	"encoding/json"
	"fmt"
	"slices"
)

// supplementFile is a hand-written model of operations and members that a
// newer SDK has and the botocore model lacks. Its sources member records
// where each entry came from, for readers; the loader ignores it.
type supplementFile struct {
	Sources    map[string]string     `json:"sources"`
	Operations map[string]string     `json:"operations"`
	Shapes     map[string]shapeEntry `json:"shapes"`
}

// mergeSupplement adds the supplement's operations and shapes to file. A
// shape that file already has keeps its type and constraints and gains the
// supplement's members, required names and enum values, so the botocore
// model stays the authority on everything it knows.
func mergeSupplement(file *modelFile, data []byte) error {
	var extra supplementFile
	if err := json.Unmarshal(data, &extra); err != nil {
		return fmt.Errorf("decode model supplement: %w", err)
	}

	for op, input := range extra.Operations {
		if _, ok := file.Operations[op]; ok {
			return fmt.Errorf("model supplement: operation %s is already in the model", op)
		}
		file.Operations[op] = input
	}

	for name, entry := range extra.Shapes {
		base, ok := file.Shapes[name]
		if !ok {
			file.Shapes[name] = entry
			continue
		}

		merged, err := extendShape(name, base, entry)
		if err != nil {
			return err
		}
		file.Shapes[name] = merged
	}
	return nil
}

// extendShape appends the members, required names and enum values of extra
// to base. A member or enum value that base already has is a mistake in the
// supplement, because it would mean the botocore model caught up.
func extendShape(name string, base, extra shapeEntry) (shapeEntry, error) {
	if extra.Type != base.Type {
		return base, fmt.Errorf("model supplement: shape %s is a %s in the model, not a %s", name, base.Type, extra.Type)
	}

	for _, m := range extra.Members {
		if slices.ContainsFunc(base.Members, func(b memberEntry) bool { return b.Name == m.Name }) {
			return base, fmt.Errorf("model supplement: shape %s already has member %s", name, m.Name)
		}
	}
	for _, value := range extra.Enum {
		if slices.Contains(base.Enum, value) {
			return base, fmt.Errorf("model supplement: shape %s already has enum value %s", name, value)
		}
	}

	base.Members = append(slices.Clone(base.Members), extra.Members...)
	base.Required = append(slices.Clone(base.Required), extra.Required...)
	base.Enum = append(slices.Clone(base.Enum), extra.Enum...)
	return base, nil
}

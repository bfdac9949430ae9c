package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// botocoreModel is the part of a botocore service-2.json that gen reads.
type botocoreModel struct {
	Operations map[string]struct {
		Input *struct {
			Shape string `json:"shape"`
		} `json:"input"`
	} `json:"operations"`
	Shapes map[string]botocoreShape `json:"shapes"`
}

type botocoreShape struct {
	Type     string         `json:"type"`
	Required []string       `json:"required"`
	Members  orderedMembers `json:"members"`
	Member   *shapeRef      `json:"member"`
	Key      *shapeRef      `json:"key"`
	Value    *shapeRef      `json:"value"`
	Min      *json.Number   `json:"min"`
	Max      *json.Number   `json:"max"`
	Pattern  string         `json:"pattern"`
	Enum     []string       `json:"enum"`
}

type shapeRef struct {
	Shape string `json:"shape"`
}

// orderedMembers keeps structure members in the order the model lists them,
// which a Go map would lose. Validation messages follow that order.
type orderedMembers []trimmedMember

func (om *orderedMembers) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("read members: %w", err)
	}

	for dec.More() {
		nameToken, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read member name: %w", err)
		}
		name, _ := nameToken.(string)

		var ref shapeRef
		if err := dec.Decode(&ref); err != nil {
			return fmt.Errorf("read member %s: %w", name, err)
		}
		*om = append(*om, trimmedMember{Name: name, Shape: ref.Shape})
	}
	return nil
}

// trimmedModel is the file format that package model embeds.
type trimmedModel struct {
	Operations map[string]string        `json:"operations"`
	Shapes     map[string]*trimmedShape `json:"shapes"`
}

type trimmedShape struct {
	Type     string          `json:"type"`
	Required []string        `json:"required,omitempty"`
	Members  []trimmedMember `json:"members,omitempty"`
	Member   string          `json:"member,omitempty"`
	Key      string          `json:"key,omitempty"`
	Value    string          `json:"value,omitempty"`
	Min      *json.Number    `json:"min,omitempty"`
	Max      *json.Number    `json:"max,omitempty"`
	Pattern  string          `json:"pattern,omitempty"`
	Enum     []string        `json:"enum,omitempty"`
}

type trimmedMember struct {
	Name  string `json:"name"`
	Shape string `json:"shape"`
}

// knownTypes lists the shape types package model can check. An unknown type
// stops generation, so a new botocore release cannot slip past the checker.
var knownTypes = map[string]bool{
	"structure": true, "list": true, "map": true, "string": true,
	"integer": true, "long": true, "boolean": true, "timestamp": true,
	"blob": true, "float": true, "double": true,
}

// trim keeps every operation and the shapes reachable from operation inputs.
// An operation without input maps to the empty shape name.
func trim(m *botocoreModel) (*trimmedModel, error) {
	out := &trimmedModel{Operations: map[string]string{}, Shapes: map[string]*trimmedShape{}}

	names := make([]string, 0, len(m.Operations))
	for name := range m.Operations {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		op := m.Operations[name]
		input := ""
		if op.Input != nil {
			input = op.Input.Shape
			if err := addShape(m, out, input); err != nil {
				return nil, fmt.Errorf("operation %s: %w", name, err)
			}
		}
		out.Operations[name] = input
	}
	return out, nil
}

// addShape copies shape name and everything it refers to into out.
func addShape(m *botocoreModel, out *trimmedModel, name string) error {
	if _, done := out.Shapes[name]; done {
		return nil
	}
	src, ok := m.Shapes[name]
	if !ok {
		return fmt.Errorf("shape %s is not in the model", name)
	}
	if !knownTypes[src.Type] {
		return fmt.Errorf("shape %s has unsupported type %q", name, src.Type)
	}

	dst := &trimmedShape{
		Type:     src.Type,
		Required: src.Required,
		Members:  src.Members,
		Min:      src.Min,
		Max:      src.Max,
		Pattern:  src.Pattern,
		Enum:     src.Enum,
	}
	// Register before recursing so recursive shapes terminate.
	out.Shapes[name] = dst

	var refs []string
	for _, member := range src.Members {
		refs = append(refs, member.Shape)
	}
	for _, ref := range []struct {
		from *shapeRef
		to   *string
	}{{src.Member, &dst.Member}, {src.Key, &dst.Key}, {src.Value, &dst.Value}} {
		if ref.from != nil {
			*ref.to = ref.from.Shape
			refs = append(refs, ref.from.Shape)
		}
	}

	for _, ref := range refs {
		if err := addShape(m, out, ref); err != nil {
			return fmt.Errorf("shape %s: %w", name, err)
		}
	}
	return nil
}

// Package model owns the input contract of the ACM and acm-pca JSON 1.1 APIs.
//
// The contract comes from the botocore service models, trimmed by ./gen into
// acm.json and acmpca.json and embedded here, so the server builds without
// botocore. CheckInput rejects a request body the way the AWS front end does:
// SerializationException when the JSON does not fit the shapes, and
// ValidationException listing every failed constraint.
package model

//go:generate go run ./gen -out .

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

var (
	//go:embed acm.json
	acmModel []byte

	//go:embed acm_supplement.json
	acmSupplement []byte

	//go:embed acmpca.json
	acmPCAModel []byte
)

// Service is the input contract of one AWS service.
type Service struct {
	// inputs maps an operation name to its input shape. Operations that the
	// model declares without input get an empty structure.
	inputs map[string]*shape
}

// The embedded models are fixed at build time and TestModelsLoad loads both,
// so a load failure is a build defect and panics rather than reaching callers.
var (
	loadACM    = sync.OnceValue(func() *Service { return mustLoad("acm.json", acmModel, acmSupplement) })
	loadACMPCA = sync.OnceValue(func() *Service { return mustLoad("acmpca.json", acmPCAModel, nil) })
)

// ACM returns the contract of AWS Certificate Manager (API version 2015-12-08).
func ACM() *Service { return loadACM() }

// ACMPCA returns the contract of AWS Private CA (API version 2017-08-22).
func ACMPCA() *Service { return loadACMPCA() }

// HasOperation reports whether op is an operation of the service.
func (s *Service) HasOperation(op string) bool {
	_, ok := s.inputs[op]
	return ok
}

// shapeKind is a botocore shape type.
type shapeKind int

const (
	kindStructure shapeKind = iota
	kindList
	kindMap
	kindString
	kindInteger
	kindLong
	kindFloat
	kindDouble
	kindBoolean
	kindTimestamp
	kindBlob
)

var kindByType = map[string]shapeKind{
	"structure": kindStructure, "list": kindList, "map": kindMap,
	"string": kindString, "integer": kindInteger, "long": kindLong,
	"float": kindFloat, "double": kindDouble, "boolean": kindBoolean,
	"timestamp": kindTimestamp, "blob": kindBlob,
}

// shape is one linked, ready-to-check shape of a service.
type shape struct {
	name string
	kind shapeKind

	members []member // structure members in model order
	element *shape   // list member
	key     *shape   // map key
	value   *shape   // map value

	hasMin, hasMax bool
	min, max       int64
	pattern        *regexp.Regexp
	enum           map[string]struct{}

	// Clause texts are built once at load because every failed check needs them.
	maxClause, minClause, patternClause, enumClause string
	// constraintClauses lists every clause of the shape in message order, for
	// the single clause that reports bad elements of a list or map.
	constraintClauses string
}

type member struct {
	name     string // name in the JSON body
	pathName string // name in validation messages
	required bool
	shape    *shape
}

// Trimmed model format, written by ./gen.
type modelFile struct {
	Operations map[string]string     `json:"operations"`
	Shapes     map[string]shapeEntry `json:"shapes"`
}

type shapeEntry struct {
	Type     string        `json:"type"`
	Required []string      `json:"required"`
	Members  []memberEntry `json:"members"`
	Member   string        `json:"member"`
	Key      string        `json:"key"`
	Value    string        `json:"value"`
	Min      *json.Number  `json:"min"`
	Max      *json.Number  `json:"max"`
	Pattern  string        `json:"pattern"`
	Enum     []string      `json:"enum"`
}

type memberEntry struct {
	Name  string `json:"name"`
	Shape string `json:"shape"`
}

func mustLoad(name string, data, supplement []byte) *Service {
	s, err := load(data, supplement)
	if err != nil {
		panic(fmt.Sprintf("model: load embedded %s: %v", name, err))
	}
	return s
}

// load decodes a trimmed model, merges the supplement into it when one is
// given, links its shapes and compiles its patterns.
func load(data, supplement []byte) (*Service, error) {
	var file modelFile
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}

	if supplement != nil {
		if err := mergeSupplement(&file, supplement); err != nil {
			return nil, err
		}
	}

	shapes := make(map[string]*shape, len(file.Shapes))
	for name, entry := range file.Shapes {
		s, err := newShape(name, entry)
		if err != nil {
			return nil, err
		}
		shapes[name] = s
	}

	for name, entry := range file.Shapes {
		if err := link(shapes[name], entry, shapes); err != nil {
			return nil, err
		}
	}

	service := &Service{inputs: make(map[string]*shape, len(file.Operations))}
	for op, input := range file.Operations {
		if input == "" {
			service.inputs[op] = &shape{name: op + "Input", kind: kindStructure}
			continue
		}
		s, ok := shapes[input]
		if !ok {
			return nil, fmt.Errorf("operation %s: input shape %s is missing", op, input)
		}
		service.inputs[op] = s
	}
	return service, nil
}

// newShape builds a shape and its constraints, without links to other shapes.
func newShape(name string, entry shapeEntry) (*shape, error) {
	kind, ok := kindByType[entry.Type]
	if !ok {
		return nil, fmt.Errorf("shape %s: unsupported type %q", name, entry.Type)
	}
	s := &shape{name: name, kind: kind}

	if err := setBounds(s, entry); err != nil {
		return nil, fmt.Errorf("shape %s: %w", name, err)
	}

	if entry.Pattern != "" {
		re, err := compilePattern(entry.Pattern)
		if err != nil {
			return nil, fmt.Errorf("shape %s: %w", name, err)
		}
		s.pattern = re
		s.patternClause = "Member must satisfy regular expression pattern: " + entry.Pattern
	}

	if len(entry.Enum) > 0 {
		s.enum = make(map[string]struct{}, len(entry.Enum))
		for _, value := range entry.Enum {
			s.enum[value] = struct{}{}
		}
		s.enumClause = "Member must satisfy enum value set: [" + strings.Join(entry.Enum, ", ") + "]"
	}

	s.constraintClauses = joinClauses(s.maxClause, s.minClause, s.patternClause, s.enumClause)
	return s, nil
}

// setBounds reads min and max. They bound the value of numbers and the
// length of strings, blobs, lists and maps.
func setBounds(s *shape, entry shapeEntry) error {
	measure := "length"
	if s.kind == kindInteger || s.kind == kindLong || s.kind == kindFloat || s.kind == kindDouble {
		measure = "value"
	}

	if entry.Max != nil {
		n, err := strconv.ParseInt(entry.Max.String(), 10, 64)
		if err != nil {
			return fmt.Errorf("parse max: %w", err)
		}
		s.hasMax, s.max = true, n
		s.maxClause = "Member must have " + measure + " less than or equal to " + strconv.FormatInt(n, 10)
	}

	if entry.Min != nil {
		n, err := strconv.ParseInt(entry.Min.String(), 10, 64)
		if err != nil {
			return fmt.Errorf("parse min: %w", err)
		}
		s.hasMin, s.min = true, n
		s.minClause = "Member must have " + measure + " greater than or equal to " + strconv.FormatInt(n, 10)
	}
	return nil
}

func joinClauses(clauses ...string) string {
	var present []string
	for _, clause := range clauses {
		if clause != "" {
			present = append(present, clause)
		}
	}
	return strings.Join(present, ", ")
}

// link resolves the shape names of members, list elements and map entries.
func link(s *shape, entry shapeEntry, shapes map[string]*shape) error {
	resolve := func(ref string) (*shape, error) {
		target, ok := shapes[ref]
		if !ok {
			return nil, fmt.Errorf("shape %s refers to missing shape %s", s.name, ref)
		}
		return target, nil
	}

	required := make(map[string]bool, len(entry.Required))
	for _, name := range entry.Required {
		required[name] = true
	}

	for _, m := range entry.Members {
		target, err := resolve(m.Shape)
		if err != nil {
			return err
		}
		s.members = append(s.members, member{
			name:     m.Name,
			pathName: lowerFirst(m.Name),
			required: required[m.Name],
			shape:    target,
		})
	}

	var err error
	for _, ref := range []struct {
		name   string
		target **shape
	}{{entry.Member, &s.element}, {entry.Key, &s.key}, {entry.Value, &s.value}} {
		if ref.name == "" {
			continue
		}
		if *ref.target, err = resolve(ref.name); err != nil {
			return err
		}
	}
	return nil
}

// lowerFirst turns a member name into the path segment of validation
// messages: the first letter lower-cased, the rest unchanged.
func lowerFirst(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[size:]
}

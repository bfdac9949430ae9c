package model

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openacm/openacm/internal/apierr"
)

// CheckInput checks a request body for operation op. An empty body counts as {}.
// It returns nil, or an *apierr.Error: SerializationException when the body is not a
// JSON object or a member has the wrong JSON type; ValidationException when constraints fail.
//
// A JSON null member counts as absent and unknown members are ignored. Type
// errors win over constraint failures, because AWS deserializes the whole
// body before it validates. An operation the service lacks gets
// UnknownOperationException.
func (s *Service) CheckInput(op string, body []byte) error {
	input, ok := s.inputs[op]
	if !ok {
		return apierr.New(apierr.UnknownOperation, "Operation %s is not supported by this service.", op)
	}

	doc, err := decodeBody(body)
	if err != nil {
		return err
	}

	var c inputCheck
	if err := c.check(input, doc); err != nil {
		return err
	}
	return c.result()
}

// decodeBody parses the body once, keeping numbers as json.Number so that
// integer checks see the exact digits. An empty body, or JSON null, becomes {}.
func decodeBody(body []byte) (any, *apierr.Error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return map[string]any{}, nil
	}

	if !withinDepth(body) {
		return nil, apierr.New(apierr.Serialization, msgTooDeep)
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, apierr.New(apierr.Serialization, msgMalformedJSON)
	}
	if dec.InputOffset() != int64(len(body)) {
		return nil, apierr.New(apierr.Serialization, msgTrailingData)
	}
	return doc, nil
}

// withinDepth reports whether objects and arrays nest at most maxDepth deep.
// It runs before decoding so a deep body is rejected without building it.
// It counts brackets outside strings and does not validate the JSON.
func withinDepth(body []byte) bool {
	depth := 0
	inString, escaped := false, false

	for _, c := range body {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}

		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// inputCheck collects the validation clauses of one request.
type inputCheck struct {
	clauses []string
	// path is the member path of the value under check. It becomes a string
	// only when a check fails, so valid requests never format paths.
	path []pathStep
}

// pathStep is one step of a member path.
type pathStep struct {
	name  string // member name, or the key of a map entry
	index int    // 1-based list index, or 0 when the step is not a list element
	entry bool   // name is a map key
}

func (c *inputCheck) push(step pathStep) {
	c.path = append(c.path, step)
}

func (c *inputCheck) pop() {
	c.path = c.path[:len(c.path)-1]
}

// pathString formats the path as AWS prints it, for example
// "domainValidationOptions.1.member.validationDomain".
func (c *inputCheck) pathString() string {
	var b strings.Builder
	for i, step := range c.path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch {
		case step.index > 0:
			b.WriteString(strconv.Itoa(step.index))
			b.WriteString(".member")
		case step.entry:
			b.WriteString(step.name)
			b.WriteString(".member")
		default:
			b.WriteString(step.name)
		}
	}
	return b.String()
}

func (c *inputCheck) add(clause string) {
	c.clauses = append(c.clauses, "Value of the input at '"+c.pathString()+"' failed to satisfy constraint: "+clause)
}

func (c *inputCheck) result() error {
	switch len(c.clauses) {
	case 0:
		return nil
	case 1:
		return apierr.New(apierr.Validation, "1 validation error detected: %s", c.clauses[0])
	}
	return apierr.New(apierr.Validation, "%d validation errors detected: %s", len(c.clauses), strings.Join(c.clauses, "; "))
}

// check checks value v, which is not JSON null, against shape s at c.path.
func (c *inputCheck) check(s *shape, v any) *apierr.Error {
	switch s.kind {
	case kindStructure:
		return c.checkStructure(s, v)
	case kindList:
		return c.checkList(s, v)
	case kindMap:
		return c.checkMap(s, v)
	}

	failed, err := checkScalar(s, v)
	if err != nil {
		return err
	}
	for _, clause := range s.clauses(failed) {
		c.add(clause)
	}
	return nil
}

// checkStructure checks members in model order.
//
// NOTE: union structures (SearchCertificates filters) are checked like plain
// structures, so a union with several members set passes. The generator drops
// the union flag, and AWS's message for that case is unknown.
func (c *inputCheck) checkStructure(s *shape, v any) *apierr.Error {
	object, ok := v.(map[string]any)
	if !ok {
		return typeMismatch(v, s.kind)
	}

	for i := range s.members {
		m := &s.members[i]
		value := object[m.name]
		if value == nil && !m.required {
			continue
		}

		c.push(pathStep{name: m.pathName})
		var err *apierr.Error
		if value == nil {
			c.add(clauseNotNull)
		} else {
			err = c.check(m.shape, value)
		}
		c.pop()

		if err != nil {
			return err
		}
	}
	return nil
}

// checkList reports the list's own length first, then its elements. Bad
// scalar elements share one clause that lists every constraint of the
// element shape. JSON null elements are skipped.
func (c *inputCheck) checkList(s *shape, v any) *apierr.Error {
	elements, ok := v.([]any)
	if !ok {
		return typeMismatch(v, s.kind)
	}

	for _, clause := range s.clauses(s.lengthFailures(int64(len(elements)))) {
		c.add(clause)
	}

	if s.element.isContainer() {
		for i, element := range elements {
			if element == nil {
				continue
			}
			c.push(pathStep{index: i + 1})
			err := c.check(s.element, element)
			c.pop()
			if err != nil {
				return err
			}
		}
		return nil
	}

	anyFailed := false
	for _, element := range elements {
		if element == nil {
			continue
		}
		failed, err := checkScalar(s.element, element)
		if err != nil {
			return err
		}
		anyFailed = anyFailed || failed != 0
	}
	if anyFailed {
		c.add(clauseElementsPrefix + s.element.constraintClauses + "]")
	}
	return nil
}

// checkMap reports the map's own length, then entries in key order: values
// that are structures, lists or maps at "<key>.member", and one clause each
// for bad keys and bad scalar values.
func (c *inputCheck) checkMap(s *shape, v any) *apierr.Error {
	object, ok := v.(map[string]any)
	if !ok {
		return typeMismatch(v, s.kind)
	}

	for _, clause := range s.clauses(s.lengthFailures(int64(len(object)))) {
		c.add(clause)
	}

	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	slices.Sort(keys)

	keysFailed, valuesFailed := false, false
	for _, key := range keys {
		failed, err := checkScalar(s.key, key)
		if err != nil {
			return err
		}
		keysFailed = keysFailed || failed != 0

		value := object[key]
		if value == nil {
			continue
		}
		if s.value.isContainer() {
			c.push(pathStep{name: key, entry: true})
			err := c.check(s.value, value)
			c.pop()
			if err != nil {
				return err
			}
			continue
		}
		failed, err = checkScalar(s.value, value)
		if err != nil {
			return err
		}
		valuesFailed = valuesFailed || failed != 0
	}

	if keysFailed {
		c.add(clauseMapKeysPrefix + s.key.constraintClauses + "]")
	}
	if valuesFailed {
		c.add(clauseMapValuesPrefix + s.value.constraintClauses + "]")
	}
	return nil
}

func (s *shape) isContainer() bool {
	return s.kind == kindStructure || s.kind == kindList || s.kind == kindMap
}

// constraintFailures is a set of failed constraints of one value.
type constraintFailures uint8

const (
	failedMax constraintFailures = 1 << iota
	failedMin
	failedPattern
	failedEnum
)

// clauses returns the clause of each failed constraint in message order.
func (s *shape) clauses(failed constraintFailures) []string {
	if failed == 0 {
		return nil
	}

	var out []string
	for _, candidate := range []struct {
		flag   constraintFailures
		clause string
	}{{failedMax, s.maxClause}, {failedMin, s.minClause}, {failedPattern, s.patternClause}, {failedEnum, s.enumClause}} {
		if failed&candidate.flag != 0 {
			out = append(out, candidate.clause)
		}
	}
	return out
}

// lengthFailures checks a length, or an integer value, against min and max.
func (s *shape) lengthFailures(n int64) constraintFailures {
	var failed constraintFailures
	if s.hasMax && n > s.max {
		failed |= failedMax
	}
	if s.hasMin && n < s.min {
		failed |= failedMin
	}
	return failed
}

// checkScalar checks the JSON type of v against a scalar shape and returns
// the constraints it fails.
func checkScalar(s *shape, v any) (constraintFailures, *apierr.Error) {
	switch s.kind {
	case kindString:
		text, ok := v.(string)
		if !ok {
			return 0, typeMismatch(v, s.kind)
		}
		return s.stringFailures(text), nil

	case kindInteger, kindLong:
		number, ok := v.(json.Number)
		if !ok {
			return 0, typeMismatch(v, s.kind)
		}
		n, err := parseInteger(number, s.kind)
		if err != nil {
			return 0, err
		}
		return s.lengthFailures(n), nil

	case kindFloat, kindDouble:
		return checkFloat(s, v)

	case kindBoolean:
		if _, ok := v.(bool); !ok {
			return 0, typeMismatch(v, s.kind)
		}
		return 0, nil

	case kindTimestamp:
		return 0, checkTimestamp(v)

	case kindBlob:
		return checkBlob(s, v)
	}
	return 0, apierr.Internal()
}

func (s *shape) stringFailures(text string) constraintFailures {
	var failed constraintFailures
	if s.hasMin || s.hasMax {
		failed = s.lengthFailures(int64(utf8.RuneCountInString(text)))
	}
	if s.pattern != nil && !s.pattern.MatchString(text) {
		failed |= failedPattern
	}
	if s.enum != nil {
		if _, ok := s.enum[text]; !ok {
			failed |= failedEnum
		}
	}
	return failed
}

// parseInteger accepts any JSON number with an integral value that fits the
// Java type: 32 bits for integer, 64 for long. "1.0" and "1e3" are integral.
func parseInteger(number json.Number, kind shapeKind) (int64, *apierr.Error) {
	bits := 64
	if kind == kindInteger {
		bits = 32
	}

	n, err := strconv.ParseInt(string(number), 10, bits)
	if err == nil {
		return n, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, apierr.New(apierr.Serialization, msgOutOfRange, targetNames[kind])
	}

	f, err := strconv.ParseFloat(string(number), 64)
	if err != nil {
		return 0, apierr.New(apierr.Serialization, msgOutOfRange, targetNames[kind])
	}
	if f != math.Trunc(f) {
		return 0, apierr.New(apierr.Serialization, msgFraction, targetNames[kind])
	}
	limit := math.Ldexp(1, bits-1)
	if f < -limit || f >= limit {
		return 0, apierr.New(apierr.Serialization, msgOutOfRange, targetNames[kind])
	}
	return int64(f), nil
}

// checkFloat accepts a JSON number, or the strings NaN, Infinity and
// -Infinity that AWS JSON protocols use for non-finite values.
func checkFloat(s *shape, v any) (constraintFailures, *apierr.Error) {
	var f float64
	switch value := v.(type) {
	case json.Number:
		parsed, err := strconv.ParseFloat(string(value), 64)
		if err != nil {
			return 0, apierr.New(apierr.Serialization, msgOutOfRange, targetNames[s.kind])
		}
		f = parsed
	case string:
		if value != "NaN" && value != "Infinity" && value != "-Infinity" {
			return 0, typeMismatch(v, s.kind)
		}
		return 0, nil
	default:
		return 0, typeMismatch(v, s.kind)
	}

	var failed constraintFailures
	if s.hasMax && f > float64(s.max) {
		failed |= failedMax
	}
	if s.hasMin && f < float64(s.min) {
		failed |= failedMin
	}
	return failed, nil
}

// Timestamp layouts accepted in string form, all ISO 8601.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// checkTimestamp accepts epoch seconds as a JSON number, fractions allowed,
// or an ISO 8601 string.
func checkTimestamp(v any) *apierr.Error {
	switch value := v.(type) {
	case json.Number:
		return nil
	case string:
		for _, layout := range timestampLayouts {
			if _, err := time.Parse(layout, value); err == nil {
				return nil
			}
		}
		return apierr.New(apierr.Serialization, msgBadTimestamp)
	}
	return typeMismatch(v, kindTimestamp)
}

// checkBlob accepts standard padded base64. Length constraints apply to the
// decoded bytes.
func checkBlob(s *shape, v any) (constraintFailures, *apierr.Error) {
	text, ok := v.(string)
	if !ok {
		return 0, typeMismatch(v, s.kind)
	}

	decoded, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return 0, apierr.New(apierr.Serialization, msgBadBase64)
	}
	return s.lengthFailures(int64(len(decoded))), nil
}

// typeMismatch returns the SerializationException for a JSON value that the
// target shape kind cannot take.
func typeMismatch(v any, target shapeKind) *apierr.Error {
	token := ""
	switch v.(type) {
	case map[string]any:
		return apierr.New(apierr.Serialization, msgUnexpectedObject)
	case []any:
		return apierr.New(apierr.Serialization, msgUnexpectedList)
	case string:
		token = "STRING_VALUE"
	case json.Number:
		token = "NUMBER_VALUE"
	case bool:
		token = "BOOLEAN_VALUE"
	default:
		panic(fmt.Sprintf("model: unexpected decoded JSON type %T", v))
	}
	return apierr.New(apierr.Serialization, msgCannotConvert, token, targetNames[target])
}

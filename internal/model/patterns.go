package model

import (
	"fmt"
	"regexp"
	"strings"
)

// AWS models write patterns as Java regular expressions, matched against the
// whole value like java.util.regex.Matcher.matches. Go's RE2 engine has no
// look-around, so patterns that use it get a hand-written equivalent here.
// Every other pattern is translated mechanically by translatePattern.
//
// Keys are the model text, byte for byte. Values are RE2 bodies without
// anchors, and TestHandWrittenPatterns checks each against accept and reject
// cases.
var handWrittenPatterns = map[string]string{
	// ACM DomainNameString. The look-ahead (?!-) only forbids a leading '-',
	// so a label is 1 to 63 characters that start and end with a letter or
	// digit, and the last label is 2 to 63 such characters.
	`(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`: `(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]`,
}

// Java character classes whose RE2 spelling differs. Java's \s includes the
// vertical tab and its '.' stops at every line terminator, RE2's at '\n' only.
const (
	javaSpaceSet     = `\t\n\x0B\f\r `
	javaDotOutside   = `[^\n\r\x{85}\x{2028}\x{2029}]`
	javaSpaceOutside = `[` + javaSpaceSet + `]`
	javaNonSpace     = `[^` + javaSpaceSet + `]`
)

// compilePattern returns a regexp that accepts exactly the values that Java
// accepts for the whole of the model pattern.
func compilePattern(pattern string) (*regexp.Regexp, error) {
	body, ok := handWrittenPatterns[pattern]
	if !ok {
		var err error
		body, err = translatePattern(pattern)
		if err != nil {
			return nil, err
		}
	}

	re, err := regexp.Compile(`\A(?:` + body + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("compile pattern %q (add it to handWrittenPatterns): %w", pattern, err)
	}
	return re, nil
}

// translatePattern rewrites the Java syntax that RE2 spells differently:
// \uXXXX escapes, \s, \S and '.'. It rejects the Java constructs that RE2
// would compile with another meaning, class intersection (&&) and nested
// classes, so they cannot match silently wrong. Java constructs that RE2
// lacks, such as look-around, fail later in regexp.Compile.
func translatePattern(pattern string) (string, error) {
	var out strings.Builder
	inClass := false

	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			next := pattern[i+1]
			replacement, width, err := translateEscape(pattern[i:], inClass)
			if err != nil {
				return "", fmt.Errorf("pattern %q: %w", pattern, err)
			}
			if width == 0 {
				out.WriteByte(c)
				out.WriteByte(next)
				i++
				continue
			}
			out.WriteString(replacement)
			i += width - 1

		case inClass && c == '[':
			return "", fmt.Errorf("pattern %q: nested character class has no RE2 equivalent", pattern)

		case inClass && c == '&' && i+1 < len(pattern) && pattern[i+1] == '&':
			return "", fmt.Errorf("pattern %q: class intersection && has no RE2 equivalent", pattern)

		case inClass && c == ']' && !classJustOpened(pattern, i):
			inClass = false
			out.WriteByte(c)

		case !inClass && c == '[':
			inClass = true
			out.WriteByte(c)

		case !inClass && c == '.':
			out.WriteString(javaDotOutside)

		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}

// translateEscape rewrites the escape at the start of s. A width of zero means
// the escape keeps its spelling.
func translateEscape(s string, inClass bool) (replacement string, width int, err error) {
	switch s[1] {
	case 'u':
		if len(s) < 6 || !isHex(s[2:6]) {
			return "", 0, fmt.Errorf("\\u must be followed by four hex digits")
		}
		return `\x{` + s[2:6] + `}`, 6, nil
	case 's':
		if inClass {
			return javaSpaceSet, 2, nil
		}
		return javaSpaceOutside, 2, nil
	case 'S':
		if inClass {
			return "", 0, fmt.Errorf("\\S inside a character class has no RE2 equivalent")
		}
		return javaNonSpace, 2, nil
	}
	return "", 0, nil
}

// classJustOpened reports whether the ']' at i is the first character of a
// class, where Java and RE2 both read it as a literal.
func classJustOpened(pattern string, i int) bool {
	return pattern[i-1] == '[' || (i >= 2 && pattern[i-1] == '^' && pattern[i-2] == '[')
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

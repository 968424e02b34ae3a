package jsonpath

import (
	"unicode/utf8"
)

// Span is a byte range [Start, End) of a document.
type Span struct{ Start, End int }

// Spans returns the spans of every value at the path, in document order,
// duplicated keys and duplicated parents included. The document is
// validated whole first.
func (p Path) Spans(doc []byte, dst []Span) ([]Span, error) {
	err := p.Each(doc, func(s, e int) { dst = append(dst, Span{s, e}) })
	return dst, err
}

// Replace appends to dst the document with each span (in order, not
// overlapping) replaced by what repl returns for its raw value.
func Replace(dst, doc []byte, spans []Span, repl func(dst, raw []byte) []byte) []byte {
	prev := 0
	for _, s := range spans {
		dst = append(dst, doc[prev:s.Start]...)
		dst = repl(dst, doc[s.Start:s.End])
		prev = s.End
	}
	return append(dst, doc[prev:]...)
}

// ReplaceMatches is Replace for the matches of a Set (as Set.Spans returns
// them: in order, not overlapping); repl also learns which path matched.
func ReplaceMatches(dst, doc []byte, ms []Match, repl func(dst []byte, path int, raw []byte) []byte) []byte {
	prev := 0
	for _, m := range ms {
		dst = append(dst, doc[prev:m.Start]...)
		dst = repl(dst, m.Path, doc[m.Start:m.End])
		prev = m.End
	}
	return append(dst, doc[prev:]...)
}

// AppendQuote appends s as a JSON string. Invalid UTF-8 becomes \ufffd, so
// the result is always valid JSON.
func AppendQuote(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = appendEscape(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

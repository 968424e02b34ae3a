package jsonpath

import (
	"strconv"
	"unicode/utf8"
)

// Span is a byte range [Start, End) of a document.
type Span struct{ Start, End int }

// Spans returns the spans of every value at the path, in document order.
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

// Unquote decodes a raw JSON string token, quotes included.
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	simple := true
	for _, c := range body {
		if c == '\\' || c < 0x20 {
			simple = false
			break
		}
	}
	if simple && utf8.Valid(body) {
		return string(body), true
	}
	s, err := strconv.Unquote(string(raw))
	return s, err == nil
}

// AppendQuote appends s as a JSON string.
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

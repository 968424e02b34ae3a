package jsonpath

import (
	"unicode/utf8"
)

// Unquote decodes a raw JSON string token, quotes included. It accepts
// exactly what the scanner accepts (RFC 8259 escapes, UTF-8 content, paired
// surrogates) and reports false for anything else, a trailing byte included.
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	end, escaped, err := skipString(raw, 0)
	if err != nil || end != len(raw) {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if !escaped {
		return string(body), true
	}
	return string(appendUnescaped(nil, body)), true
}

// AppendUnquoted is Unquote appending to dst: no string is allocated. On
// false dst is returned unchanged.
func AppendUnquoted(dst, raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return dst, false
	}
	end, escaped, err := skipString(raw, 0)
	if err != nil || end != len(raw) {
		return dst, false
	}
	body := raw[1 : len(raw)-1]
	if !escaped {
		return append(dst, body...), true
	}
	return appendUnescaped(dst, body), true
}

// appendUnescaped appends the decoded content of a string body the scanner
// has validated (between its quotes). A surrogate pair becomes one rune.
func appendUnescaped(dst, body []byte) []byte {
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch e := body[i+1]; e {
		case 'u':
			r := rune(hex4(body, i+2))
			i += 6
			if r >= 0xD800 && r < 0xDC00 { // validated: a low surrogate follows
				r = 0x10000 + (r-0xD800)<<10 + (rune(hex4(body, i+2)) - 0xDC00)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// hex4 decodes the four hex digits at b[i:], or returns -1.
func hex4(b []byte, i int) int {
	if len(b)-i < 4 {
		return -1
	}
	v := 0
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}

// skipEscape returns the offset after the escape whose backslash is at j:
// one of RFC 8259's, with a \u high surrogate followed by a \u low one.
// Unpaired surrogates are refused: RFC 8259 §8.2 leaves their meaning to
// each parser (encoding/json reads U+FFFD, JavaScript keeps them), and a
// key or value that parsers read differently is how a mask gets bypassed.
func skipEscape(doc []byte, j int) (int, error) {
	if j+1 >= len(doc) {
		return j, syntaxErr(j, "bad escape in string")
	}
	switch doc[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 2, nil
	case 'u':
	default:
		return j, syntaxErr(j, "bad escape in string")
	}
	r := hex4(doc, j+2)
	switch {
	case r < 0:
		return j, syntaxErr(j, "bad \\u escape in string")
	case r < 0xD800 || r > 0xDFFF:
		return j + 6, nil
	case r >= 0xDC00:
		return j, syntaxErr(j, "unpaired surrogate \\u%04x in string", r)
	}
	if j+7 < len(doc) && doc[j+6] == '\\' && doc[j+7] == 'u' {
		if lo := hex4(doc, j+8); lo >= 0xDC00 && lo <= 0xDFFF {
			return j + 12, nil
		}
	}
	return j, syntaxErr(j, "unpaired surrogate \\u%04x in string", r)
}

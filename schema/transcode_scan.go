package schema

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON tokens strictly (RFC 8259, valid UTF-8). It only
// ever says "not this": anything it does not accept in the simplest form
// (a key with an escape, a surrogate pair, an integer with an exponent)
// sends the record to protojson, which accepts or rejects it with the
// canonical error.
type scanner struct {
	in      []byte
	pos     int
	scratch []byte // decoded strings with escapes
}

func (s *scanner) ws() {
	for s.pos < len(s.in) && s.in[s.pos] <= ' ' { // every other byte is not whitespace: one compare
		switch s.in[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.in) {
		return s.in[s.pos]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.pos++
	return true
}

func (s *scanner) literal(word string) bool {
	if len(s.in)-s.pos < len(word) || string(s.in[s.pos:s.pos+len(word)]) != word {
		return false
	}
	s.pos += len(word)
	return s.pos == len(s.in) || !isWordByte(s.in[s.pos])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// plainByte marks the ASCII bytes a string holds as they are: not '"',
// '\\' or a control byte. A string's bytes cost one table load each.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// key reads an object key without escapes and the colon after it.
func (s *scanner) key() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.pos + 1
	for i := start; i < len(s.in); i++ {
		c := s.in[i]
		if plainByte[c] || c >= 0x80 {
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			// No UTF-8 check: a key only matters if it equals a field's name.
			return s.in[start:i], s.eat(':')
		case c == '\\' || c < ' ':
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value: a slice of the input when it has no escapes,
// else decoded into scratch (valid until the next call).
func (s *scanner) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.pos + 1
	ascii := true
	for i := plainWords(s.in, start); i < len(s.in); i++ {
		c := s.in[i]
		if plainByte[c] {
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			v := s.in[start:i]
			return v, ascii || utf8.Valid(v)
		case c == '\\':
			return s.escaped(start)
		case c < ' ':
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

func (s *scanner) escaped(start int) ([]byte, bool) {
	out := s.scratch[:0]
	for i := start; i < len(s.in); {
		c := s.in[i]
		switch {
		case c == '"':
			s.pos, s.scratch = i+1, out
			return out, utf8.Valid(out)
		case c < ' ':
			return nil, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s.in) {
			return nil, false
		}
		n, r := 2, rune(0)
		switch s.in[i+1] {
		case '"', '\\', '/':
			r = rune(s.in[i+1])
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			u, ok := hex4(s.in[i+2:])
			if !ok {
				return nil, false
			}
			n, r = 6, u
			if u >= 0xd800 && u <= 0xdfff {
				n, r = surrogates(s.in[i:])
				if n == 0 {
					return nil, false // a lone surrogate: left to protojson
				}
			}
		default:
			return nil, false
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return nil, false
}

// surrogates decodes a \uD8xx\uDCxx pair at the start of b, or says 0.
func surrogates(b []byte) (int, rune) {
	if len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
		return 0, 0
	}
	hi, _ := hex4(b[2:])
	lo, ok := hex4(b[8:])
	r := utf16.DecodeRune(hi, lo)
	if !ok || r == utf8.RuneError {
		return 0, 0
	}
	return 12, r
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a JSON number token and says whether it is a plain
// integer (no fraction, no exponent).
func (s *scanner) number() (tok []byte, integer, ok bool) {
	s.ws()
	start, i := s.pos, s.pos
	if i < len(s.in) && s.in[i] == '-' {
		i++
	}
	digits := i
	for i < len(s.in) && isDigit(s.in[i]) {
		i++
	}
	if i == digits || s.in[digits] == '0' && i-digits > 1 {
		return nil, false, false
	}
	integer = true
	if i < len(s.in) && s.in[i] == '.' {
		integer = false
		if i = skipDigits(s.in, i+1); i < 0 {
			return nil, false, false
		}
	}
	if i < len(s.in) && (s.in[i] == 'e' || s.in[i] == 'E') {
		integer = false
		i++
		if i < len(s.in) && (s.in[i] == '+' || s.in[i] == '-') {
			i++
		}
		if i = skipDigits(s.in, i); i < 0 {
			return nil, false, false
		}
	}
	if i < len(s.in) && isWordByte(s.in[i]) {
		return nil, false, false
	}
	s.pos = i
	return s.in[start:i], integer, true
}

func skipDigits(b []byte, i int) int {
	start := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// plainInt reports whether b is -?(0|[1-9][0-9]*), the only integer form
// the scanner takes inside a string ("123" for a 64-bit field).
func plainInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '0' && len(b) > 1 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// integer reads an integer field's value: a plain number, or a plain
// integer in a string, within bits.
func (s *scanner) integer(bits int, unsigned bool) (int64, uint64, bool) {
	var tok []byte
	if s.peek() == '"' {
		v, ok := s.str()
		if !ok || !plainInt(v) {
			return 0, 0, false
		}
		tok = v
	} else {
		v, integer, ok := s.number()
		if !ok || !integer {
			return 0, 0, false
		}
		tok = v
	}
	if len(tok) <= 18 { // at most 18 digits: no int64 overflows
		return shortInteger(tok, bits, unsigned)
	}
	if unsigned {
		u, err := strconv.ParseUint(string(tok), 10, bits)
		return 0, u, err == nil
	}
	i, err := strconv.ParseInt(string(tok), 10, bits)
	return i, 0, err == nil
}

// shortInteger is strconv's parse of a plain integer of at most 18
// bytes (-?digits, as integer checks it), which cannot overflow int64,
// with its range checks for bits and signedness.
func shortInteger(tok []byte, bits int, unsigned bool) (int64, uint64, bool) {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var n int64
	for _, c := range tok {
		n = n*10 + int64(c-'0')
	}
	if unsigned {
		if neg { // only -0 parses, as strconv.ParseUint does not
			return 0, 0, false
		}
		return 0, uint64(n), bits == 64 || n <= math.MaxUint32
	}
	if neg {
		n = -n
	}
	return n, 0, bits == 64 || n >= math.MinInt32 && n <= math.MaxInt32
}

// float reads a float or double value: a number, or "NaN", "Infinity",
// "-Infinity".
func (s *scanner) float(bits int) (float64, bool) {
	if s.peek() == '"' {
		v, ok := s.str()
		if !ok {
			return 0, false
		}
		switch string(v) {
		case "NaN", "Infinity", "-Infinity":
			f, _ := strconv.ParseFloat(string(v), 64)
			return f, true
		}
		return 0, false
	}
	tok, _, ok := s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(tok), bits)
	return f, err == nil
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.pos == len(s.in)
}

// Package scanmask is the reference masking (bench/testdata, shared/data
// README: customer.email, .phone, .card) as a hand-written byte scanner:
// one pass to find each key's string value by searching for `"key":"`, one
// pass to write the masked copy. It assumes the orders' shape (keys unique
// in the document, no escapes in these values): it is the benchmarks'
// floor and the peers' guest code, not a general masker (see plugins/mask).
// It imports nothing, so the same code runs natively and in Go guests.
package scanmask

// rule is one masked field: the key, the prefix replacing the value's
// head, and which tail of the value is kept.
type rule struct {
	key    string
	prefix string
	keep   func(v []byte) int // index in v from which v is kept
}

var rules = [...]rule{
	{"email", "***", fromAt},
	{"phone", "***", last4},
	{"card", "************", last4},
}

// fromAt keeps the value from its '@' on (all of it is replaced if none).
func fromAt(v []byte) int {
	for i, c := range v {
		if c == '@' {
			return i
		}
	}
	return len(v)
}

func last4(v []byte) int { return max(len(v)-4, 0) }

// span is a value's [start, end) in the document and the rule masking it.
type span struct {
	start, end int
	r          *rule
}

// Mask appends doc, masked, to out and returns it. A field that is
// missing is left as it is.
func Mask(out, doc []byte) []byte {
	var spans [len(rules)]span
	n := 0
	for i := range rules {
		if s, e, ok := find(doc, rules[i].key); ok {
			spans[n] = span{s, e, &rules[i]}
			n++
		}
	}
	sortSpans(spans[:n])
	at := 0
	for _, sp := range spans[:n] {
		v := doc[sp.start:sp.end]
		out = append(out, doc[at:sp.start]...)
		out = append(out, sp.r.prefix...)
		out = append(out, v[sp.r.keep(v):]...)
		at = sp.end
	}
	return append(out, doc[at:]...)
}

// find returns the span of the string value of the first `"key":"`.
func find(doc []byte, key string) (start, end int, ok bool) {
	for i := 0; i+len(key)+4 <= len(doc); i++ {
		if doc[i] != '"' || !keyAt(doc, i+1, key) {
			continue
		}
		s := i + 1 + len(key)
		if doc[s] != '"' || doc[s+1] != ':' || doc[s+2] != '"' {
			continue
		}
		for e := s + 3; e < len(doc); e++ {
			if doc[e] == '"' {
				return s + 3, e, true
			}
		}
		return 0, 0, false
	}
	return 0, 0, false
}

func keyAt(doc []byte, at int, key string) bool {
	if at+len(key) > len(doc) {
		return false
	}
	for j := 0; j < len(key); j++ {
		if doc[at+j] != key[j] {
			return false
		}
	}
	return true
}

// sortSpans orders at most three spans by start (insertion sort).
func sortSpans(s []span) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].start < s[j-1].start; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

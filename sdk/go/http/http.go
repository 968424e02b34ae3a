package http

import "fmt"

// Code is a result's outcome (docs/abi.md, "Capability http").
type Code uint8

// Result codes. An HTTP response of any status is OK with Status set.
const (
	OK        Code = 0 // a response arrived
	Refused   Code = 1 // the grant does not allow the request; Err says which rule
	Timeout   Code = 2 // no answer before the grant's timeout or the batch deadline
	TooLarge  Code = 3 // the response is over the grant's size caps
	Transport Code = 4 // connecting, TLS or the exchange failed
)

func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case Refused:
		return "refused"
	case Timeout:
		return "timeout"
	case TooLarge:
		return "too_large"
	case Transport:
		return "transport_error"
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// Header is one header line.
type Header struct{ Name, Value string }

// Request is one request. Headers the grant injects (credentials) are
// added by the host and override any of the same name here.
type Request struct {
	Method string // default GET
	URL    string
	Header []Header
	Body   []byte
}

// Result is the answer to one Request. Body aliases the SDK's buffer and
// stays valid until the next FetchMany.
type Result struct {
	Code   Code
	Status int
	Header []Header
	Body   []byte
	Err    string // why, when Code is not OK
	Cached bool   // answered from the grant's response cache
}

// Get is the first value of the header name (exact, case-insensitive
// match), or "".
func (r *Result) Get(name string) string {
	for _, h := range r.Header {
		if equalFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// FetchMany sends reqs in one host call and returns one Result per
// request, in order; a refused or failed request is its Result's Code.
// A call the host cannot accept (more requests than the grant's
// max_requests) fails the whole batch as bad_output and never returns;
// the error is for an answer that does not decode, or a native build.
func FetchMany(reqs []Request) ([]Result, error) {
	buf := appendRequests(scratch[:0], reqs)
	scratch = buf
	out, err := fetch(buf)
	if err != nil {
		return nil, err
	}
	return decodeResults(out, len(reqs))
}

// scratch is the requests buffer, reused across calls.
var scratch []byte

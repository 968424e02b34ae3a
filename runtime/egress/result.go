package egress

import "net/http"

// Code is the outcome of one request as the guest sees it (docs/abi.md,
// "Capability http"). An HTTP response of any status is CodeOK with Status set: the
// status is the server's answer, passed through, not a failure of egress.
type Code uint8

// Result codes. Each failure says why in Result.Err.
const (
	CodeOK        Code = 0 // a response arrived; Status, Header and Body hold it
	CodeRefused   Code = 1 // the grant does not allow this request (host, scheme, port, address, method, size, count)
	CodeTimeout   Code = 2 // the request did not finish before its timeout or the batch deadline
	CodeTooLarge  Code = 3 // the response body is larger than the grant's max_response_bytes
	CodeTransport Code = 4 // connecting, TLS or the exchange failed
)

func (c Code) String() string {
	switch c {
	case CodeOK:
		return "ok"
	case CodeRefused:
		return "refused"
	case CodeTimeout:
		return "timeout"
	case CodeTooLarge:
		return "too_large"
	case CodeTransport:
		return "transport_error"
	}
	return "unknown"
}

// Request is one guest request. Header holds only what the guest set:
// the grant's injected headers are added by the engine and override any
// the guest sent under the same name.
type Request struct {
	Method string // default GET
	URL    string
	Header http.Header
	Body   []byte
}

// Result is the answer to one Request. Err never holds a secret: it names
// what was refused or failed, the request's host and the grant's setting.
type Result struct {
	Code   Code
	Status int         // the HTTP status, when Code is CodeOK
	Header http.Header // the response's headers, when Code is CodeOK
	Body   []byte      // at most the grant's max_response_bytes
	Err    string      // why, when Code is not CodeOK
	Cached bool        // served from the grant's response cache
}

func failed(c Code, msg string) Result { return Result{Code: c, Err: msg} }

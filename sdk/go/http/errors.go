package http

// Negative answers of weir_http.fetch (docs/abi.md "http").
const (
	errBounds    = -1 // the requests buffer is outside guest memory
	errMalformed = -2 // the requests buffer breaks the format, or holds more than the grant's max_requests
)

func callError(code int64) string {
	switch code {
	case errBounds:
		return "requests buffer outside memory"
	case errMalformed:
		return "malformed requests, or more than the grant's max_requests; the host log says which"
	}
	return "unknown error"
}

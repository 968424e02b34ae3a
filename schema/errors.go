package schema

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/runtime"
)

// Class is the kind of record failure: runtime's failure vocabulary, of
// which schema uses two classes.
type Class = runtime.Class

const (
	// ClassBadInput: the record is not a well-formed message of the type
	// (malformed JSON or protobuf, too large, too deep).
	ClassBadInput = runtime.ClassBadInput
	// ClassViolation: the record is well formed but breaks the schema's
	// constraints (buf.validate rules), or the transform's output does.
	ClassViolation = runtime.ClassViolation
)

// Error is a per-record schema failure with the field path it concerns.
type Error struct {
	Class Class
	Type  string // message full name
	Path  string // field path, when known
	Msg   string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Class, e.Type)
	if e.Path != "" {
		s += " field " + e.Path
	}
	return s + ": " + e.Msg
}

// ClassOf returns the class of a schema error, or "".
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

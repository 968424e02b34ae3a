package runtime

import (
	"errors"
	"fmt"
)

// Class is the kind of failure a caller can branch on. It is weir's one
// failure vocabulary: the schema package's classes are these, and the
// host flags records and refuses versions with them (docs/abi.md §6).
type Class string

// Failure classes. Whose fault each is decides what the host does with
// it: a record's or the guest's failure is flagged (routable to a
// dead-letter output), the guest's also counts against the version for
// automatic rollback, and a host failure is returned to the caller (a
// Benthos input nacks the batch and delivers it again).
const (
	// Refusals of a version, before it serves.
	ClassAdmission    Class = "admission_refused"   // the module was refused before compiling
	ClassIncompatible Class = "incompatible_schema" // the module's declared types do not fit the pipeline's
	ClassSignature    Class = "signature_refused"   // no trusted signature verifies the artifact
	ClassFixture      Class = "fixture_failed"      // the module failed one of its golden fixtures
	ClassConfig       Class = "config_refused"      // the pipeline's config breaks the module's config_schema

	// The guest's failures.
	ClassTrap      Class = "trap"           // the guest trapped (panic, unreachable, stack overflow…)
	ClassTimeout   Class = "timeout"        // the guest ran past its per-batch deadline
	ClassFuel      Class = "fuel_exhausted" // the guest used its whole fuel budget
	ClassGuest     Class = "guest_error"    // the guest reported an error for a record
	ClassBadOutput Class = "bad_output"     // the guest returned output that breaks the ABI

	// A record's failures; schema_violation is the guest's when its
	// output breaks the output type.
	ClassBadInput  Class = "bad_input"        // the input cannot be given to the guest (malformed, or too large for its memory)
	ClassViolation Class = "schema_violation" // well formed, but breaks the schema's constraints

	// Neither the record's nor the guest's: the batch could not run
	// (pool or engine closed, no instance, the caller's context ended).
	ClassHost Class = "host_error"
)

// Guest reports whether a failure of class c is the guest's doing: such
// failures count against the version for automatic rollback. A schema
// violation is the guest's only when its output broke the output type,
// which the caller knows and c alone does not: it is not counted here.
func (c Class) Guest() bool {
	switch c {
	case ClassTrap, ClassTimeout, ClassFuel, ClassGuest, ClassBadOutput:
		return true
	}
	return false
}

// Error is a classified transform failure. errors.Is(err, ErrTrap) and the
// other sentinels match on Class.
type Error struct {
	Class     Class
	Transform string // "name@version", when known
	Msg       string
	Cause     error
}

// Sentinels for errors.Is.
var (
	ErrAdmission    = &Error{Class: ClassAdmission}
	ErrIncompatible = &Error{Class: ClassIncompatible}
	ErrTrap         = &Error{Class: ClassTrap}
	ErrTimeout      = &Error{Class: ClassTimeout}
	ErrFuel         = &Error{Class: ClassFuel}
	ErrGuest        = &Error{Class: ClassGuest}
	ErrBadOutput    = &Error{Class: ClassBadOutput}
	ErrBadInput     = &Error{Class: ClassBadInput}
	ErrHost         = &Error{Class: ClassHost}
)

// ErrClosed is the cause of a host_error from a pool that was closed:
// errors.Is(err, ErrClosed).
var ErrClosed = errors.New("the pool is closed")

func (e *Error) Error() string {
	s := "weir"
	if e.Transform != "" {
		s += fmt.Sprintf(": transform %q", e.Transform)
	}
	s += ": " + string(e.Class)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// Is matches sentinels of the same class.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Cause == nil && t.Transform == "" && t.Class == e.Class
}

// ClassOf returns the class of err, or "" if it is not a weir error.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

func errorf(class Class, format string, args ...any) *Error {
	return &Error{Class: class, Msg: fmt.Sprintf(format, args...)}
}

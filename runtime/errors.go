package runtime

import (
	"errors"
	"fmt"
)

// Class is the kind of failure a caller can branch on.
type Class string

// Failure classes.
const (
	ClassAdmission Class = "admission_refused" // the module was refused before compiling
	ClassTrap      Class = "trap"              // the guest trapped (panic, unreachable, stack overflow…)
	ClassTimeout   Class = "timeout"           // the guest ran past its per-batch deadline
	ClassFuel      Class = "fuel_exhausted"    // the guest used its whole fuel budget
	ClassGuest     Class = "guest_error"       // the guest reported an error for a record
	ClassBadOutput Class = "bad_output"        // the guest returned output that breaks the ABI
	ClassBadInput  Class = "bad_input"         // the record itself is malformed (not JSON for a projecting transform)
)

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
	ErrAdmission = &Error{Class: ClassAdmission}
	ErrTrap      = &Error{Class: ClassTrap}
	ErrTimeout   = &Error{Class: ClassTimeout}
	ErrFuel      = &Error{Class: ClassFuel}
	ErrGuest     = &Error{Class: ClassGuest}
	ErrBadOutput = &Error{Class: ClassBadOutput}
	ErrBadInput  = &Error{Class: ClassBadInput}
)

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

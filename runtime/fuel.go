package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// callState is what the host functions need during one guest call: where
// guest logs go and, when metered, the fuel budget and the deadline.
type callState struct {
	log      *guestLog
	fuel     api.MutableGlobal // nil when not metered
	budget   int64             // fuel not yet handed to the guest
	loaded   int64             // fuel handed to the guest so far
	checkIn  int64
	deadline time.Time
}

type callStateKey struct{}

var (
	errFuelExhausted = errors.New("fuel exhausted")
	errDeadline      = errors.New("deadline exceeded at a fuel check-in")
)

// start gives the guest its first slice of the budget.
func (s *callState) start() {
	if s.fuel == nil {
		return
	}
	first := min(s.checkIn, s.budget)
	s.budget -= first
	s.loaded = first
	s.fuel.Set(uint64(first))
}

// used is the fuel burnt so far: what was handed over minus what is left.
func (s *callState) used() int64 {
	if s.fuel == nil {
		return 0
	}
	return s.loaded - int64(s.fuel.Get())
}

// hostFuel is weir.fuel(), called by metered code when a check finds the
// counter negative. It refills the counter from the budget, or stops the
// guest by panicking (wazero turns the panic into the call's error): past
// the deadline, or when the budget cannot pay the debt — so a bulk
// operation whose length charge is more than the budget left never runs.
// Being a Go function, it is also where a busy guest lets the GC stop its
// goroutine.
func hostFuel(s *callState, mod api.Module) {
	if s == nil {
		panic(errFuelExhausted)
	}
	if s.fuel == nil { // during instantiation, before the instance was returned
		g, ok := mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
		if !ok {
			panic(errFuelExhausted)
		}
		s.fuel = g
	}
	if !s.deadline.IsZero() && time.Now().After(s.deadline) {
		panic(errDeadline)
	}
	left := int64(s.fuel.Get()) // negative: the debt run up since the last check
	if left < 0 {
		// as many whole check-ins as pay the debt (a bulk operation's
		// charge may be many), in one step rather than one by one
		refill := max(0, min((-left+s.checkIn-1)/s.checkIn*s.checkIn, s.budget))
		s.budget -= refill
		s.loaded += refill
		left += refill
	}
	s.fuel.Set(uint64(left))
	if left < 0 {
		panic(errFuelExhausted)
	}
}

// meteredModule returns the module rewritten for fuel, from the on-disk
// cache when this digest was rewritten before.
func (e *Engine) meteredModule(wasm []byte, digest string) ([]byte, error) {
	var path string
	if e.cfg.CacheDir != "" {
		// the rewrite depends on the rewriter and its parameters, not only the module
		variant := fmt.Sprintf("v%d-%d-%d", meter.Version, e.cfg.FuelCheckIn, e.cfg.MaxTableElements)
		path = filepath.Join(e.cfg.CacheDir, "metered", variant, strings.TrimPrefix(digest, "sha256:")+".wasm")
		if b, err := os.ReadFile(path); err == nil {
			return b, nil
		}
	}
	out, err := meter.Rewrite(wasm, e.cfg.FuelCheckIn, e.cfg.MaxTableElements)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Msg: "fuel metering rewrite failed", Cause: err}
	}
	if path != "" {
		writeAtomically(path, out) // best effort: a cache miss only costs a rewrite
	}
	return out, nil
}

// writeAtomically writes via a temporary file and a rename, so a concurrent
// reader never sees half a module.
func writeAtomically(path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil && cerr == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
}

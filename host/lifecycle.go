package host

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirstream/weir/runtime"
)

// versionState is where one version of a transform stands in its slot's
// lifecycle (docs/registry.md, "Version lifecycle"):
//
//	fetched → verified → admitted → compiled → self_tested → serving → draining → closed
//
// A version refused at a step before serving is rejected; one whose
// preparation was superseded by an operator command, or failed in a way
// that may pass on the next try, is closed without serving.
// A version kept compiled comes back (rollback) as a new lifecycle that
// starts at compiled.
type versionState uint8

const (
	stateFetched    versionState = iota // its bytes are here, digest and size checked
	stateVerified                       // its signature verified, or none is required
	stateAdmitted                       // the runtime's admission checks passed
	stateCompiled                       // compiled (from the cache when seen before)
	stateSelfTested                     // schema contract, golden fixtures and a warm pool passed
	stateServing                        // batches run on it
	stateDraining                       // replaced: batches in flight finish on it
	stateClosed                         // its pool is closed
	stateRejected                       // refused at a step: it never served
)

var stateNames = [...]string{"fetched", "verified", "admitted", "compiled", "self_tested", "serving", "draining", "closed", "rejected"}

func (s versionState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("versionState(%d)", s)
}

// next lists the states each state may move to: the one place that says
// which transitions exist.
var next = map[versionState][]versionState{
	stateFetched:    {stateVerified, stateRejected, stateClosed},
	stateVerified:   {stateAdmitted, stateRejected, stateClosed},
	stateAdmitted:   {stateCompiled, stateRejected, stateClosed},
	stateCompiled:   {stateSelfTested, stateRejected, stateClosed},
	stateSelfTested: {stateServing, stateClosed},
	stateServing:    {stateDraining},
	stateDraining:   {stateClosed},
}

// Outcomes of a version, once its lifecycle is past serving or ended
// before it.
const (
	outcomeServing    = "serving"     // it serves now
	outcomeReplaced   = "replaced"    // it served and was replaced healthily: a rollback target
	outcomeRolledBack = "rolled_back" // it served and was rolled back: rejected
	outcomeRejected   = "rejected"    // refused at a step before serving
	outcomeDropped    = "dropped"     // prepared, then superseded by an operator command before serving
	outcomeFailed     = "failed"      // a step failed in a way that may pass on the next try
	outcomeStopped    = "stopped"     // it served until its processor closed
)

// VersionRecord is one version's lifecycle, as status shows it: the
// states it reached, in order, and how it ended.
type VersionRecord struct {
	ID           string    `json:"id"`                      // artifact digest (registry) or module digest (file)
	Origin       string    `json:"origin,omitempty"`        // file path or reference@digest
	Transform    string    `json:"transform,omitempty"`     // name@version, once admitted
	ModuleDigest string    `json:"module_digest,omitempty"` // once admitted
	Signer       string    `json:"signer_key_id,omitempty"` // the key id of the signature that verified it
	State        string    `json:"state"`
	States       []string  `json:"states"`
	Outcome      string    `json:"outcome,omitempty"`
	Class        string    `json:"class,omitempty"` // the failure's class when it was refused
	Reason       string    `json:"reason,omitempty"`
	Since        time.Time `json:"since"`           // when it was fetched, or came back compiled
	Until        time.Time `json:"until,omitzero"`  // when it stopped serving, or was refused
	Served       time.Time `json:"served,omitzero"` // when it began serving
}

// lifecycle is one version's record and its current state; the slot
// guards it with s.mu.
type lifecycle struct {
	rec   VersionRecord
	state versionState
}

// newLifecycle starts a version at fetched (new bytes) or compiled (a
// version kept compiled, coming back).
func newLifecycle(id, origin string, at versionState) *lifecycle {
	if at != stateFetched && at != stateCompiled {
		panic("weir: a version's lifecycle starts at fetched or compiled, not " + at.String())
	}
	return &lifecycle{state: at, rec: VersionRecord{ID: id, Origin: origin, State: at.String(), States: []string{at.String()}, Since: time.Now()}}
}

// to moves the lifecycle to state s, refusing a transition that does
// not exist.
func (l *lifecycle) to(s versionState) error {
	if !slices.Contains(next[l.state], s) {
		return fmt.Errorf("weir: version %s: no transition %s → %s", l.rec.ID, l.state, s)
	}
	l.state = s
	l.rec.State = s.String()
	l.rec.States = append(l.rec.States, s.String())
	switch s {
	case stateServing:
		l.rec.Served, l.rec.Outcome = time.Now(), outcomeServing
	case stateDraining, stateRejected:
		l.rec.Until = time.Now()
	}
	return nil
}

// servedHealthily reports whether the version served and was replaced
// without being rolled back: what a rollback may go back to.
func (l *lifecycle) servedHealthily() bool { return l.rec.Outcome == outcomeReplaced }

// track adds a lifecycle to the slot's history, forgetting the oldest
// past historyLen (a version still serving keeps its own).
func (s *slot) track(l *lifecycle) *lifecycle {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lives = append(s.lives, l)
	if len(s.lives) > historyLen {
		s.lives = slices.Delete(s.lives, 0, len(s.lives)-historyLen)
	}
	return l
}

// signerOf is the key id that verified version id, from its latest record
// that has one ("" if unsigned or no longer in the history).
func (s *slot) signerOf(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.lives) - 1; i >= 0; i-- {
		if r := s.lives[i].rec; r.ID == id && r.Signer != "" {
			return r.Signer
		}
	}
	return ""
}

// move takes l to state st; the caller holds s.mu. A transition that
// does not exist is a bug in the slot: it is logged and not made.
func (s *slot) move(l *lifecycle, st versionState) {
	if err := l.to(st); err != nil {
		s.log.Errorf("%v", err)
	}
}

// advance is move for a caller not holding s.mu.
func (s *slot) advance(l *lifecycle, st versionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.move(l, st)
}

// ended ends the lifecycle of a version that failed to load: rejected
// when it was refused (its id is in s.rejected), closed when an operator
// command interrupted it or the failure may pass on the next try. l may
// be nil (nothing fetched).
func (s *slot) ended(l *lifecycle, err error, interrupted bool) {
	if l == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l.rec.Reason = err.Error()
	switch {
	case interrupted:
		s.move(l, stateClosed)
		l.rec.Outcome = outcomeDropped
	case errors.Is(err, errRefused) && s.rejected[l.rec.ID] != "":
		s.move(l, stateRejected)
		l.rec.Outcome, l.rec.Class = outcomeRejected, string(refusalClass(err))
	default:
		s.move(l, stateClosed)
		l.rec.Outcome = outcomeFailed
	}
}

// rollbackTarget is the id of the last version that served healthily,
// other than cur and not rejected since; "" and why when there is none.
// The caller holds s.mu.
func (s *slot) rollbackTarget(cur *version) (id, why string) {
	var passed []string
	for i := len(s.lives) - 1; i >= 0; i-- {
		l := s.lives[i]
		switch {
		case l.rec.ID == cur.id || l.state < stateServing || l.state == stateRejected:
		case l.servedHealthily() && s.rejected[l.rec.ID] == "":
			return l.rec.ID, ""
		case s.rejected[l.rec.ID] != "":
			passed = append(passed, fmt.Sprintf("%s is rejected (%s)", l.rec.Origin, s.rejected[l.rec.ID]))
		}
	}
	why = "no other version served healthily in its history"
	if len(passed) > 0 {
		why = strings.Join(slices.Compact(passed), "; ") + "; " + why
	}
	return "", why + " (pin a digest to serve it anyway)"
}

// versionRecords copies the history of lifecycles, newest last, for
// status; the caller holds s.mu.
func (s *slot) versionRecords() []VersionRecord {
	out := make([]VersionRecord, len(s.lives))
	for i, l := range s.lives {
		out[i] = l.rec
		out[i].States = slices.Clone(l.rec.States)
	}
	return out
}

// refusalClass is a refusal's class in runtime's vocabulary: the cause's
// own when it has one, else the step's.
func refusalClass(err error) runtime.Class {
	if c := failureClass(err); c != "" {
		return c
	}
	var r *refusal
	switch {
	case errors.Is(err, runtime.ErrMemoryBudget):
		return runtime.ClassAdmission
	case errors.As(err, &r) && r.step == "verify signature":
		return runtime.ClassSignature
	case errors.As(err, &r) && r.step == "resolve":
		return runtime.ClassAdmission // the reference names no valid digest
	}
	return runtime.ClassHost
}

package host

import (
	"errors"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// trail is the process's audit trail, opened at AuditFile() by the first
// slot that watches its module.
var trail struct {
	mu  sync.Mutex
	log *auditLog
}

// auditTrail returns the process's audit trail, opening it on first use
// and again whenever AuditFile() names another file (an environment
// changed in process, as tests do): an event goes where `weir transform
// audit` looks, never to a trail opened for an earlier setting.
func auditTrail(log *service.Logger) (*auditLog, error) {
	trail.mu.Lock()
	defer trail.mu.Unlock()
	path, err := AuditFile()
	if err != nil {
		return nil, err
	}
	if trail.log != nil && trail.log.path == path {
		return trail.log, nil
	}
	if trail.log, err = openAudit(path, log); err != nil {
		return nil, err
	}
	return trail.log, nil
}

// audit writes an event of s's own: an automatic swap or rollback.
func (s *slot) audit(ev AuditEvent) {
	a, err := auditTrail(s.log)
	if err != nil {
		s.log.Errorf("weir: %s: %v; the event: %s", s.name, err, auditLine(ev))
		return
	}
	ev.Actor, ev.Transform = actorWeir, s.name
	a.write(ev)
}

// auditSwap writes the watcher's swap from the version serving before
// (taken before the swap began) to version to, or its refusal, and passes
// err on. A transient failure (the registry unreachable) changes nothing
// and is retried at the next interval: it is logged and shown in status,
// not audited; an interrupted swap gives way to an operator's command,
// which is audited itself.
func (s *slot) auditSwap(from *version, to string, err error) error {
	ev := AuditEvent{Action: "swap", From: from.id, To: to, Outcome: auditOK, Reason: "following " + s.source.String()}
	switch {
	case errors.Is(err, errInterrupted):
		return err
	case errors.Is(err, errRefused):
		ev.Outcome, ev.Error = auditRefused, err.Error()
	case err != nil:
		return err
	}
	ev.Signer = s.signerOf(to)
	s.audit(ev)
	return err
}

// auditRollback writes an automatic rollback away from version from, and
// passes err on.
func (s *slot) auditRollback(from *version, reason string, err error) error {
	ev := AuditEvent{Action: "rollback", From: from.id, Outcome: auditOK, Reason: reason}
	switch {
	case err != nil:
		ev.Outcome, ev.Error = auditFailed, err.Error()
	case !s.rolledBack(from):
		return nil // swapped away meanwhile: no rollback happened
	default:
		ev.To = s.cur.Load().id
		ev.Signer = s.signerOf(ev.To)
	}
	s.audit(ev)
	return err
}

// rolledBack reports whether from was rolled back (its lifecycle says so).
func (s *slot) rolledBack(from *version) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return from.life.rec.Outcome == outcomeRolledBack
}

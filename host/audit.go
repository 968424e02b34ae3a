package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// AuditEvent is one line of the audit trail: a privileged action (an
// operator's rollback, pin or unpin), an automatic swap or rollback, or a
// refused attempt. The trail is written whatever the log level.
type AuditEvent struct {
	Time time.Time `json:"time"`
	// Actor is who acted: "token:<id>" (a short hash of the bearer token,
	// never the token), "cert:<subject>" (a verified client certificate),
	// "anonymous" (no credential), or "weir" (the process itself).
	Actor     string `json:"actor"`
	Peer      string `json:"peer,omitempty"` // the client's address
	Action    string `json:"action"`         // rollback, pin, unpin, status (refused only), swap
	Transform string `json:"transform,omitempty"`
	From      string `json:"from_digest,omitempty"`   // the version serving before
	To        string `json:"to_digest,omitempty"`     // the version serving after, or the one refused
	Signer    string `json:"signer_key_id,omitempty"` // when known
	Outcome   string `json:"outcome"`                 // ok, failed, refused
	Reason    string `json:"reason,omitempty"`        // why an automatic action was taken
	Error     string `json:"error,omitempty"`
	// Suppressed counts refused attempts left out since the last line
	// written, over the rate limit.
	Suppressed int `json:"suppressed,omitempty"`
	PID        int `json:"pid"`
}

// actorWeir is the process itself as an actor: its watcher and its
// automatic rollback.
const actorWeir = "weir"

// Audit outcomes.
const (
	auditOK      = "ok"
	auditFailed  = "failed"
	auditRefused = "refused"
)

// Bounds of the audit trail: a line is at most maxAuditLine bytes (long
// fields are cut); refused requests, which anyone who can connect may
// cause, are written at most refusalBurst at once and one per
// refusalEvery after that.
const (
	maxAuditLine = 4 << 10
	maxAuditText = 1 << 10 // per free-text field, before the line cap
	refusalBurst = 20
	refusalEvery = time.Second
)

// auditLog appends events to a file, opened for each line (O_APPEND, mode
// 0600) so a log rotated by renaming is followed without a signal, or to
// stderr ("-").
type auditLog struct {
	path string
	log  *service.Logger // where a line that could not be written goes

	mu         sync.Mutex
	tokens     float64 // refusals that may be written now
	last       time.Time
	suppressed int
}

// openAudit checks that path can hold an audit trail: its directory is
// created 0700 if needed and may be written by no other user, nor may the
// file; then it appends nothing and returns.
func openAudit(path string, log *service.Logger) (*auditLog, error) {
	a := &auditLog{path: path, log: log, tokens: refusalBurst, last: time.Now()}
	if path == "-" {
		return a, nil
	}
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("audit trail %s (%s): %w", path, EnvAuditFile, err)
	}
	if _, err := os.Stat(path); err == nil {
		if err := privatePath(path, true); err != nil {
			return nil, fmt.Errorf("audit trail (%s): %w", EnvAuditFile, err)
		}
	}
	f, err := a.open()
	if err != nil {
		return nil, fmt.Errorf("audit trail (%s): %w", EnvAuditFile, err)
	}
	return a, f.Close()
}

func (a *auditLog) open() (*os.File, error) {
	return os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// write appends ev as one line, and reports false for a refusal left out
// over the rate limit. A line that cannot be written is logged at error
// level instead, whole: the event is not lost.
func (a *auditLog) write(ev AuditEvent) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Outcome == auditRefused && ev.Actor != actorWeir && !a.allowRefusal(time.Now()) {
		a.suppressed++
		return false
	}
	ev.Suppressed, a.suppressed = a.suppressed, 0
	line := auditLine(ev)
	if err := a.append(line); err != nil {
		a.log.Errorf("weir: audit trail %s: %v; the event: %s", a.path, err, line)
	}
	return true
}

func (a *auditLog) append(line []byte) error {
	if a.path == "-" {
		_, err := os.Stderr.Write(line)
		return err
	}
	f, err := a.open()
	if err != nil {
		return err
	}
	_, err = f.Write(line) // one write: lines of processes sharing the file do not interleave
	return errors.Join(err, f.Close())
}

// allowRefusal takes a token of the refusals' bucket; the caller holds a.mu.
func (a *auditLog) allowRefusal(now time.Time) bool {
	a.tokens = min(refusalBurst, a.tokens+now.Sub(a.last).Seconds()/refusalEvery.Seconds())
	a.last = now
	if a.tokens < 1 {
		return false
	}
	a.tokens--
	return true
}

// auditLine encodes ev as one JSON line of at most maxAuditLine bytes,
// cutting its free-text fields as much as it takes.
func auditLine(ev AuditEvent) []byte {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	ev.PID = os.Getpid()
	for _, f := range []*string{&ev.Actor, &ev.Peer, &ev.Action, &ev.Transform, &ev.From, &ev.To, &ev.Signer, &ev.Reason, &ev.Error} {
		*f = clip(*f, maxAuditText)
	}
	for n := maxAuditText; ; n /= 2 {
		b, _ := json.Marshal(ev) // strings and numbers: cannot fail
		if len(b) < maxAuditLine || n == 0 {
			return append(b, '\n')
		}
		for _, f := range []*string{&ev.Actor, &ev.Peer, &ev.Action, &ev.Transform, &ev.Reason, &ev.Error} {
			*f = clip(*f, n)
		}
	}
}

// clip cuts s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	const mark = "…(cut)"
	if len(s) <= n {
		return s
	}
	if n <= len(mark) {
		return s[:n]
	}
	return s[:n-len(mark)] + mark
}

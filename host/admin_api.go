package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// The admin API backs `weir transform status|rollback|pin|unpin` for a
// running weir: reads are open to loopback peers, every change needs a
// credential and is written to the audit trail, and so is every refused
// request (docs/registry.md, "Admin API: authentication, audit trail,
// limits").
type adminAPI struct {
	guard   *guard
	audit   *auditLog
	log     *service.Logger
	maxBody int64
	mux     *http.ServeMux
}

// NewAdminHandler serves the admin API over the process's slots. cfg
// needs a Token; the listener and its limits are StartAdmin's.
func NewAdminHandler(cfg AdminConfig, log *service.Logger) (http.Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("admin API: no bearer token (StartAdmin generates one)")
	}
	if cfg.AuditFile == "" {
		if cfg.AuditFile, err = AuditFile(); err != nil {
			return nil, err
		}
	}
	audit, err := openAudit(cfg.AuditFile, log)
	if err != nil {
		return nil, err
	}
	hosts := cfg.Hosts
	if h, _, err := net.SplitHostPort(cfg.Address); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	a := &adminAPI{guard: newGuard(cfg.Token, hosts), audit: audit, log: log, maxBody: cfg.MaxBodyBytes, mux: http.NewServeMux()}
	a.routes()
	return a, nil
}

func (a *adminAPI) routes() {
	a.consoleRoutes()
	a.mux.HandleFunc("GET /weir/transforms", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Transforms())
	})
	a.mux.HandleFunc("POST /weir/transforms/{name}/rollback", a.change("rollback", func(ctx context.Context, s *slot, _ AdminChange) error {
		return s.rollback(ctx, nil, "operator request")
	}))
	a.mux.HandleFunc("POST /weir/transforms/{name}/pin", a.change("pin", func(ctx context.Context, s *slot, req AdminChange) error {
		return s.pin(ctx, req.ID)
	}))
	a.mux.HandleFunc("POST /weir/transforms/{name}/unpin", a.change("unpin", func(_ context.Context, s *slot, _ AdminChange) error {
		s.unpin()
		return nil
	}))
}

func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	actor, denied := a.guard.check(r)
	if denied != nil {
		action, transform := auditedAction(r)
		ev := AuditEvent{Actor: actor, Peer: r.RemoteAddr, Action: action, Transform: transform, Outcome: auditRefused, Error: denied.why}
		if a.audit.write(ev) { // the log is held to the trail's rate for refusals
			a.log.Warnf("weir: admin API: refused %s %q from %s (%s): %s", r.Method, clip(r.URL.Path, 200), r.RemoteAddr, actor, denied.why)
		}
		writeJSON(w, denied.code, map[string]string{"error": denied.why})
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), actorKey{}, actor))
	a.mux.ServeHTTP(w, r)
}

// auditedAction names the action a request asks for, for the audit trail.
func auditedAction(r *http.Request) (action, transform string) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/weir/transforms/")
	if r.Method == http.MethodGet || !ok {
		return "status", ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		return rest[i+1:], rest[:i]
	}
	return "unknown", rest
}

type actorKey struct{}

// AdminChange is the JSON body of a change (POST), all fields optional.
type AdminChange struct {
	ID string `json:"id,omitempty"` // pin: the artifact digest to pin (default: the serving one)
}

// change serves one privileged action on the slot the path names, and
// audits it with the versions serving before and after.
func (a *adminAPI) change(action string, do func(ctx context.Context, s *slot, req AdminChange) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ev := AuditEvent{Actor: r.Context().Value(actorKey{}).(string), Peer: r.RemoteAddr, Action: action, Transform: r.PathValue("name")}
		req, err := a.readChange(w, r)
		s := lookupSlot(ev.Transform)
		switch {
		case err != nil:
			a.answer(w, ev, bodyStatus(err), err)
		case s == nil:
			a.answer(w, ev, http.StatusNotFound, fmt.Errorf("no transform named %q", ev.Transform))
		default:
			ev.From = s.cur.Load().id
			err = do(r.Context(), s, req)
			ev.To = s.cur.Load().id
			if err != nil && req.ID != "" {
				ev.To = req.ID // the version asked for, that did not go live
			}
			ev.Signer = s.signerOf(ev.To)
			if a.answer(w, ev, http.StatusConflict, err) {
				writeJSON(w, http.StatusOK, s.status())
			}
		}
	}
}

// readChange reads a change's body: empty, or a AdminChange of at most
// maxBody bytes. ?id= is the pin's digest too.
func (a *adminAPI) readChange(w http.ResponseWriter, r *http.Request) (AdminChange, error) {
	req := AdminChange{ID: r.URL.Query().Get("id")}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		return req, fmt.Errorf("request body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var b AdminChange
	if err := dec.Decode(&b); err != nil {
		return req, fmt.Errorf("request body: %w", err)
	}
	if b.ID != "" && req.ID != "" && b.ID != req.ID {
		return req, fmt.Errorf("two digests: ?id=%s and a body's %s", req.ID, b.ID)
	}
	if b.ID != "" {
		req.ID = b.ID
	}
	return req, nil
}

// bodyStatus is the status for a body readChange refused.
func bodyStatus(err error) int {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// answer audits ev with err's outcome; on an error it answers code and
// reports false.
func (a *adminAPI) answer(w http.ResponseWriter, ev AuditEvent, code int, err error) bool {
	ev.Outcome = auditOK
	if err != nil {
		ev.Outcome, ev.Error = auditFailed, err.Error()
	}
	a.audit.write(ev)
	if err != nil {
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return false
	}
	return true
}

func lookupSlot(name string) *slot {
	slotsMu.Lock()
	defer slotsMu.Unlock()
	if e := slots[name]; e != nil {
		return e.slot
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

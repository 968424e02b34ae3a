package host

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// The admin API backs `weir transform status|rollback|pin|unpin` for a
// running weir. It starts with the first processor that watches its module,
// on $WEIR_ADMIN_ADDRESS (default 127.0.0.1:4196, "off" to disable). With $WEIR_ADMIN_TOKEN set, every request needs
// "Authorization: Bearer <token>"; without it the API only listens on
// loopback. Changes are logged as an audit trail.
const (
	EnvAdminAddress     = "WEIR_ADMIN_ADDRESS"
	EnvAdminToken       = "WEIR_ADMIN_TOKEN"
	DefaultAdminAddress = "127.0.0.1:4196"
)

// Status is what the admin API reports about one transform slot.
type Status struct {
	Name        string            `json:"name"`
	Source      string            `json:"source"`
	Serving     VersionStatus     `json:"serving"`
	Previous    *VersionStatus    `json:"previous,omitempty"`
	LastGood    string            `json:"last_good,omitempty"` // the version a restart serves if the registry is down
	Pinned      bool              `json:"pinned"`
	Watching    bool              `json:"watching"`
	Rejected    map[string]string `json:"rejected,omitempty"`
	LastFailure *SwapEvent        `json:"last_failure,omitempty"`
	History     []SwapEvent       `json:"history"`
	Versions    []VersionRecord   `json:"versions"` // each version's lifecycle, oldest first (docs/registry.md, "Version lifecycle")
}

// VersionStatus describes a loaded version.
type VersionStatus struct {
	Transform    string    `json:"transform"`
	ID           string    `json:"id"`
	ModuleDigest string    `json:"module_digest"`
	Origin       string    `json:"origin"`
	Since        time.Time `json:"since"`
}

func versionStatus(v *version) VersionStatus {
	return VersionStatus{Transform: v.mod.Manifest.ID(), ID: v.id, ModuleDigest: v.mod.Digest, Origin: v.origin, Since: v.since}
}

func (s *slot) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Name: s.name, Source: s.source.String(), Serving: versionStatus(s.cur.Load()), LastGood: s.lastGood, Pinned: s.pinned,
		Watching: s.watching, Rejected: map[string]string{}, History: append([]SwapEvent{}, s.history...), Versions: s.versionRecords()}
	if s.prev != nil {
		p := versionStatus(s.prev)
		st.Previous = &p
	}
	for k, v := range s.rejected {
		st.Rejected[k] = v
	}
	if s.failure != nil {
		f := *s.failure
		st.LastFailure = &f
	}
	return st
}

// slots are every transform slot of the process, by name.
var (
	slotsMu sync.Mutex
	slots   = map[string]*sharedEntry{}
	admin   sync.Once
)

type sharedEntry struct {
	slot *slot
	key  string // the processor config it serves
	refs int
}

// sharedSlot returns the slot named name for config key, creating it on
// first use; a different config under a taken name gets "name#2".
func sharedSlot(name, key string, create func() (*slot, error)) (*slot, error) {
	slotsMu.Lock()
	defer slotsMu.Unlock()
	unique := name
	for i := 2; slots[unique] != nil; i++ {
		if e := slots[unique]; e.key == key {
			e.refs++
			return e.slot, nil
		}
		unique = fmt.Sprintf("%s#%d", name, i)
	}
	s, err := create()
	if err != nil {
		return nil, err
	}
	s.name = unique
	slots[unique] = &sharedEntry{slot: s, key: key, refs: 1}
	if s.watching {
		admin.Do(func() { startAdmin(s.log) }) // only a version that can change needs operating
	}
	return s, nil
}

// releaseSlot drops one user of s; the last stops its watcher and closes
// the serving version once its batches are done.
func releaseSlot(s *slot) {
	slotsMu.Lock()
	e := slots[s.name]
	if e == nil || e.slot != s {
		slotsMu.Unlock()
		return
	}
	if e.refs--; e.refs > 0 {
		slotsMu.Unlock()
		return
	}
	delete(slots, s.name)
	slotsMu.Unlock()
	s.stop()
	s.mu.Lock()
	s.released = true // a prepare still in flight is dropped, not installed
	s.mu.Unlock()
	s.interrupt() // cancel a prepare in flight…
	if s.watcherDone != nil {
		<-s.watcherDone // …and wait for the watcher to return: no poll of the source, no last-known-good write after Close
	}
	s.swapMu.Lock() // no swap in progress or to come
	defer s.swapMu.Unlock()
	cur := s.cur.Load()
	retire(cur)
	_ = cur.mod.Close(context.Background())
	s.mu.Lock()
	if s.prev != nil {
		_ = s.prev.mod.Close(context.Background())
		s.prev = nil
	}
	s.mu.Unlock()
}

func startAdmin(log *service.Logger) {
	addr := os.Getenv(EnvAdminAddress)
	if addr == "off" {
		return
	}
	if addr == "" {
		addr = DefaultAdminAddress
	}
	token := os.Getenv(EnvAdminToken)
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); token == "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Errorf("weir: admin API not started: %s is not loopback and %s is not set", addr, EnvAdminToken)
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warnf("weir: admin API not started: %v", err)
		return
	}
	log.Infof("weir: admin API on http://%s/weir/transforms", ln.Addr())
	go func() { _ = http.Serve(ln, AdminHandler(token, log)) }()
}

// Transforms reports every transform slot of the process, by name.
func Transforms() []Status {
	slotsMu.Lock()
	all := make([]*slot, 0, len(slots))
	for _, e := range slots {
		all = append(all, e.slot)
	}
	slotsMu.Unlock()
	out := make([]Status, 0, len(all))
	for _, s := range all {
		out = append(out, s.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AdminHandler serves the admin API over the process's slots.
func AdminHandler(token string, log *service.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /weir/transforms", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Transforms())
	})
	change := func(action string, do func(ctx context.Context, s *slot, r *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			slotsMu.Lock()
			var s *slot
			if e := slots[name]; e != nil {
				s = e.slot
			}
			slotsMu.Unlock()
			if s == nil {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no transform named %q", name)})
				return
			}
			err := do(r.Context(), s, r)
			log.Infof("weir: audit: %s %s from %s: %v", action, name, r.RemoteAddr, errText(err))
			if err != nil {
				writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, s.status())
		}
	}
	mux.HandleFunc("POST /weir/transforms/{name}/rollback", change("rollback", func(ctx context.Context, s *slot, _ *http.Request) error {
		return s.rollback(ctx, nil, "operator request")
	}))
	mux.HandleFunc("POST /weir/transforms/{name}/pin", change("pin", func(ctx context.Context, s *slot, r *http.Request) error {
		return s.pin(ctx, r.URL.Query().Get("id"))
	}))
	mux.HandleFunc("POST /weir/transforms/{name}/unpin", change("unpin", func(ctx context.Context, s *slot, _ *http.Request) error {
		s.unpin()
		return nil
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			log.Warnf("weir: audit: refused %s %s from %s: bad or missing token", r.Method, r.URL.Path, r.RemoteAddr)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

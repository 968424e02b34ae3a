package host

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
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
	control sync.Once // starts the admin API (admin_server.go)
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
	if s.watching { // only a version that can change needs operating and auditing
		if err := startControlPlane(s.log); err != nil {
			closeSlot(s)
			return nil, err
		}
	}
	s.name = unique
	slots[unique] = &sharedEntry{slot: s, key: key, refs: 1}
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
	closeSlot(s)
}

// closeSlot stops s's watcher and closes its versions once their batches
// are done: the serving one drains, then is closed (outcome stopped).
func closeSlot(s *slot) {
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
	s.advance(cur.life, stateDraining)
	retire(cur)
	_ = cur.mod.Close(context.Background())
	s.mu.Lock()
	s.move(cur.life, stateClosed)
	cur.life.rec.Outcome = outcomeStopped
	if s.prev != nil {
		_ = s.prev.mod.Close(context.Background())
		s.prev = nil
	}
	s.mu.Unlock()
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

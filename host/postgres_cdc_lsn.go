package host

import (
	"sync"

	"github.com/jackc/pglogrepl"
)

// lsnTracker decides which LSN may be confirmed to the server. Changes get
// a sequence number in delivery order and are acknowledged in any order;
// a fence says "once every change before seq upTo is acknowledged, lsn is
// done" (a commit, or a keepalive between transactions). The confirmed LSN
// only advances over fences whose changes are all acknowledged, so an
// out-of-order ack never confirms past a change still in flight.
type lsnTracker struct {
	mu        sync.Mutex
	next      uint64          // sequence number of the next change
	head      uint64          // lowest sequence number not acknowledged
	acked     map[uint64]bool // acknowledged, at or above head
	fences    []lsnFence      // in order of upTo and lsn
	confirmed pglogrepl.LSN
}

type lsnFence struct {
	upTo uint64
	lsn  pglogrepl.LSN
}

// newLSNTracker starts at the slot's confirmed LSN: what is confirmed never
// goes back.
func newLSNTracker(confirmed pglogrepl.LSN) *lsnTracker {
	return &lsnTracker{acked: map[uint64]bool{}, confirmed: confirmed}
}

// register numbers a change about to be delivered.
func (t *lsnTracker) register() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	return t.next - 1
}

// fence marks lsn done once every change registered so far is acknowledged.
func (t *lsnTracker) fence(lsn pglogrepl.LSN) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.fences); lsn <= t.confirmed || n > 0 && lsn <= t.fences[n-1].lsn {
		return
	}
	t.fences = append(t.fences, lsnFence{upTo: t.next, lsn: lsn})
	t.settle()
}

// ack marks changes acknowledged.
func (t *lsnTracker) ack(seqs []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range seqs {
		if s >= t.head {
			t.acked[s] = true
		}
	}
	for t.acked[t.head] {
		delete(t.acked, t.head)
		t.head++
	}
	t.settle()
}

func (t *lsnTracker) settle() {
	for len(t.fences) > 0 && t.fences[0].upTo <= t.head {
		t.confirmed = t.fences[0].lsn
		t.fences = t.fences[1:]
	}
}

// confirmedLSN is the LSN to report as flushed.
func (t *lsnTracker) confirmedLSN() pglogrepl.LSN {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.confirmed
}

// inFlight counts changes delivered and not acknowledged.
func (t *lsnTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(t.next - t.head)
}

// Package ledger checks delivery claims end to end: it writes N keyed,
// sequence-numbered records into a Kafka topic or a JetStream subject, then reads the output and
// dead-letter topics (subjects) back and reports what is missing, duplicated,
// misplaced (not where the transform should have sent it) or out of order
// per key. Every tenth record is deliberately not JSON, so a JSON transform
// (the mask) must send it to the dead-letter topic.
package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is one ledger entry as written.
type Record struct {
	Key string `json:"key"`
	Seq int    `json:"seq"` // global sequence number
	N   int    `json:"n"`   // sequence within the key
}

// Bad reports whether record seq is written as non-JSON (dead-letter bound).
func Bad(seq int) bool { return seq%10 == 9 }

func encode(r Record) []byte {
	if Bad(r.Seq) {
		return []byte(fmt.Sprintf("bad %s %d %d", r.Key, r.Seq, r.N))
	}
	b, _ := json.Marshal(r)
	return b
}

func decode(v []byte) (Record, error) {
	var r Record
	if strings.HasPrefix(string(v), "bad ") {
		f := strings.Fields(string(v))
		if len(f) != 4 {
			return r, fmt.Errorf("unreadable record %q", v)
		}
		r.Key = f[1]
		r.Seq, _ = strconv.Atoi(f[2])
		r.N, _ = strconv.Atoi(f[3])
		return r, nil
	}
	err := json.Unmarshal(v, &r)
	return r, err
}

// Write produces n records over keys keys into topic.
func Write(ctx context.Context, cl *kgo.Client, topic string, n, keys int) error {
	perKey := make([]int, keys)
	batch := make([]*kgo.Record, 0, 1000)
	for seq := 0; seq < n; seq++ {
		k := seq % keys
		r := Record{Key: "k" + strconv.Itoa(k), Seq: seq, N: perKey[k]}
		perKey[k]++
		batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(r.Key), Value: encode(r)})
		if len(batch) == cap(batch) || seq == n-1 {
			if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// Report is what the check found.
type Report struct {
	Expected, Seen        int
	Missing, Duplicated   int
	Misplaced, Inversions int
	ByTopic               map[string]int
	FirstMissing          []int
}

func (r Report) String() string {
	return fmt.Sprintf("expected %d, seen %d (%v): missing %d, duplicated %d, misplaced %d, per-key order inversions %d",
		r.Expected, r.Seen, r.ByTopic, r.Missing, r.Duplicated, r.Misplaced, r.Inversions)
}

// Check reads out and dlq until every one of n records was seen, nothing
// new arrived for idle after the first record, or ctx ends, and compares
// with what Write wrote.
func Check(ctx context.Context, cl *kgo.Client, out, dlq string, n int, idle time.Duration) (Report, error) {
	t := newTally(n, dlq)
	for t.waiting(idle) && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fetches := cl.PollFetches(pctx)
		cancel()
		var err error
		fetches.EachRecord(func(kr *kgo.Record) {
			if e := t.add(kr.Topic, kr.Value); e != nil && err == nil {
				err = fmt.Errorf("topic %s offset %d: %w", kr.Topic, kr.Offset, e)
			}
		})
		if err != nil {
			return t.rep, err
		}
	}
	return t.report(), nil
}

// tally counts what a check reads, from any broker.
type tally struct {
	rep   Report
	dlq   string
	seen  []int
	lastN map[string]int
	last  time.Time // idle counts only once records flow: start-up may be slow
}

func newTally(n int, dlq string) *tally {
	return &tally{rep: Report{Expected: n, ByTopic: map[string]int{}}, dlq: dlq, seen: make([]int, n), lastN: map[string]int{}}
}

// waiting reports whether records are still expected.
func (t *tally) waiting(idle time.Duration) bool {
	if t.rep.Seen >= t.rep.Expected && allSeen(t.seen) {
		return false
	}
	return t.last.IsZero() || time.Since(t.last) < idle
}

// add counts one record read from topic (a Kafka topic or NATS subject).
func (t *tally) add(topic string, value []byte) error {
	r, err := decode(value)
	if err != nil {
		return err
	}
	if r.Seq < 0 || r.Seq >= t.rep.Expected {
		return fmt.Errorf("sequence %d out of range", r.Seq)
	}
	t.last = time.Now()
	t.rep.Seen++
	t.rep.ByTopic[topic]++
	t.seen[r.Seq]++
	if (topic == t.dlq) != Bad(r.Seq) {
		t.rep.Misplaced++
	}
	k := topic + "/" + r.Key
	if prev, ok := t.lastN[k]; ok && r.N < prev && t.seen[r.Seq] == 1 {
		t.rep.Inversions++ // a first delivery older than one already seen
	}
	t.lastN[k] = max(t.lastN[k], r.N)
	return nil
}

func (t *tally) report() Report {
	for seq, c := range t.seen {
		switch {
		case c == 0:
			t.rep.Missing++
			if len(t.rep.FirstMissing) < 10 {
				t.rep.FirstMissing = append(t.rep.FirstMissing, seq)
			}
		case c > 1:
			t.rep.Duplicated += c - 1
		}
	}
	return t.rep
}

func allSeen(seen []int) bool {
	for _, c := range seen {
		if c == 0 {
			return false
		}
	}
	return true
}

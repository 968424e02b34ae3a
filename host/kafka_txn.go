package host

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Field names of the exactly-once mode, shared by the kafka input and output.
const (
	fieldTxn        = "transaction"
	fieldTxnID      = "id"
	fieldTxnTimeout = "timeout"
	fieldTxnBatches = "max_batches"
	fieldTxnPeriod  = "max_period"
)

func kafkaTxnInputField() *service.ConfigField {
	return service.NewObjectField(fieldTxn,
		service.NewStringField(fieldTxnID).
			Description("Kafka transactional ID, and the name the kafka outputs of this stream join it by. Empty (the default): at-least-once. Every process needs its own (for example `orders-eos-${HOSTNAME}`); a restart with the same ID fences and aborts what the previous process left open.").
			Default(""),
		service.NewDurationField(fieldTxnTimeout).
			Description("How long the broker lets a transaction stay open before aborting it. It bounds how long a crashed process with a different ID holds back read_committed consumers; it must exceed the time one transaction's batches take through the pipeline.").
			Default("30s"),
		service.NewIntField(fieldTxnBatches).
			Description("Most input batches one transaction spans; the transaction ends when all of them were written.").
			Default(1),
		service.NewDurationField(fieldTxnPeriod).
			Description("Longest a transaction waits for more batches before ending (with max_batches above 1).").
			Default("100ms"),
	).Description("Exactly-once mode: consume, transform, produce and commit the consumed offsets in one Kafka transaction. Every kafka output of the stream must name the same id. Nacks abort the transaction: its records are read again (auto_replay_nacks and max_uncommitted do not apply). See docs/deploy.md, \"Exactly-once\".").Advanced()
}

func kafkaTxnOutputField() *service.ConfigField {
	return service.NewObjectField(fieldTxn,
		service.NewStringField(fieldTxnID).
			Description("Produce inside the transaction of the kafka input with this transaction.id. Empty (the default): an idempotent producer of its own, at-least-once.").
			Default(""),
	).Description("Exactly-once mode; see the kafka input's transaction.").Advanced()
}

// txnSessions holds the exactly-once sessions of this process by transaction
// ID: a kafka input claims one, kafka outputs join it. A transactional ID
// used twice would fence itself, so an ID is claimed at most once.
var txnSessions = struct {
	sync.Mutex
	byID map[string]*txnSession
}{byID: map[string]*txnSession{}}

// txnSession is what the input and the outputs sharing a transaction know
// of each other: the producer settings the outputs ask for, and the client
// the input built from them.
type txnSession struct {
	id string

	mu      sync.Mutex
	outputs int
	codec   string // compression of the outputs ("" until one joined)
	manual  bool   // the outputs choose partitions
	sess    *kgo.GroupTransactSession
}

// claimTxnSession registers the input side of id.
func claimTxnSession(id string) (*txnSession, error) {
	txnSessions.Lock()
	defer txnSessions.Unlock()
	if _, ok := txnSessions.byID[id]; ok {
		return nil, fmt.Errorf("kafka input: transaction.id %q is already used by another kafka input of this process; give each input its own (two producers with one transactional ID fence each other)", id)
	}
	s := &txnSession{id: id}
	txnSessions.byID[id] = s
	return s, nil
}

// release forgets the session, so a later stream may claim its ID again.
func (s *txnSession) release() {
	txnSessions.Lock()
	defer txnSessions.Unlock()
	if txnSessions.byID[s.id] == s {
		delete(txnSessions.byID, s.id)
	}
}

// joinTxnSession registers an output side of id. Benthos builds a stream's
// input before its outputs, so the input of the same stream has claimed the
// ID already if it has it at all.
func joinTxnSession(id, codec string, manual bool) (*txnSession, error) {
	txnSessions.Lock()
	s, ok := txnSessions.byID[id]
	known := make([]string, 0, len(txnSessions.byID))
	for k := range txnSessions.byID {
		known = append(known, fmt.Sprintf("%q", k))
	}
	txnSessions.Unlock()
	if !ok {
		sort.Strings(known)
		return nil, fmt.Errorf("kafka output: transaction.id %q: no kafka input has this transaction.id (inputs with one: %v); exactly-once needs the kafka input and every kafka output of the stream to name the same id", id, known)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outputs > 0 && (s.codec != codec || s.manual != manual) {
		return nil, fmt.Errorf("kafka output: transaction.id %q: the outputs sharing a transaction share one producer, so they must agree on compression (%s here, %s before) and on whether partition is set", id, codec, s.codec)
	}
	s.outputs++
	s.codec, s.manual = codec, manual
	return s, nil
}

// producerOpts are the options the outputs' settings add to the input's
// client; an error when no output joined.
func (s *txnSession) producerOpts(timeout time.Duration) ([]kgo.Opt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outputs == 0 {
		return nil, fmt.Errorf("kafka input: transaction.id %q: no kafka output of this stream has this transaction.id, so nothing would be written inside the transaction; set transaction.id %q on the kafka output (and on its dead-letter output), or remove it from the input for at-least-once", s.id, s.id)
	}
	opts := []kgo.Opt{
		kgo.TransactionalID(s.id),
		kgo.TransactionTimeout(timeout),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(compressionCodec(s.codec)),
	}
	if s.manual {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	return opts, nil
}

func (s *txnSession) set(sess *kgo.GroupTransactSession) {
	s.mu.Lock()
	s.sess = sess
	s.mu.Unlock()
}

func (s *txnSession) current() *kgo.GroupTransactSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

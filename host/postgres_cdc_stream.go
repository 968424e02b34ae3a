package host

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// cdcStream turns the replication stream into changes. It alone uses the
// replication connection: it receives, and it sends the standby status
// updates (every heartbeat, when the server asks, and at the end).
type cdcStream struct {
	st   *cdcSession
	rels map[uint32]*cdcRelation // by relation OID, from relation messages

	inTxn      bool
	xid        uint32
	commitTime time.Time
	status     time.Time     // when the next status update is due
	sent       pglogrepl.LSN // the LSN last reported
	sentAt     time.Time
}

// confirmFlush is how soon a moved confirmed LSN is reported, at most
// once per interval: a crash replays what was acknowledged since the last
// report, so it bounds that replay to this long's worth of acks.
const confirmFlush = 100 * time.Millisecond

// statusDue: the heartbeat is due, or the confirmed LSN moved and was not
// reported for confirmFlush.
func (s *cdcStream) statusDue() bool {
	now := time.Now()
	return !now.Before(s.status) || s.st.tracker.confirmedLSN() != s.sent && now.Sub(s.sentAt) >= confirmFlush
}

// wake is when the receive loop looks up from the stream: at the
// heartbeat, or soon while changes are in flight (their acks move the LSN).
func (s *cdcStream) wake() time.Time {
	if s.st.tracker.inFlight() > 0 {
		if soon := time.Now().Add(confirmFlush); soon.Before(s.status) {
			return soon
		}
	}
	return s.status
}

func (s *cdcStream) loop(ctx context.Context) error {
	defer s.sendStatus() // the acknowledged changes' LSN survives a restart
	s.status = time.Now().Add(s.st.conf.heartbeat)
	for {
		if s.statusDue() {
			if err := s.sendStatus(); err != nil {
				return err
			}
		}
		rctx, cancel := context.WithDeadline(ctx, s.wake())
		raw, err := s.st.repl.ReceiveMessage(rctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if pgconn.Timeout(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("postgres_cdc: replication stream: %w", err)
		}
		if err := s.receive(ctx, raw); err != nil {
			return err
		}
	}
}

func (s *cdcStream) receive(ctx context.Context, raw pgproto3.BackendMessage) error {
	switch m := raw.(type) {
	case *pgproto3.ErrorResponse:
		return fmt.Errorf("postgres_cdc: replication stream: %w", pgconn.ErrorResponseToPgError(m))
	case *pgproto3.CopyData:
		if len(m.Data) == 0 {
			return fmt.Errorf("postgres_cdc: replication stream: an empty CopyData message")
		}
		switch m.Data[0] {
		case pglogrepl.PrimaryKeepaliveMessageByteID:
			return s.keepalive(m.Data[1:])
		case pglogrepl.XLogDataByteID:
			x, err := pglogrepl.ParseXLogData(m.Data[1:])
			if err != nil {
				return fmt.Errorf("postgres_cdc: replication stream: %w", err)
			}
			return s.walData(ctx, x)
		}
	}
	return nil
}

// keepalive: between transactions, everything up to the server's WAL end
// was delivered, so it is confirmed once those changes are acknowledged:
// an idle or unpublished-only database does not pin WAL.
func (s *cdcStream) keepalive(b []byte) error {
	k, err := pglogrepl.ParsePrimaryKeepaliveMessage(b)
	if err != nil {
		return fmt.Errorf("postgres_cdc: replication stream: %w", err)
	}
	if !s.inTxn {
		s.st.tracker.fence(k.ServerWALEnd)
	}
	if k.ReplyRequested {
		return s.sendStatus()
	}
	return nil
}

func (s *cdcStream) sendStatus() error {
	s.status = time.Now().Add(s.st.conf.heartbeat)
	lsn := s.st.tracker.confirmedLSN()
	if lsn == 0 {
		return nil
	}
	s.sent, s.sentAt = lsn, time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := pglogrepl.SendStandbyStatusUpdate(ctx, s.st.repl, pglogrepl.StandbyStatusUpdate{WALWritePosition: lsn})
	if err != nil {
		return fmt.Errorf("postgres_cdc: standby status update: %w", err)
	}
	return nil
}

func (s *cdcStream) walData(ctx context.Context, x pglogrepl.XLogData) error {
	msg, err := parseLogical(x.WALData)
	if err != nil {
		return fmt.Errorf("postgres_cdc: at %s: %w", x.WALStart, err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		s.rels[m.RelationID] = newCDCRelation(m, s.st.keys[m.RelationID])
	case *pglogrepl.BeginMessage:
		s.inTxn, s.xid, s.commitTime = true, m.Xid, m.CommitTime
	case *pglogrepl.CommitMessage:
		s.inTxn = false
		s.st.tracker.fence(m.TransactionEndLSN)
	case *pglogrepl.InsertMessage:
		return s.change(ctx, x.WALStart, m.RelationID, "insert", nil, 0, m.Tuple)
	case *pglogrepl.UpdateMessage:
		return s.change(ctx, x.WALStart, m.RelationID, "update", m.OldTuple, m.OldTupleType, m.NewTuple)
	case *pglogrepl.DeleteMessage:
		return s.change(ctx, x.WALStart, m.RelationID, "delete", m.OldTuple, m.OldTupleType, nil)
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			if err := s.change(ctx, x.WALStart, id, "truncate", nil, 0, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseLogical decodes a pgoutput message. pglogrepl indexes the bytes it
// is given without checking their length: a truncated or hostile message
// would panic, so a panic here is the message's error, not weir's crash.
func parseLogical(b []byte) (m pglogrepl.Message, err error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("an empty pgoutput message")
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("a malformed pgoutput message (type %q, %d bytes): %v", b[0], len(b), r)
		}
	}()
	return pglogrepl.Parse(b)
}

// change builds one change's message and delivers it.
func (s *cdcStream) change(ctx context.Context, lsn pglogrepl.LSN, rel uint32, op string, old *pglogrepl.TupleData, oldKind uint8, new *pglogrepl.TupleData) error {
	r := s.rels[rel]
	if r == nil {
		return fmt.Errorf("postgres_cdc: at %s: a change to relation %d before its relation message", lsn, rel)
	}
	before, _, err := r.row(s.st.types, old, oldKind == pglogrepl.UpdateMessageTupleTypeKey)
	if err != nil {
		return err
	}
	after, toast, err := r.row(s.st.types, new, false)
	if err != nil {
		return err
	}
	toast = fillToast(after, before, toast)
	env := &cdcEnvelope{Op: op, Before: before, After: after, Source: cdcSource{LSN: lsn.String(), Xid: s.xid,
		CommitTime: s.commitTime.UTC().Format(time.RFC3339Nano), UnchangedToast: toast}}
	keyRow := after // an update that changed the key is keyed by the new one; before has the old
	if keyRow == nil {
		keyRow = before
	}
	m, err := cdcMessage(r, env, keyRow)
	if err != nil {
		return err
	}
	return s.deliver(ctx, cdcChange{seq: s.st.tracker.register(), msg: m})
}

// fillToast takes unchanged TOAST values from the old row where it has
// them (REPLICA IDENTITY FULL sends it whole) and returns those still
// missing.
func fillToast(after, before map[string]any, toast []string) []string {
	var missing []string
	for _, col := range toast {
		if v, ok := before[col]; ok {
			after[col] = v
		} else {
			missing = append(missing, col)
		}
	}
	return missing
}

// deliver hands a change to ReadBatch, still sending status updates
// while the pipeline is full (the server drops a silent client after
// wal_sender_timeout).
func (s *cdcStream) deliver(ctx context.Context, c cdcChange) error {
	for {
		t := time.NewTimer(time.Until(s.wake()))
		select {
		case s.st.out <- c:
			t.Stop()
			return nil
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
			if !s.statusDue() {
				continue
			}
			if err := s.sendStatus(); err != nil {
				return err
			}
		}
	}
}

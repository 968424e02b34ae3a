package ledger

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CDCSchema is the table WriteCDC changes. REPLICA IDENTITY FULL: a
// delete's before carries the row, whose del_seq is the delete's own
// sequence number.
const CDCSchema = `CREATE TABLE ledger (k int PRIMARY KEY, n int NOT NULL, seq int NOT NULL, del_seq int NOT NULL, secret jsonb NOT NULL);
ALTER TABLE ledger REPLICA IDENTITY FULL`

// CDCMapping turns a postgres_cdc change of the ledger table into the
// Record Check reads (after the mask, which sees the change itself).
const CDCMapping = `root = if this.op == "delete" {
  {"key": "k" + this.before.k.string(), "seq": this.before.del_seq, "n": this.before.n + 1}
} else {
  {"key": "k" + this.after.k.string(), "seq": this.after.seq, "n": this.after.n}
}`

// WriteCDC makes n row changes over keys keys (a multiple of 10), in
// transactions of one change per key. Change seq is key seq%keys's change
// number seq/keys: every tenth of a key's changes (from the first) is an
// insert, the one before it a delete, the rest updates. A key whose
// changes are Bad (seq%10 == 9, the same for all of a key's changes when
// keys is a multiple of 10) holds a secret the mask refuses (an object
// where it masks an email), so all its changes belong in the dead-letter
// topic.
func WriteCDC(ctx context.Context, conn *pgx.Conn, n, keys int) error {
	if keys%10 != 0 || n%keys != 0 {
		return fmt.Errorf("ledger: WriteCDC: keys %d must be a multiple of 10 and divide n %d", keys, n)
	}
	for round := 0; round < n/keys; round++ {
		b := &pgx.Batch{}
		for k := 0; k < keys; k++ {
			queueChange(b, round, k, round*keys+k, keys)
		}
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("ledger: write round %d: %w", round, err)
		}
	}
	return nil
}

func queueChange(b *pgx.Batch, n, k, seq, keys int) {
	secret := `"someone@example.com"`
	if Bad(seq) {
		secret = `{"not": "an email"}`
	}
	delSeq := -1
	if n%10 == 8 {
		delSeq = seq + keys // the key's next change, a delete
	}
	switch n % 10 {
	case 0:
		b.Queue("INSERT INTO ledger VALUES ($1, $2, $3, $4, $5)", k, n, seq, delSeq, secret)
	case 9:
		b.Queue("DELETE FROM ledger WHERE k = $1", k)
	default:
		b.Queue("UPDATE ledger SET n = $2, seq = $3, del_seq = $4, secret = $5 WHERE k = $1", k, n, seq, delSeq, secret)
	}
}

package host

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// readSnapshot emits every row of the captured tables as op "read", from
// the snapshot the slot exported: the streaming that follows starts at the
// same point, so each committed change is in exactly one of the two.
func (st *cdcSession) readSnapshot(ctx context.Context) error {
	for _, t := range st.tables {
		if err := st.readTable(ctx, t); err != nil || ctx.Err() != nil {
			return err
		}
	}
	err := st.snap.Commit(ctx)
	st.snap = nil
	if err != nil {
		return fmt.Errorf("postgres_cdc: end the snapshot: %w", err)
	}
	return nil
}

func (st *cdcSession) readTable(ctx context.Context, t pgTable) error {
	rows, err := st.snap.Query(ctx, "SELECT * FROM "+t.quoted(), pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		return fmt.Errorf("postgres_cdc: snapshot of %s: %w", t, err)
	}
	defer rows.Close()
	r := &cdcRelation{table: t.String(), pk: st.keys[t.oid]}
	for _, f := range rows.FieldDescriptions() {
		r.cols = append(r.cols, cdcColumn{name: f.Name, oid: f.DataTypeOID})
	}
	for rows.Next() {
		row := make(map[string]any, len(r.cols))
		for i, v := range rows.RawValues() {
			row[r.cols[i].name] = nil
			if v != nil {
				row[r.cols[i].name] = pgValue(st.types, r.cols[i].oid, v)
			}
		}
		env := &cdcEnvelope{Op: "read", After: row, Source: cdcSource{LSN: st.start.String()}}
		m, err := cdcMessage(r, env, row)
		if err != nil {
			return err
		}
		select {
		case st.out <- cdcChange{seq: st.tracker.register(), msg: m}:
		case <-ctx.Done():
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres_cdc: snapshot of %s: %w", t, err)
	}
	return nil
}

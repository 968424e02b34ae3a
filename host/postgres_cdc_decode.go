package host

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// cdcEnvelope is a change message's body (documented in the input's spec).
type cdcEnvelope struct {
	Op     string         `json:"op"`
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	Source cdcSource      `json:"source"`
}

type cdcSource struct {
	LSN            string   `json:"lsn"`
	Xid            uint32   `json:"xid,omitempty"`
	Table          string   `json:"table"`
	CommitTime     string   `json:"commit_time,omitempty"`
	UnchangedToast []string `json:"unchanged_toast,omitempty"`
}

// cdcColumn is a column of a relation as the stream describes it.
type cdcColumn struct {
	name string
	oid  uint32
	key  bool // part of the replica identity
}

// cdcRelation is a table's current shape: a relation message replaces it,
// so a column added or dropped mid-stream shows from the next change on.
type cdcRelation struct {
	table string
	cols  []cdcColumn
	pk    []string // primary key columns; empty: use the replica identity
}

func newCDCRelation(m *pglogrepl.RelationMessage, pk []string) *cdcRelation {
	r := &cdcRelation{table: m.Namespace + "." + m.RelationName, pk: pk}
	for _, c := range m.Columns {
		r.cols = append(r.cols, cdcColumn{name: c.Name, oid: c.DataType, key: c.Flags&1 != 0})
	}
	return r
}

// row decodes a tuple; onlyKey keeps the replica identity columns (a 'K'
// tuple sends the others as null). Unchanged TOAST columns are left out
// and named.
func (r *cdcRelation) row(types *pgtype.Map, t *pglogrepl.TupleData, onlyKey bool) (map[string]any, []string, error) {
	if t == nil {
		return nil, nil, nil
	}
	if len(t.Columns) != len(r.cols) {
		return nil, nil, fmt.Errorf("postgres_cdc: %s: a tuple of %d columns for a relation of %d", r.table, len(t.Columns), len(r.cols))
	}
	row := make(map[string]any, len(r.cols))
	var toast []string
	for i, c := range t.Columns {
		col := r.cols[i]
		switch {
		case onlyKey && !col.key:
		case c.DataType == pglogrepl.TupleDataTypeToast:
			toast = append(toast, col.name)
		case c.DataType == pglogrepl.TupleDataTypeNull:
			row[col.name] = nil
		default:
			row[col.name] = pgValue(types, col.oid, c.Data)
		}
	}
	return row, toast, nil
}

// key is the change's primary key values as a JSON array.
func (r *cdcRelation) key(row map[string]any) string {
	var vals []any
	if len(r.pk) > 0 {
		for _, c := range r.pk {
			vals = append(vals, row[c])
		}
	} else {
		for _, c := range r.cols {
			if c.key {
				vals = append(vals, row[c.name])
			}
		}
	}
	if vals == nil {
		vals = []any{}
	}
	b, _ := json.Marshal(vals)
	return string(b)
}

// cdcMessage builds a change's message and metadata.
func cdcMessage(r *cdcRelation, env *cdcEnvelope, keyRow map[string]any) (*service.Message, error) {
	env.Source.Table = r.table
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: %s: encode change: %w", r.table, err)
	}
	m := service.NewMessage(b)
	m.MetaSetMut("pg_table", r.table)
	m.MetaSetMut("pg_op", env.Op)
	m.MetaSetMut("pg_lsn", env.Source.LSN)
	m.MetaSetMut("pg_key", r.key(keyRow))
	return m, nil
}

// OIDs decoded specially (pgtype's constants).
var (
	pgExactText = map[uint32]bool{pgtype.NumericOID: true}
	pgJSON      = map[uint32]bool{pgtype.JSONOID: true, pgtype.JSONBOID: true}
)

// pgValue decodes a column's text form by its type, by the rules in the
// input's spec; what pgtype does not know (enums, domains of unknown
// types…) or cannot decode stays its text.
func pgValue(types *pgtype.Map, oid uint32, text []byte) any {
	switch {
	case pgExactText[oid]:
		return string(text)
	case pgJSON[oid]:
		if json.Valid(text) {
			return json.RawMessage(append([]byte(nil), text...))
		}
		return string(text)
	}
	typ, ok := types.TypeForOID(oid)
	if !ok {
		return string(text)
	}
	v, err := typ.Codec.DecodeValue(types, oid, pgtype.TextFormatCode, text)
	if err != nil {
		return string(text)
	}
	if j, ok := jsonValue(types, oid, v); ok {
		return j
	}
	return string(text)
}

// jsonValue maps a decoded value to JSON; ok false: use the text form.
func jsonValue(types *pgtype.Map, oid uint32, v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, string, int16, int32, int64:
		return x, true
	case float32:
		return jsonFloat(float64(x)), true
	case float64:
		return jsonFloat(x), true
	case []byte:
		return base64.StdEncoding.EncodeToString(x), true
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]), true
	case time.Time:
		return pgTime(oid, x), true
	case []any:
		elem := arrayElement(types, oid)
		out := make([]any, len(x))
		for i, e := range x {
			j, ok := jsonValue(types, elem, e)
			if !ok {
				return nil, false
			}
			out[i] = j
		}
		return out, true
	}
	return nil, false
}

// arrayElement is an array type's element OID (0 if unknown).
func arrayElement(types *pgtype.Map, oid uint32) uint32 {
	if typ, ok := types.TypeForOID(oid); ok {
		if ac, ok := typ.Codec.(*pgtype.ArrayCodec); ok && ac.ElementType != nil {
			return ac.ElementType.OID
		}
	}
	return 0
}

func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return f
}

// pgTime formats by the column's (or array element's) type.
func pgTime(oid uint32, t time.Time) string {
	switch oid {
	case pgtype.DateOID:
		return t.Format("2006-01-02")
	case pgtype.TimestampOID:
		return t.Format("2006-01-02T15:04:05.999999999")
	}
	return t.UTC().Format(time.RFC3339Nano)
}

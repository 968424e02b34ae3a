//go:build wasip1

// Command fieldsconformance is a raw guest of field projection (docs/abi.md
// §4b), written against the wire format alone, without weir's SDK: the
// runtime's own check of the projection vectors (sdk/testdata/projection.json).
// Its config is {"paths": [...]}; each string field it receives is a
// command, obeyed in field order:
//
//	keep | set:TEXT | json:RAW | drop | error:MSG | route:P1,P2
//	meta:K=V | getmeta:K | type | fanout:N
//
// Fields of other types get no replacement.
package main

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"unsafe"
)

var (
	inbuf  []byte
	out    []byte
	decl   []byte
	errMsg []byte
)

func main() {}

func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

//go:wasmexport weir_buffer
func weirBuffer(size uint32) uint32 {
	if uint32(cap(inbuf)) < size {
		inbuf = make([]byte, size)
	}
	inbuf = inbuf[:cap(inbuf)]
	return uint32(uintptr(unsafe.Pointer(&inbuf[0])))
}

//go:wasmexport weir_init
func weirInit(n uint32) uint64 {
	var cfg struct{ Paths []string }
	if err := json.Unmarshal(inbuf[:n], &cfg); err != nil {
		errMsg = []byte("config: " + err.Error())
		return pack(errMsg)
	}
	decl = binary.LittleEndian.AppendUint32(nil, uint32(len(cfg.Paths)))
	for _, p := range cfg.Paths {
		decl = appendBytes(decl, []byte(p))
	}
	return 0
}

//go:wasmexport weir_fields
func weirFields() uint64 { return pack(decl) }

//go:wasmexport weir_process
func weirProcess(n uint32) uint64 { panic("this guest projects: weir_process must not be called") }

//go:wasmexport weir_process_fields
func weirProcessFields(n uint32) uint64 {
	r := reader{b: inbuf[:n]}
	count := r.u32()
	out = binary.LittleEndian.AppendUint32(out[:0], 0)
	entries := uint32(0)
	for idx := uint32(0); idx < count; idx++ {
		entries += record(idx, &r)
	}
	binary.LittleEndian.PutUint32(out, entries)
	return pack(out)
}

type reader struct {
	b   []byte
	pos int
}

func (r *reader) u32() uint32 {
	v := binary.LittleEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

func (r *reader) bytes() []byte {
	n := int(r.u32())
	r.pos += n
	return r.b[r.pos-n : r.pos]
}

type field struct {
	typ   byte
	value []byte
}

type repl struct {
	field uint32
	typ   byte
	value []byte
}

// verdict is what the commands of one record decided.
type verdict struct {
	drop    bool
	err     string
	failed  bool
	ports   []string
	meta    [][2]string
	repls   []repl
	fanout  int // field index of a fanout command, -1 if none
	fanoutN int
}

func record(idx uint32, r *reader) uint32 {
	fs := make([]field, r.u32())
	for i := range fs {
		r.u32() // path index
		fs[i].typ = r.b[r.pos]
		r.pos++
		fs[i].value = r.bytes()
	}
	meta := map[string]string{}
	for n := r.u32(); n > 0; n-- {
		k := string(r.bytes())
		meta[k] = string(r.bytes())
	}
	v := verdict{fanout: -1}
	for i, f := range fs {
		if f.typ == 1 && !v.drop && !v.failed {
			v.obey(uint32(i), f, meta)
		}
	}
	return v.write(idx)
}

func (v *verdict) set(i uint32, typ byte, value string) {
	v.repls = append(v.repls, repl{i, typ, []byte(value)})
}

func (v *verdict) obey(i uint32, f field, meta map[string]string) {
	verb, arg, _ := strings.Cut(string(f.value), ":")
	switch verb {
	case "keep":
	case "set":
		v.set(i, 1, arg)
	case "json":
		v.set(i, 0, arg)
	case "drop":
		v.drop = true
	case "error":
		v.failed, v.err = true, arg
	case "route":
		v.ports = append(v.ports, strings.Split(arg, ",")...)
	case "meta":
		k, val, _ := strings.Cut(arg, "=")
		v.meta = append(v.meta, [2]string{k, val})
	case "getmeta":
		val, ok := meta[arg]
		if !ok {
			val = "<none>"
		}
		v.set(i, 1, val)
	case "type":
		v.set(i, 1, strconv.Itoa(int(f.typ)))
	case "fanout":
		v.fanout, v.fanoutN = int(i), 0
		v.fanoutN, _ = strconv.Atoi(arg)
	default:
		v.failed, v.err = true, "unknown command "+verb
	}
}

// write appends the record's entries and returns how many.
func (v *verdict) write(idx uint32) uint32 {
	le := binary.LittleEndian
	switch {
	case v.failed:
		out = appendBytes(append(le.AppendUint32(out, idx), 3), []byte(v.err))
		return 1
	case v.drop:
		out = append(le.AppendUint32(out, idx), 2)
		return 1
	case v.fanout >= 0:
		for c := 0; c < v.fanoutN; c++ {
			v.emit(idx, "", v.with(uint32(v.fanout), strconv.Itoa(c)))
		}
		return uint32(v.fanoutN)
	case len(v.ports) > 0:
		for _, p := range v.ports {
			v.emit(idx, p, v.repls)
		}
		return uint32(len(v.ports))
	}
	v.emit(idx, "", v.repls)
	return 1
}

// with is the replacements with field i set to text, in field order.
func (v *verdict) with(i uint32, text string) []repl {
	var rs []repl
	done := false
	for _, r := range v.repls {
		if !done && r.field >= i {
			rs, done = append(rs, repl{i, 1, []byte(text)}), true
			if r.field == i {
				continue
			}
		}
		rs = append(rs, r)
	}
	if !done {
		rs = append(rs, repl{i, 1, []byte(text)})
	}
	return rs
}

func (v *verdict) emit(idx uint32, port string, repls []repl) {
	le := binary.LittleEndian
	var flags byte
	if port != "" {
		flags |= 2
	}
	if len(v.meta) > 0 {
		flags |= 4
	}
	if len(repls) > 0 {
		flags |= 8
	}
	out = append(le.AppendUint32(out, idx), 1, flags)
	if port != "" {
		out = appendBytes(out, []byte(port))
	}
	if len(v.meta) > 0 {
		out = le.AppendUint32(out, uint32(len(v.meta)))
		for _, kv := range v.meta {
			out = appendBytes(appendBytes(append(out, 1), []byte(kv[0])), []byte(kv[1]))
		}
	}
	if len(repls) > 0 {
		out = le.AppendUint32(out, uint32(len(repls)))
		for _, r := range repls {
			out = appendBytes(append(le.AppendUint32(out, r.field), r.typ), r.value)
		}
	}
}

func appendBytes(b, v []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(v))), v...)
}

package meter

import "github.com/weirstream/weir/runtime/internal/wasmbin"

// Bulk operations do work in proportion to an operand, so besides their
// unit as an instruction they are charged for their length before they
// run: units = length << shl >> shr, from the scratch local the length is
// teed into, then checked, so the host stops a guest whose budget cannot
// pay for the operation before it starts.
//
// The rates are measured (BenchmarkBulkCost in runtime/bulk_cost_test.go)
// and rounded so that a unit of a bulk operation takes no longer than a
// unit of a tight loop: one unit per byte copied (memory.copy,
// memory.init), per 4 bytes filled (memory.fill) or grown (memory.grow,
// whose new pages the host zeroes), and 16 units per table element
// (table.fill, table.copy, table.init, table.grow).
const (
	fillShift    = 2  // bytes per unit of memory.fill and memory.grow: 4
	pageShift    = 16 // bytes per page of memory.grow
	elementShift = 4  // units per element of a table operation: 16
)

// bulkRate is the charge of one bulk operation per unit of its length.
type bulkRate struct {
	shl, shr uint8 // units = length << shl >> shr
}

// bulkCost returns the rate of a bulk operation, or false for any other.
func bulkCost(in instr) (bulkRate, bool) {
	switch {
	case in.op == opMemoryGrow:
		return bulkRate{shl: pageShift - fillShift}, true
	case in.op != prefixFC:
		return bulkRate{}, false
	}
	switch in.sub {
	case subMemoryInit, subMemoryCopy:
		return bulkRate{}, true
	case subMemoryFill:
		return bulkRate{shr: fillShift}, true
	case subTableInit, subTableCopy, subTableGrow, subTableFill:
		return bulkRate{shl: elementShift}, true
	}
	return bulkRate{}, false
}

// Units is what a bulk operation of length n is charged on top of its one
// unit as an instruction; n is in bytes for memory.fill, memory.copy and
// memory.init, in pages for memory.grow, in elements for the table
// operations.
func Units(op string, n uint32) int64 {
	var c bulkRate
	switch op {
	case "memory.grow":
		c, _ = bulkCost(instr{op: opMemoryGrow})
	case "memory.fill":
		c, _ = bulkCost(instr{op: prefixFC, sub: subMemoryFill})
	case "memory.copy", "memory.init":
		c, _ = bulkCost(instr{op: prefixFC, sub: subMemoryCopy})
	default:
		c, _ = bulkCost(instr{op: prefixFC, sub: subTableFill})
	}
	return c.units(uint64(n))
}

func (c bulkRate) units(n uint64) int64 { return int64(n << c.shl >> c.shr) }

// chargeLength appends, before a bulk operation whose length is on top of
// the stack:
//
//	local.tee S; global.get F; local.get S; i64.extend_i32_u;
//	[i64.const shl; i64.shl]; [i64.const shr; i64.shr_u]; i64.sub; global.set F
//	if fuel < 0 { call weir.fuel }
func (w *funcWriter) chargeLength(c bulkRate) {
	w.usedScratch = true
	b := wasmbin.AppendU32(append(w.out, opLocalTee), w.scratch)
	b = wasmbin.AppendU32(append(b, opGlobalGet), w.rw.fuelGlobal)
	b = wasmbin.AppendU32(append(b, opLocalGet), w.scratch)
	b = append(b, opI64ExtendI32U)
	if c.shl > 0 {
		b = append(b, opI64Const, c.shl, opI64Shl)
	}
	if c.shr > 0 {
		b = append(b, opI64Const, c.shr, opI64ShrU)
	}
	b = wasmbin.AppendU32(append(b, opI64Sub, opGlobalSet), w.rw.fuelGlobal)
	w.out = w.rw.appendCheck(b)
}

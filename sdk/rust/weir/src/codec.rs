//! The batch formats of ABI v1 (docs/abi.md §4, §4b): reading the input,
//! writing the verdicts.

use crate::record::{FieldType, RawField, Record, Repl, Span, Verdict};
use crate::Error;

const KIND_EMIT: u8 = 1;
const KIND_DROP: u8 = 2;
const KIND_ERROR: u8 = 3;
const FLAG_VALUE: u8 = 1;
const FLAG_PORT: u8 = 2;
const FLAG_META: u8 = 4;
const FLAG_FIELDS: u8 = 8;
const OP_SET: u8 = 1;
const OP_DELETE: u8 = 2;

/// Reads the input batch. The host writes it and is trusted to follow the
/// format, but every length is still checked against the buffer: a
/// truncated batch panics (a trap: the batch fails), never reads out of it.
pub(crate) struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn u32(&mut self) -> u32 {
        let b = self.buf.get(self.pos..self.pos + 4).unwrap_or_else(|| truncated());
        self.pos += 4;
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    pub fn u8(&mut self) -> u8 {
        let b = *self.buf.get(self.pos).unwrap_or_else(|| truncated());
        self.pos += 1;
        b
    }

    /// A length-prefixed byte string, as its span in the buffer.
    pub fn bytes(&mut self) -> Span {
        let n = self.u32() as usize;
        if n > self.buf.len() - self.pos {
            truncated();
        }
        let s = (self.pos as u32, n as u32);
        self.pos += n;
        s
    }

    /// A count of items at least `min` bytes each, checked against what is left.
    pub fn count(&mut self, min: usize) -> usize {
        let n = self.u32() as usize;
        if n.saturating_mul(min) > self.buf.len() - self.pos {
            truncated();
        }
        n
    }

    pub fn meta(&mut self, into: &mut Vec<[u32; 4]>) {
        into.clear();
        for _ in 0..self.count(8) {
            let (k, v) = (self.bytes(), self.bytes());
            into.push([k.0, k.1, v.0, v.1]);
        }
    }

    pub fn fields(&mut self, into: &mut Vec<RawField>) {
        into.clear();
        for _ in 0..self.count(9) {
            let path = self.u32();
            let typ = FieldType::from_code(self.u8()).unwrap_or_else(|| panic!("weir: the host sent an unknown field type"));
            into.push(RawField { path, typ, value: self.bytes() });
        }
    }
}

fn truncated() -> ! {
    panic!("weir: input batch is truncated")
}

/// Appends a record's verdict to out and returns how many entries it wrote.
pub(crate) fn append_verdict(out: &mut Vec<u8>, idx: u32, r: &Record, result: Result<(), Error>) -> u32 {
    let v: &Verdict = r.v;
    let err = match result {
        Err(e) => Some(e.to_string()),
        Ok(()) if v.new_value.is_some() && !v.repls.is_empty() => {
            Some("weir: a record may set its value or replace fields, not both".to_string())
        }
        Ok(()) => None,
    };
    if let Some(msg) = err {
        out.extend_from_slice(&idx.to_le_bytes());
        out.push(KIND_ERROR);
        put_bytes(out, msg.as_bytes());
        return 1;
    }
    if !v.touched {
        out.extend_from_slice(&idx.to_le_bytes());
        out.extend_from_slice(&[KIND_EMIT, 0]);
        return 1;
    }
    if v.dropped {
        out.extend_from_slice(&idx.to_le_bytes());
        out.push(KIND_DROP);
        return 1;
    }
    if v.emits.is_empty() {
        return append_emits(out, idx, v, v.new_value, &v.ports, &v.repls);
    }
    let mut n = 0;
    for e in &v.emits {
        n += append_emits(out, idx, v, e.value, &v.emit_ports[e.ports.0..e.ports.1], &v.emit_repls[e.repls.0..e.repls.1]);
    }
    n
}

/// One EMIT per port, or one for the default port.
fn append_emits(out: &mut Vec<u8>, idx: u32, v: &Verdict, value: Option<Span>, ports: &[Span], repls: &[Repl]) -> u32 {
    if ports.is_empty() {
        append_emit(out, idx, v, value, None, repls);
        return 1;
    }
    for p in ports {
        append_emit(out, idx, v, value, Some(*p), repls);
    }
    ports.len() as u32
}

fn append_emit(out: &mut Vec<u8>, idx: u32, v: &Verdict, value: Option<Span>, port: Option<Span>, repls: &[Repl]) {
    let arena = &v.arena[..];
    let at = |s: Span| &arena[s.0 as usize..(s.0 + s.1) as usize];
    let mut flags = 0;
    if value.is_some() {
        flags |= FLAG_VALUE;
    }
    if port.is_some() {
        flags |= FLAG_PORT;
    }
    if !v.ops.is_empty() {
        flags |= FLAG_META;
    }
    if !repls.is_empty() {
        flags |= FLAG_FIELDS;
    }
    out.extend_from_slice(&idx.to_le_bytes());
    out.extend_from_slice(&[KIND_EMIT, flags]);
    if let Some(s) = value {
        put_bytes(out, at(s));
    }
    if let Some(s) = port {
        put_bytes(out, at(s));
    }
    if !v.ops.is_empty() {
        out.extend_from_slice(&(v.ops.len() as u32).to_le_bytes());
        for op in &v.ops {
            if op.del {
                out.push(OP_DELETE);
                put_bytes(out, at(op.key));
            } else {
                out.push(OP_SET);
                put_bytes(out, at(op.key));
                put_bytes(out, at(op.value));
            }
        }
    }
    if !repls.is_empty() {
        out.extend_from_slice(&(repls.len() as u32).to_le_bytes());
        for r in repls {
            out.extend_from_slice(&r.field.to_le_bytes());
            out.push(r.kind);
            put_bytes(out, at(r.value));
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

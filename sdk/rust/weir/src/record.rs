//! One record and the verdict a handler gives it.

use crate::json;
use crate::Error;

/// A byte range of a buffer: (start, length).
pub(crate) type Span = (u32, u32);

fn at(buf: &[u8], s: Span) -> &[u8] {
    &buf[s.0 as usize..(s.0 + s.1) as usize]
}

/// The JSON type of a projected field (docs/abi.md §4b).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// The value is the string's decoded text (valid UTF-8).
    String = 1,
    /// The value is the number's JSON text.
    Number = 2,
    /// `true` or `false`.
    Bool = 3,
    /// `null`.
    Null = 4,
    /// The object's raw JSON text.
    Object = 5,
    /// The array's raw JSON text.
    Array = 6,
}

impl FieldType {
    pub(crate) fn from_code(c: u8) -> Option<FieldType> {
        Some(match c {
            1 => FieldType::String,
            2 => FieldType::Number,
            3 => FieldType::Bool,
            4 => FieldType::Null,
            5 => FieldType::Object,
            6 => FieldType::Array,
            _ => return None,
        })
    }
}

/// A projected field as the host sent it: the declared path's index, the
/// type and the value's span in the batch.
#[derive(Clone, Copy)]
pub(crate) struct RawField {
    pub path: u32,
    pub typ: FieldType,
    pub value: Span,
}

pub(crate) struct Op {
    pub del: bool,
    pub key: Span,
    pub value: Span,
}

/// A replacement of field `field`: kind 1 text, 0 raw JSON.
#[derive(Clone, Copy)]
pub(crate) struct Repl {
    pub field: u32,
    pub kind: u8,
    pub value: Span,
}

pub(crate) struct Emitted {
    pub value: Option<Span>,
    pub ports: (usize, usize), // range of Verdict::emit_ports
    pub repls: (usize, usize), // range of Verdict::emit_repls
}

/// The decision on the record being handled, in buffers reused from one
/// record to the next: once they have grown, a record allocates nothing.
pub(crate) struct Verdict {
    pub arena: Vec<u8>, // bytes the handler gave: values, keys, ports
    pub new_value: Option<Span>,
    pub ops: Vec<Op>,
    pub ports: Vec<Span>,
    pub emits: Vec<Emitted>,
    pub emit_ports: Vec<Span>,
    pub repls: Vec<Repl>, // sorted by field, one per field
    pub emit_repls: Vec<Repl>,
    pub dropped: bool,
    pub touched: bool, // anything but a keep: the fast path is off
}

impl Verdict {
    pub const fn new() -> Verdict {
        Verdict {
            arena: Vec::new(),
            new_value: None,
            ops: Vec::new(),
            ports: Vec::new(),
            emits: Vec::new(),
            emit_ports: Vec::new(),
            repls: Vec::new(),
            emit_repls: Vec::new(),
            dropped: false,
            touched: false,
        }
    }

    pub fn clear(&mut self) {
        if !self.touched {
            return;
        }
        self.arena.clear();
        self.new_value = None;
        self.ops.clear();
        self.ports.clear();
        self.emits.clear();
        self.emit_ports.clear();
        self.repls.clear();
        self.emit_repls.clear();
        self.dropped = false;
        self.touched = false;
    }

    fn keep(&mut self, b: &[u8]) -> Span {
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(b);
        (start, b.len() as u32)
    }
}

/// One input record and the decision taken on it. By default the record is
/// kept unchanged on the default port. The SDK reuses its buffers: do not
/// keep what a method returns past the handler.
pub struct Record<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) value: Span,
    pub(crate) meta: &'a [[u32; 4]], // key start, key len, value start, value len
    pub(crate) fields: &'a [RawField],
    pub(crate) v: &'a mut Verdict,
}

impl<'a> Record<'a> {
    /// The record's current value: the input's, or what
    /// [`Record::set_value`] set. Empty in a projected batch (the host sends
    /// only the fields).
    pub fn value(&self) -> &[u8] {
        match self.v.new_value {
            Some(s) => at(&self.v.arena, s),
            None => at(self.input, self.value),
        }
    }

    /// Replaces the record's value (copied).
    pub fn set_value(&mut self, value: &[u8]) {
        self.v.new_value = Some(self.v.keep(value));
        self.v.touched = true;
    }

    /// A metadata value, taking [`Record::set_meta`] and
    /// [`Record::delete_meta`] into account. Metadata the host typed (ints,
    /// objects) arrives as its text.
    pub fn meta(&self, key: &str) -> Option<&[u8]> {
        for op in self.v.ops.iter().rev() {
            if at(&self.v.arena, op.key) == key.as_bytes() {
                return if op.del { None } else { Some(at(&self.v.arena, op.value)) };
            }
        }
        self.meta
            .iter()
            .find(|m| at(self.input, (m[0], m[1])) == key.as_bytes())
            .map(|m| at(self.input, (m[2], m[3])))
    }

    /// The input record's metadata, in the host's order.
    pub fn meta_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.meta.iter().map(move |m| (at(self.input, (m[0], m[1])), at(self.input, (m[2], m[3]))))
    }

    /// Sets a metadata key on every output of this record.
    pub fn set_meta(&mut self, key: &str, value: &[u8]) {
        let key = self.v.keep(key.as_bytes());
        let value = self.v.keep(value);
        self.v.ops.push(Op { del: false, key, value });
        self.v.touched = true;
    }

    /// Removes a metadata key from every output of this record.
    pub fn delete_meta(&mut self, key: &str) {
        let key = self.v.keep(key.as_bytes());
        self.v.ops.push(Op { del: true, key, value: (0, 0) });
        self.v.touched = true;
    }

    /// Filters the record out: it produces no output.
    pub fn drop(&mut self) {
        self.v.dropped = true;
        self.v.touched = true;
    }

    /// Sends the record to a port the manifest declares instead of the
    /// default one; call again to send a copy to each of several.
    pub fn route(&mut self, port: &str) {
        let p = self.v.keep(port.as_bytes());
        self.v.ports.push(p);
        self.v.touched = true;
    }

    /// Adds an output record (fan-out) with this value, to `ports` (none:
    /// the default port). Once a handler emits, the outputs are exactly
    /// the emitted records; each carries the input's metadata and the
    /// record's metadata changes.
    pub fn emit(&mut self, value: &[u8], ports: &[&str]) {
        let value = Some(self.v.keep(value));
        self.push_emit(value, ports, false);
    }

    fn push_emit(&mut self, value: Option<Span>, ports: &[&str], with_repls: bool) {
        let p0 = self.v.emit_ports.len();
        for p in ports {
            let s = self.v.keep(p.as_bytes());
            self.v.emit_ports.push(s);
        }
        let r0 = self.v.emit_repls.len();
        if with_repls {
            let v = &mut *self.v;
            v.emit_repls.extend_from_slice(&v.repls);
        }
        let e = Emitted { value, ports: (p0, self.v.emit_ports.len()), repls: (r0, self.v.emit_repls.len()) };
        self.v.emits.push(e);
        self.v.touched = true;
    }

    /// How many values the host found at the declared paths (projected
    /// batches; 0 otherwise).
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// Field `i`: the index of the declared path it is at (the lowest, if
    /// several), its type and its value (a string's decoded text, otherwise
    /// the JSON text). None when `i` is out of range.
    pub fn field(&self, i: usize) -> Option<(usize, FieldType, &[u8])> {
        self.fields.get(i).map(|f| (f.path as usize, f.typ, at(self.input, f.value)))
    }

    /// Field `i` as `field` gives it, its value as text. The host sends
    /// every value as valid UTF-8 (a string's decoded text, or JSON text of
    /// a document it validated, docs/abi.md §4b), so the SDK does not check
    /// it again: that check was a fifth of the Rust mask's instructions
    /// (docs/RATIONALE.md, "Why does the Rust SDK trust the host's UTF-8?").
    pub fn field_str(&self, i: usize) -> Option<(usize, FieldType, &str)> {
        // SAFETY: the host's projection scanner refuses a record that is not
        // valid UTF-8 before any field of it is sent (§4b).
        self.field(i).map(|(p, t, v)| (p, t, unsafe { std::str::from_utf8_unchecked(v) }))
    }

    /// Replaces field `i` with the JSON string holding `text` (the host
    /// quotes it). A later call for the same field wins. An error when `i`
    /// is out of range.
    pub fn set_string(&mut self, i: usize, text: &str) -> Result<(), Error> {
        self.set_field(i, 1, text.as_bytes())
    }

    /// Replaces field `i` with raw JSON, which must be exactly one JSON
    /// value (strict RFC 8259, as the host checks): checked here, so a bad
    /// value fails the record, not the batch.
    pub fn set_json(&mut self, i: usize, raw: &[u8]) -> Result<(), Error> {
        json::validate(raw).map_err(|e| format!("weir: field {}: replacement is not JSON: {}", i, e))?;
        self.set_field(i, 0, raw)
    }

    fn set_field(&mut self, i: usize, kind: u8, value: &[u8]) -> Result<(), Error> {
        if i >= self.fields.len() {
            return Err(format!("weir: field {} out of range: the record has {} fields", i, self.fields.len()).into());
        }
        let r = Repl { field: i as u32, kind, value: self.v.keep(value) };
        let repls = &mut self.v.repls;
        match repls.binary_search_by_key(&r.field, |x| x.field) {
            Ok(j) => repls[j] = r,
            Err(j) => repls.insert(j, r),
        }
        self.v.touched = true;
        Ok(())
    }

    /// Fan-out of a projected record: adds an output carrying the
    /// replacements set so far (and the metadata changes), to `ports`
    /// (none: the default port). Later replacements change later emits only.
    pub fn emit_fields(&mut self, ports: &[&str]) {
        self.push_emit(None, ports, true);
    }
}

//! Protobuf wire format by field number, without descriptors: read a
//! message's fields, get the content at a path, rewrite every bytes field
//! at a path. A path is field numbers through nested messages: `[3, 3]` is
//! field 3 of the message in field 3. The same rules as `sdk/go/pbwire`.

use std::fmt;

/// Wire types.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const BYTES: u8 = 2;
pub const FIXED32: u8 = 5;

/// The largest field number protobuf allows (2^29-1).
pub const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

/// Bytes that are not protobuf wire format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed(pub String);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "pbwire: malformed protobuf: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

fn malformed<T>(why: String) -> Result<T, Malformed> {
    Err(Malformed(why))
}

/// One field of a message: where it starts and ends (tag included) and its
/// payload (a bytes field's content; a number's encoding otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub number: u32,
    pub wire: u8,
    pub start: usize,
    pub end: usize,
    pub value_start: usize,
    pub value_end: usize,
}

/// Decodes a varint at b[i..], returning it and the index after it. A varint
/// is at most 10 bytes and the 10th carries only the 64th bit.
pub fn read_varint(b: &[u8], mut i: usize) -> Result<(u64, usize), Malformed> {
    let mut v = 0u64;
    let mut shift = 0;
    while shift < 64 {
        let c = match b.get(i) {
            Some(&c) => c,
            None => return malformed("truncated varint".into()),
        };
        i += 1;
        if shift == 63 && c > 1 {
            break;
        }
        v |= u64::from(c & 0x7f) << shift;
        if c < 0x80 {
            return Ok((v, i));
        }
        shift += 7;
    }
    malformed("varint over 64 bits".into())
}

/// Appends v as a varint.
pub fn append_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the field starting at b[i..].
pub fn next(b: &[u8], i: usize) -> Result<Field, Malformed> {
    let (tag, mut j) = read_varint(b, i)?;
    let number = tag >> 3;
    if number == 0 || number > MAX_FIELD_NUMBER {
        return malformed(format!("field number {} out of range", number));
    }
    let wire = (tag & 7) as u8;
    let mut value_start = j;
    match wire {
        VARINT => j = read_varint(b, j)?.1,
        FIXED64 => j += 8,
        FIXED32 => j += 4,
        BYTES => {
            let (n, k) = read_varint(b, j)?;
            if n > (b.len() - k) as u64 {
                return malformed(format!("length {} past the end", n));
            }
            value_start = k;
            j = k + n as usize;
        }
        w => return malformed(format!("unsupported wire type {}", w)),
    }
    if j > b.len() {
        return malformed(format!("truncated field {}", number));
    }
    Ok(Field { number: number as u32, wire, start: i, end: j, value_start, value_end: j })
}

/// The fields of message b, in order; iteration stops after an error.
pub fn fields(b: &[u8]) -> Fields {
    Fields { b, i: 0 }
}

/// The iterator of [`fields`].
pub struct Fields<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.i >= self.b.len() {
            return None;
        }
        let f = next(self.b, self.i);
        self.i = match &f {
            Ok(f) => f.end,
            Err(_) => self.b.len(),
        };
        Some(f)
    }
}

/// The content of the last bytes field at path (protobuf's last-one-wins
/// rule for singular fields), or None.
pub fn get<'a>(b: &'a [u8], path: &[u32]) -> Result<Option<&'a [u8]>, Malformed> {
    let (first, rest) = match path.split_first() {
        Some(p) => p,
        None => return Ok(Some(b)),
    };
    let mut found = None;
    for f in fields(b) {
        let f = f?;
        if f.number == *first && f.wire == BYTES {
            found = Some(&b[f.value_start..f.value_end]);
        }
    }
    match found {
        Some(c) => get(c, rest),
        None => Ok(None),
    }
}

/// Appends to out message b with every bytes field at path (in every
/// message along it, repeated fields included) replaced by what repl
/// returns for its content, fixing the enclosing length prefixes.
pub fn replace_all(out: &mut Vec<u8>, b: &[u8], path: &[u32], repl: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<(), Malformed> {
    let (first, rest) = match path.split_first() {
        Some(p) => p,
        None => return malformed("empty path".into()),
    };
    let mut prev = 0;
    for f in fields(b) {
        let f = f?;
        if f.number != *first || f.wire != BYTES {
            continue;
        }
        let content = &b[f.value_start..f.value_end];
        let new = if rest.is_empty() {
            repl(content)
        } else {
            let mut inner = Vec::new();
            replace_all(&mut inner, content, rest, repl)?;
            inner
        };
        out.extend_from_slice(&b[prev..f.start]);
        append_varint(out, u64::from(f.number) << 3 | u64::from(BYTES));
        append_varint(out, new.len() as u64);
        out.extend_from_slice(&new);
        prev = f.end;
    }
    out.extend_from_slice(&b[prev..]);
    Ok(())
}

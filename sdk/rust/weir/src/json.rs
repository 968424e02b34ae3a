//! JSON for guests: a strict RFC 8259 parser (the rules the host's
//! projection scanner applies: no raw control characters, paired `\u`
//! surrogates, valid UTF-8, nesting at most [`MAX_DEPTH`]), a tree for
//! configs, path lookups in the syntax of `sdk/go/jsonpath`, and quoting.

use std::fmt;

/// How deep objects and arrays may nest.
pub const MAX_DEPTH: usize = 512;

/// A JSON value. Numbers keep their text; objects keep their members in
/// document order, duplicates included.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Malformed JSON at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub msg: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.msg)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a document that is exactly one JSON value, with only whitespace
/// around it. As Go's encoding/json does (configs are written for both), an
/// unpaired surrogate escape or an invalid UTF-8 byte in a string decodes
/// as U+FFFD.
pub fn parse(doc: &[u8]) -> Result<Value, SyntaxError> {
    let mut p = Parser { s: doc, i: 0, depth: 0, strict: false };
    let v = p.document(true)?;
    Ok(v.unwrap_or(Value::Null))
}

/// Checks doc is exactly one JSON value without building it, refusing
/// unpaired surrogates and invalid UTF-8, as the host's scanner does.
pub fn validate(doc: &[u8]) -> Result<(), SyntaxError> {
    let mut p = Parser { s: doc, i: 0, depth: 0, strict: true };
    p.document(false).map(|_| ())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    strict: bool,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, msg: &'static str) -> Result<T, SyntaxError> {
        Err(SyntaxError { offset: self.i, msg })
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn document(&mut self, build: bool) -> Result<Option<Value>, SyntaxError> {
        self.ws();
        let v = self.value(build)?;
        self.ws();
        if self.i != self.s.len() {
            return self.err("bytes after the value");
        }
        Ok(v)
    }

    fn value(&mut self, build: bool) -> Result<Option<Value>, SyntaxError> {
        match self.s.get(self.i) {
            None => self.err("want a value, got the end"),
            Some(b'{') => self.object(build),
            Some(b'[') => self.array(build),
            Some(b'"') => {
                let s = self.string()?;
                Ok(if build { s.map(Value::String) } else { None })
            }
            Some(b't') => self.word(b"true", Value::Bool(true), build),
            Some(b'f') => self.word(b"false", Value::Bool(false), build),
            Some(b'n') => self.word(b"null", Value::Null, build),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number()?;
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
                Ok(if build { Some(Value::Number(text.to_string())) } else { None })
            }
            Some(_) => self.err("want a value"),
        }
    }

    fn word(&mut self, w: &[u8], v: Value, build: bool) -> Result<Option<Value>, SyntaxError> {
        if !self.s[self.i..].starts_with(w) {
            return self.err("want a value");
        }
        self.i += w.len();
        Ok(if build { Some(v) } else { None })
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nested too deep");
        }
        self.i += 1;
        self.ws();
        Ok(())
    }

    fn object(&mut self, build: bool) -> Result<Option<Value>, SyntaxError> {
        self.enter()?;
        let mut members = Vec::new();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(if build { Some(Value::Object(members)) } else { None });
        }
        loop {
            if self.s.get(self.i) != Some(&b'"') {
                return self.err("want a key");
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return self.err("want ':' after key");
            }
            self.i += 1;
            self.ws();
            let v = self.value(build)?;
            if let (Some(k), Some(v)) = (key, v) {
                members.push((k, v));
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b'}') => break,
                _ => return self.err("want ',' or '}'"),
            }
        }
        self.i += 1;
        self.depth -= 1;
        Ok(if build { Some(Value::Object(members)) } else { None })
    }

    fn array(&mut self, build: bool) -> Result<Option<Value>, SyntaxError> {
        self.enter()?;
        let mut items = Vec::new();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(if build { Some(Value::Array(items)) } else { None });
        }
        loop {
            if let Some(v) = self.value(build)? {
                items.push(v);
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b']') => break,
                _ => return self.err("want ',' or ']'"),
            }
        }
        self.i += 1;
        self.depth -= 1;
        Ok(if build { Some(Value::Array(items)) } else { None })
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.s.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("want a digit"),
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return self.err("want a digit after '.'");
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return self.err("want a digit in the exponent");
            }
        }
        Ok(())
    }

    /// A string token at self.i, decoded. Always decodes (keys need it).
    fn string(&mut self) -> Result<Option<String>, SyntaxError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            self.text(start, &mut out)?;
            match self.s.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => break,
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return self.err("control character in a string"),
            }
        }
        self.i += 1;
        Ok(Some(out))
    }

    /// Appends the unescaped bytes s[start..self.i]: invalid UTF-8 is an
    /// error when strict, else each invalid byte becomes U+FFFD.
    fn text(&self, mut start: usize, out: &mut String) -> Result<(), SyntaxError> {
        while start < self.i {
            match std::str::from_utf8(&self.s[start..self.i]) {
                Ok(t) => {
                    out.push_str(t);
                    return Ok(());
                }
                Err(_) if self.strict => return Err(SyntaxError { offset: start, msg: "invalid UTF-8 in a string" }),
                Err(e) => {
                    let ok = start + e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.s[start..ok]).unwrap_or_default());
                    out.push('\u{fffd}');
                    start = ok + 1;
                }
            }
        }
        Ok(())
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let c = match self.s.get(self.i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode(out),
            _ => return self.err("bad escape in a string"),
        };
        self.i += 2;
        out.push(c);
        Ok(())
    }

    /// The 4 hex digits of a \\u escape at self.i, if they are there.
    fn hex4(&self) -> Option<u32> {
        let h = self.s.get(self.i + 2..self.i + 6)?;
        if self.s[self.i + 1] != b'u' || !h.iter().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn unicode(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let u = match self.hex4() {
            Some(u) => u,
            None => return self.err("bad \\u escape"),
        };
        self.i += 6;
        let mut cp = u;
        if (0xD800..0xDC00).contains(&u) {
            cp = 0xFFFD;
            if self.s.get(self.i) == Some(&b'\\') {
                if let Some(lo) = self.hex4().filter(|lo| (0xDC00..0xE000).contains(lo)) {
                    cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    self.i += 6;
                }
            }
        } else if (0xDC00..0xE000).contains(&u) {
            cp = 0xFFFD;
        }
        if cp == 0xFFFD && u != 0xFFFD && self.strict {
            return self.err("unpaired surrogate in a string");
        }
        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
        Ok(())
    }
}

impl Value {
    /// The member named key of an object (the first, if duplicated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Every value at a dot-separated path, in document order: `*` matches
    /// every member of an object and element of an array, a decimal segment
    /// also that index of an array. Every duplicate of a key matches.
    pub fn find(&self, path: &str) -> Vec<&Value> {
        let mut cur = vec![self];
        for seg in path.split('.') {
            let mut next = Vec::new();
            for v in cur {
                match v {
                    Value::Object(m) => next.extend(m.iter().filter(|(k, _)| seg == "*" || k == seg).map(|(_, v)| v)),
                    Value::Array(a) if seg == "*" => next.extend(a.iter()),
                    Value::Array(a) => next.extend(seg.parse::<usize>().ok().filter(|_| seg.bytes().all(|b| b.is_ascii_digit())).and_then(|i| a.get(i))),
                    _ => {}
                }
            }
            cur = next;
        }
        cur
    }

    /// The string's text, if the value is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the value as compact JSON.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Number(n) => out.extend_from_slice(n.as_bytes()),
            Value::String(s) => quote(out, s),
            Value::Array(a) => {
                out.push(b'[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write(out);
                }
                out.push(b']');
            }
            Value::Object(m) => {
                out.push(b'{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    quote(out, k);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Appends s as a JSON string, escaping `"`, `\` and control characters
/// (`\n`, `\r`, `\t`, otherwise `\u00XX`), as the host quotes replacements.
pub fn quote(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

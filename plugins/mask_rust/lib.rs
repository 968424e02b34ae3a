//! mask_rust: weir's PII-masking transform in Rust, with the Go mask's JSON
//! mode (plugins/mask) as its contract: the same config, the same output
//! bytes (plugins/mask_c/masktest checks both).
//!
//!   {"hmac_key": "k", "fields": [{"path": "customer.email", "action": "email"},
//!                                {"path": "customer.card", "action": "last", "keep": 4, "with": "****"}]}
//!
//! Actions: redact (the value becomes `with`, default "***"), last (`with`
//! then the last `keep` characters, default 4, counted as UTF-8
//! characters), email (`with` then the value from its last '@'; `with`
//! alone without one), hmac (`with`, default "", then hex HMAC-SHA256 of
//! the value under hmac_key). Numbers and booleans are masked as their
//! text; null stays; an object or array is replaced whole by redact and
//! refused by the other actions. Where rules reach one value the first in
//! the config applies; where a matched value holds another, the outer one
//! is masked whole.
//!
//! It uses field projection (docs/abi.md §4b), as the C mask does: the
//! rules' paths are declared at init, and the host validates each record
//! (one that is not JSON fails with class bad_input), finds every value at
//! every path and splices the masked values back; this code only parses
//! its config and masks values. A schema-bound (protobuf) stream needs the
//! Go mask.

mod config;
mod hmac;

use config::{Action, Config, Rule};
use weir::{Error, FieldType, Record};

struct Mask {
    config: Config,
    text: String, // the masked value being built, reused
}

impl weir::Transform for Mask {
    fn init(raw: &[u8]) -> Result<Self, Error> {
        Ok(Mask { config: config::parse(raw)?, text: String::new() })
    }

    fn paths(&self) -> Vec<String> {
        self.config.rules.iter().map(|r| r.path.clone()).collect()
    }

    fn fields(&mut self, r: &mut Record) -> Result<(), Error> {
        for i in 0..r.field_count() {
            self.mask_field(r, i)?;
        }
        Ok(())
    }
}

impl Mask {
    fn mask_field(&mut self, r: &mut Record, i: usize) -> Result<(), Error> {
        let (path, typ, value) = r.field_str(i).ok_or("mask: field out of range")?;
        let rule = self.config.rules.get(path).ok_or("mask: the host sent a field at an undeclared path")?;
        match typ {
            FieldType::Null => return Ok(()), // hides nothing
            FieldType::Object | FieldType::Array if rule.action != Action::Redact => {
                return Err(format!("mask: field {} is an object or array; only action redact applies", rule.path).into());
            }
            FieldType::Object | FieldType::Array => return r.set_string(i, &rule.with),
            _ => {}
        }
        // A string's value is its decoded text, a number's or a boolean's
        // its JSON text.
        self.text.clear();
        self.text.push_str(&rule.with);
        mask_text(&mut self.text, rule, self.config.mac.as_ref(), value);
        r.set_string(i, &self.text)
    }
}

/// Appends to out (which holds `with` already) what rule keeps of s.
fn mask_text(out: &mut String, rule: &Rule, mac: Option<&hmac::Hmac>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match rule.action {
        Action::Redact => {}
        Action::Last => out.push_str(&s[last_chars(s, rule.keep)..]),
        Action::Email => out.push_str(&s[s.rfind('@').unwrap_or(s.len())..]),
        Action::Hmac => {
            if let Some(mac) = mac {
                for b in mac.sum(s.as_bytes()) {
                    out.push(HEX[(b >> 4) as usize] as char);
                    out.push(HEX[(b & 15) as usize] as char);
                }
            }
        }
    }
}

/// Where the last n (at least 1) characters of s begin (0 if it has no
/// more): when the last n bytes are ASCII they are the last n characters.
fn last_chars(s: &str, n: i64) -> usize {
    let b = s.as_bytes();
    let n = usize::try_from(n.max(1)).unwrap_or(usize::MAX); // wasm32: usize is 32 bits
    if n <= b.len() && b[b.len() - n..].is_ascii() {
        return b.len() - n;
    }
    s.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i)
}

weir::export!(Mask);

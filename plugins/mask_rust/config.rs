//! The Rust mask's config: the Go mask's JSON mode (plugins/mask), read
//! with the SDK's strict JSON parser. Errors read as the Go mask's where
//! the cause is the same; keys match case-insensitively (ASCII), a later
//! duplicate wins and null leaves a value as it was, and unknown keys are
//! ignored, as Go's encoding/json does.

use weir::json::{self, Value};

use crate::hmac::Hmac;

/// A rule's action.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Redact,
    Last,
    Email,
    Hmac,
}

/// One rule: what to do at one path.
pub struct Rule {
    pub path: String,
    pub action: Action,
    pub keep: i64,    // action last: characters kept
    pub with: String, // replacement or prefix
}

/// The mask's config, checked.
pub struct Config {
    pub rules: Vec<Rule>,
    pub mac: Option<Hmac>,
}

/// A rule as decoded, before the checks.
#[derive(Default)]
struct RawRule {
    path: String,
    action: String,
    with: String,
    keep: i64,
}

#[derive(Default)]
struct Raw {
    fields: Vec<RawRule>, // the first `count` are the config's
    count: usize,
    hmac_key: String,
    format: String,
    by_schema: bool,
}

fn fail<T>(msg: String) -> Result<T, String> {
    Err(format!("mask: config: {}", msg))
}

/// The refusal of a value of the wrong type at `at` ("" for the config).
fn want<T>(at: &str, what: &str) -> Result<T, String> {
    if at.is_empty() {
        return fail(format!("want {}", what));
    }
    fail(format!("{}: want {}", at, what))
}

/// The members of an object (or nothing for null), keys as given.
fn members<'a>(v: &'a Value, at: &str) -> Result<&'a [(String, Value)], String> {
    match v {
        Value::Null => Ok(&[]),
        Value::Object(m) => Ok(m),
        _ => want(at, "an object"),
    }
}

/// Sets s from a string (null leaves it as it was).
fn string(v: &Value, s: &mut String, at: &str) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::String(t) => {
            *s = t.clone();
            Ok(())
        }
        _ => want(at, "a string"),
    }
}

fn integer(v: &Value, n: &mut i64, at: &str) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::Number(t) if t.bytes().all(|b| b == b'-' || b.is_ascii_digit()) => match t.parse() {
            Ok(x) => {
                *n = x;
                Ok(())
            }
            Err(_) => fail(format!("{}: integer out of range", at)),
        },
        Value::Number(t) => fail(format!("{}: want an integer, got {}", at, t)),
        _ => want(at, "an integer"),
    }
}

fn decode(config: &[u8]) -> Result<Raw, String> {
    let mut raw = Raw::default();
    if config.is_empty() {
        return Ok(raw);
    }
    let top = json::parse(config).or_else(|e| fail(e.to_string()))?;
    for (k, v) in members(&top, "")? {
        match k.to_ascii_lowercase().as_str() {
            "fields" => raw.count = decode_rules(v, &mut raw.fields)?,
            "hmac_key" => string(v, &mut raw.hmac_key, "hmac_key")?,
            "format" => string(v, &mut raw.format, "format")?,
            "unknown_fields" => string(v, &mut String::new(), "unknown_fields")?,
            "weir_schema" => {
                members(v, "weir_schema")?;
                raw.by_schema |= matches!(v, Value::Object(_));
            }
            _ => {}
        }
    }
    Ok(raw)
}

/// Decodes the rules into rules in place, returning how many there are.
/// As Go's encoding/json does, a later "fields" decodes into the rules an
/// earlier one left (their members stay unless given again), a null rule
/// leaves its rule as it was, and a null "fields" clears them.
fn decode_rules(v: &Value, rules: &mut Vec<RawRule>) -> Result<usize, String> {
    let list = match v {
        Value::Null => {
            rules.clear();
            return Ok(0);
        }
        Value::Array(a) => a,
        _ => return fail("fields: want an array".into()),
    };
    for (i, item) in list.iter().enumerate() {
        if i == rules.len() {
            rules.push(RawRule::default());
        }
        let r = &mut rules[i];
        for (k, v) in members(item, &format!("fields[{}]", i))? {
            match k.to_ascii_lowercase().as_str() {
                "path" => string(v, &mut r.path, &format!("fields[{}].path", i))?,
                "action" => string(v, &mut r.action, &format!("fields[{}].action", i))?,
                "with" => string(v, &mut r.with, &format!("fields[{}].with", i))?,
                "keep" => integer(v, &mut r.keep, &format!("fields[{}].keep", i))?,
                _ => {}
            }
        }
    }
    Ok(list.len())
}

/// s quoted as Go's %q does for printable ASCII, escaping the rest.
fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => q.push_str(&format!("\\x{:02x}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn check_rule(i: usize, r: RawRule, hmac_key: &str) -> Result<Rule, String> {
    let p = &r.path;
    if p.contains('\0') {
        return fail(format!("fields[{}].path: holds a NUL character, which a projected path cannot", i));
    }
    if p.len() > weir::MAX_PATH_BYTES {
        return fail(format!("fields[{}].path: longer than {} bytes, the most a projected path may be", i, weir::MAX_PATH_BYTES));
    }
    if p.is_empty() || p.starts_with('.') || p.ends_with('.') || p.contains("..") {
        return fail(format!("fields[{}].path: jsonpath: path {} has an empty segment", i, quote(p)));
    }
    let action = match r.action.as_str() {
        "redact" => Some(Action::Redact),
        "last" => Some(Action::Last),
        "email" => Some(Action::Email),
        "hmac" => Some(Action::Hmac),
        _ => None,
    };
    if action == Some(Action::Hmac) && hmac_key.is_empty() {
        return fail(format!("fields[{}]: action hmac needs hmac_key", i));
    }
    let action = match action {
        Some(a) => a,
        None => return fail(format!("fields[{}].action: unknown action {} (want redact, last, email or hmac)", i, quote(&r.action))),
    };
    if r.keep < 0 {
        return fail(format!("fields[{}].keep: must be >= 0", i));
    }
    let with = if r.with.is_empty() && action != Action::Hmac { "***".to_string() } else { r.with };
    Ok(Rule { path: r.path, action, keep: if r.keep == 0 { 4 } else { r.keep }, with })
}

/// Parses and checks the config.
pub fn parse(config: &[u8]) -> Result<Config, String> {
    let mut raw = decode(config)?;
    raw.fields.truncate(raw.count);
    if raw.fields.is_empty() && raw.by_schema {
        return fail("fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the Rust mask reads JSON".into());
    }
    if raw.fields.is_empty() {
        return fail("fields: at least one field rule is required".into());
    }
    if !raw.format.is_empty() && raw.format != "json" {
        if raw.format == "protobuf" {
            return fail("format: protobuf needs the Go mask (plugins/mask); the Rust mask reads JSON".into());
        }
        return fail(format!("format: want json or protobuf, got {}", quote(&raw.format)));
    }
    let n = raw.fields.len();
    let mut rules = Vec::with_capacity(n);
    for (i, r) in raw.fields.into_iter().enumerate() {
        rules.push(check_rule(i, r, &raw.hmac_key)?);
    }
    if n > weir::MAX_PATHS {
        return fail(format!("fields: {} rules, at most {} in json format", n, weir::MAX_PATHS));
    }
    let mac = if raw.hmac_key.is_empty() { None } else { Some(Hmac::new(raw.hmac_key.as_bytes())) };
    Ok(Config { rules, mac })
}

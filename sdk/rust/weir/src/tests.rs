//! Unit tests of the helpers, run natively (`rustc --test`) by
//! sdk/rust_test.go.

use crate::json::{self, Value};
use crate::pbwire;

#[test]
fn json_parses_and_finds_every_occurrence() {
    let v = json::parse(br#"{"a":{"b":1},"a":{"b":"x\u00e9"},"l":[{"b":true},{"b":null}]}"#).unwrap();
    let got: Vec<&Value> = v.find("a.b");
    assert_eq!(got, vec![&Value::Number("1".into()), &Value::String("xé".into())]);
    assert_eq!(v.find("l.*.b"), vec![&Value::Bool(true), &Value::Null]);
    assert_eq!(v.find("l.1.b"), vec![&Value::Null]);
    assert!(v.find("l.01x.b").is_empty());
    let mut out = Vec::new();
    v.get("l").unwrap().write(&mut out);
    assert_eq!(out, br#"[{"b":true},{"b":null}]"#);
}

#[test]
fn json_validate_is_strict_where_parse_is_lenient() {
    for bad in [&b"\"\\ud800\""[..], b"\"\xff\"", b"\"\\udc00x\""] {
        assert!(json::validate(bad).is_err(), "{:?}", bad);
        assert_eq!(json::parse(bad).unwrap().as_str().map(|s| s.starts_with('\u{fffd}')), Some(true));
    }
    assert_eq!(json::parse(b"\"\\ud83d\\ude00\"").unwrap(), Value::String("😀".into()));
    assert!(json::validate(b"\"\\ud83d\\ude00\"").is_ok());
}

#[test]
fn json_refuses_what_rfc8259_does() {
    for (doc, offset, msg) in [
        (&b"01"[..], 1, "bytes after the value"),
        (b"1.", 2, "want a digit after '.'"),
        (b"1e", 2, "want a digit in the exponent"),
        (b"-", 1, "want a digit"),
        (b"[1,]", 3, "want a value"),
        (b"{\"a\"}", 4, "want ':' after key"),
        (b"{\"a\":1,}", 7, "want a key"),
        (b"\"a\nb\"", 2, "control character in a string"),
        (b"\"ab", 3, "unterminated string"),
        (b"\"\\q\"", 1, "bad escape in a string"),
        (b"\"\\u12g4\"", 1, "bad \\u escape"),
        (b"tru", 0, "want a value"),
        (b"", 0, "want a value, got the end"),
        (b"[1 2]", 3, "want ',' or ']'"),
    ] {
        assert_eq!(json::validate(doc), Err(json::SyntaxError { offset, msg }), "{:?}", String::from_utf8_lossy(doc));
    }
    let deep = format!("{}{}", "[".repeat(json::MAX_DEPTH + 1), "]".repeat(json::MAX_DEPTH + 1));
    assert_eq!(json::validate(deep.as_bytes()).unwrap_err().msg, "nested too deep");
    let ok = format!("{}{}", "[".repeat(json::MAX_DEPTH), "]".repeat(json::MAX_DEPTH));
    assert!(json::validate(ok.as_bytes()).is_ok());
    assert!(json::validate(b" {\"a\":[-0.5e+3,true,false,null,\"\\\"\\/\\b\\f\\n\\r\\t\"]} ").is_ok());
}

#[test]
fn json_quote_escapes_as_the_host_does() {
    let mut out = Vec::new();
    json::quote(&mut out, "a\"\\\n\r\t\u{1}é");
    assert_eq!(out, b"\"a\\\"\\\\\\n\\r\\t\\u0001\xc3\xa9\"".to_vec());
}

#[test]
fn pbwire_reads_nested_fields_and_rewrites_them() {
    // field 1 varint 150; field 3 message { field 3 "a@x"; field 1 fixed32 }; field 3 again { field 3 "b@y" }
    let inner1 = [&[0x1a, 3][..], b"a@x", &[0x0d, 1, 2, 3, 4]].concat();
    let inner2 = [&[0x1a, 3][..], b"b@y"].concat();
    let msg = [&[0x08, 0x96, 0x01, 0x1a, inner1.len() as u8][..], &inner1, &[0x1a, inner2.len() as u8], &inner2].concat();
    let nums: Vec<(u32, u8)> = pbwire::fields(&msg).map(|f| f.map(|f| (f.number, f.wire)).unwrap()).collect();
    assert_eq!(nums, vec![(1, pbwire::VARINT), (3, pbwire::BYTES), (3, pbwire::BYTES)]);
    assert_eq!(pbwire::get(&msg, &[3, 3]).unwrap(), Some(&b"b@y"[..])); // the last one wins
    assert_eq!(pbwire::get(&msg, &[4]).unwrap(), None);
    let mut out = Vec::new();
    pbwire::replace_all(&mut out, &msg, &[3, 3], &mut |c| [b"***", &c[c.len() - 2..]].concat()).unwrap();
    let firsts: Vec<&[u8]> = pbwire::fields(&out).filter_map(|f| f.ok()).filter(|f| f.number == 3)
        .map(|f| pbwire::get(&out[f.value_start..f.value_end], &[3]).unwrap().unwrap()).collect();
    assert_eq!(firsts, vec![&b"***@x"[..], &b"***@y"[..]]);
    assert_eq!(pbwire::get(&out, &[1]).unwrap(), None); // a varint is not a bytes field
    assert_eq!(&out[..3], &[0x08, 0x96, 0x01]);
}

#[test]
fn pbwire_refuses_malformed_input() {
    assert!(pbwire::read_varint(&[0x80; 10], 0).is_err()); // over 64 bits
    assert!(pbwire::read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], 0).is_err());
    assert_eq!(pbwire::read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 0), Ok((u64::MAX, 10)));
    assert!(pbwire::read_varint(&[0x80], 0).is_err()); // truncated
    assert!(pbwire::next(&[0x00], 0).is_err()); // field number 0
    assert!(pbwire::next(&[0x0a, 5, 1], 0).is_err()); // length past the end
    assert!(pbwire::next(&[0x0b], 0).is_err()); // group
    assert!(pbwire::next(&[0x0d, 1, 2], 0).is_err()); // truncated fixed32
    assert!(pbwire::get(&[0x0a, 0x05], &[1]).is_err());
    let mut v = Vec::new();
    pbwire::append_varint(&mut v, 300);
    assert_eq!(v, vec![0xac, 0x02]);
}

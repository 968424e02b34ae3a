// A small, bounded JSON reader for configs (RFC 8259, strict): it builds a
// tree, reports the first error with its byte offset, and nests at most
// MAX_DEPTH deep. Not for records: use field projection or ./jsonpath.

import { text } from "./buffer";
import { validUTF8 } from "./utf8";

export const MAX_DEPTH = 512;

export enum JSONKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** One JSON value. Objects keep their members in order, duplicates included. */
export class JSONValue {
  kind: JSONKind = JSONKind.Null;
  bool: bool = false;
  /** A number's text as written; a string's decoded text. */
  str: string = "";
  /** The offset of the value in the document. */
  offset: u32 = 0;
  items: JSONValue[] = [];
  keys: string[] = [];

  /** A number's value. */
  number(): f64 {
    return F64.parseFloat(this.str);
  }

  /** The last member named key (as encoding/json keeps), or null. */
  get(key: string): JSONValue | null {
    for (let i = this.keys.length - 1; i >= 0; i--) if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    return null;
  }
}

/** Parses [p, p+n); on failure returns null and sets error and errorOffset. */
export class JSONReader {
  p: usize;
  start: usize;
  end: usize;
  error: string = "";
  errorOffset: u32 = 0;
  /**
   * Whether a lone surrogate escape (\ud800) reads as U+FFFD, as Go's
   * encoding/json reads it, instead of failing: for configs, which the Go
   * mask reads with encoding/json. Records are read strictly, as the host
   * validates them.
   */
  lenientSurrogates: bool = false;

  constructor(p: usize, n: u32) {
    this.p = p;
    this.start = p;
    this.end = p + n;
  }

  static of(b: Uint8Array): JSONReader {
    return new JSONReader(b.dataStart, <u32>b.length);
  }

  /** The whole document: exactly one value, whitespace around it. */
  document(): JSONValue | null {
    const v = this.value(0);
    if (v === null) return null;
    this.ws();
    if (this.p < this.end) return this.fail("bytes after the value");
    return v;
  }

  /** "offset N: message", the first error. */
  message(): string {
    return "offset " + this.errorOffset.toString() + ": " + this.error;
  }

  private fail(msg: string): JSONValue | null {
    if (this.error.length == 0) {
      this.error = msg;
      this.errorOffset = <u32>(this.p - this.start);
    }
    return null;
  }

  private ws(): void {
    while (this.p < this.end) {
      const c = load<u8>(this.p);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
      this.p++;
    }
  }

  private peek(): i32 {
    return this.p < this.end ? <i32>load<u8>(this.p) : -1;
  }

  private value(depth: i32): JSONValue | null {
    this.ws();
    if (depth > MAX_DEPTH) return this.fail("nested deeper than 512");
    const v = new JSONValue();
    v.offset = <u32>(this.p - this.start);
    const c = this.peek();
    if (c == 0x7b) return this.object(v, depth);
    if (c == 0x5b) return this.array(v, depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      v.kind = JSONKind.String;
      v.str = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(v);
    if (this.word("true")) {
      v.kind = JSONKind.Bool;
      v.bool = true;
      return v;
    }
    if (this.word("false")) {
      v.kind = JSONKind.Bool;
      return v;
    }
    if (this.word("null")) return v;
    return this.fail("want a value");
  }

  private word(w: string): bool {
    const n = <usize>w.length;
    if (this.end - this.p < n) return false;
    for (let i: usize = 0; i < n; i++) if (<i32>load<u8>(this.p + i) != w.charCodeAt(<i32>i)) return false;
    this.p += n;
    return true;
  }

  private object(v: JSONValue, depth: i32): JSONValue | null {
    v.kind = JSONKind.Object;
    this.p++;
    this.ws();
    if (this.peek() == 0x7d) {
      this.p++;
      return v;
    }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return this.fail("want a key");
      const k = this.string();
      if (k === null) return null;
      this.ws();
      if (this.peek() != 0x3a) return this.fail("want ':' after key");
      this.p++;
      const m = this.value(depth + 1);
      if (m === null) return null;
      v.keys.push(k);
      v.items.push(m);
      this.ws();
      const c = this.peek();
      this.p++;
      if (c == 0x7d) return v;
      if (c != 0x2c) {
        this.p--;
        return this.fail("want ',' or '}'");
      }
    }
  }

  private array(v: JSONValue, depth: i32): JSONValue | null {
    v.kind = JSONKind.Array;
    this.p++;
    this.ws();
    if (this.peek() == 0x5d) {
      this.p++;
      return v;
    }
    while (true) {
      const m = this.value(depth + 1);
      if (m === null) return null;
      v.items.push(m);
      this.ws();
      const c = this.peek();
      this.p++;
      if (c == 0x5d) return v;
      if (c != 0x2c) {
        this.p--;
        return this.fail("want ',' or ']'");
      }
    }
  }

  private digits(): u32 {
    let n: u32 = 0;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      this.p++;
      n++;
    }
    return n;
  }

  private number(v: JSONValue): JSONValue | null {
    const from = this.p;
    if (this.peek() == 0x2d) this.p++;
    if (this.peek() == 0x30) this.p++;
    else if (this.digits() == 0) return this.fail("bad number");
    if (this.peek() == 0x2e) {
      this.p++;
      if (this.digits() == 0) return this.fail("bad number");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      this.p++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.p++;
      if (this.digits() == 0) return this.fail("bad number");
    }
    v.kind = JSONKind.Number;
    v.str = text(from, <u32>(this.p - from));
    return v;
  }

  private hex4(): i32 {
    if (this.end - this.p < 4) return -1;
    let x = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.p++);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      x = (x << 4) | d;
    }
    return x;
  }

  /** A string at p (its opening quote), decoded; raw bytes must be valid UTF-8. */
  private string(): string | null {
    this.p++;
    let out = "";
    let run = this.p;
    while (true) {
      if (this.p >= this.end) {
        this.fail("unterminated string");
        return null;
      }
      const c = load<u8>(this.p);
      if (c == 0x22) {
        if (!this.run(run)) return null;
        out += text(run, <u32>(this.p - run));
        this.p++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character in a string");
        return null;
      }
      if (c != 0x5c) {
        this.p++;
        continue;
      }
      if (!this.run(run)) return null;
      out += text(run, <u32>(this.p - run));
      this.p++;
      const e = this.peek();
      this.p++;
      if (e == 0x75) {
        const u = this.escapedRune();
        if (u < 0) return null;
        out += String.fromCodePoint(u);
      } else {
        const s = simpleEscape(e);
        if (s.length == 0) {
          this.p -= 2;
          this.fail("bad escape in a string");
          return null;
        }
        out += s;
      }
      run = this.p;
    }
  }

  /** Whether the unescaped bytes [from, p) are valid UTF-8. */
  private run(from: usize): bool {
    if (validUTF8(from, <u32>(this.p - from))) return true;
    this.fail("invalid UTF-8 in a string");
    return false;
  }

  /** The code point of \uXXXX (after the u), with a surrogate pair's second half. */
  private escapedRune(): i32 {
    const at = this.p - 2;
    const u = this.hex4();
    if (u < 0) return this.badEscape(at);
    if (u < 0xd800 || u > 0xdfff) return u;
    if (u > 0xdbff || this.end - this.p < 6 || load<u8>(this.p) != 0x5c || load<u8>(this.p + 1) != 0x75) return this.loneSurrogate(at);
    const second = this.p;
    this.p += 2;
    const lo = this.hex4();
    if (lo < 0xdc00 || lo > 0xdfff) {
      this.p = second; // what follows is read as it is (encoding/json)
      return this.loneSurrogate(at);
    }
    return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
  }

  private loneSurrogate(at: usize): i32 {
    return this.lenientSurrogates ? 0xfffd : this.badEscape(at);
  }

  private badEscape(at: usize): i32 {
    this.p = at;
    this.fail("bad escape in a string");
    return -1;
  }
}

function simpleEscape(e: i32): string {
  switch (e) {
    case 0x22: return '"';
    case 0x5c: return "\\";
    case 0x2f: return "/";
    case 0x62: return "\b";
    case 0x66: return "\f";
    case 0x6e: return "\n";
    case 0x72: return "\r";
    case 0x74: return "\t";
  }
  return "";
}

/** Whether [p, p+n) is exactly one valid JSON value (whitespace around it allowed). */
export function validJSON(p: usize, n: u32): bool {
  return new JSONReader(p, n).document() !== null;
}

/** s as a JSON string literal, quoted and escaped. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

// JSON path helpers for whole-value handlers: find the values at a dot
// path (`customer.email`, `items.*.sku`, `items.0.sku`) in a record's raw
// bytes and splice replacements in, without building a tree. The scan is
// bounded by the document and MAX_DEPTH; it does not validate the record
// (field projection, docs/abi.md §4b, has the host do that).

import { text } from "./buffer";
import { MAX_DEPTH } from "./json";

/** A value's bytes [start, end) as offsets into the document. */
export class Span {
  constructor(public start: u32, public end: u32) {}
}

/** Finds the values at a path in one document. */
export class PathScanner {
  segs: string[];
  spans: Span[] = [];
  private base: usize = 0;
  private end: usize = 0;
  /** Set when the document ended early or nests too deep. */
  bad: bool = false;

  constructor(path: string) {
    this.segs = path.split(".");
  }

  /** Every value at the path in [p, p+n), in document order. */
  find(p: usize, n: u32): Span[] {
    this.spans = [];
    this.base = p;
    this.end = p + n;
    this.bad = false;
    this.walk(this.ws(p), 0);
    return this.spans;
  }

  /** find over a byte array. */
  findIn(doc: Uint8Array): Span[] {
    return this.find(doc.dataStart, <u32>doc.length);
  }

  private ws(p: usize): usize {
    while (p < this.end) {
      const c = load<u8>(p);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      p++;
    }
    return p;
  }

  /** Walks the value at p against segs[i:], returning where it ends. */
  private walk(p: usize, i: i32): usize {
    if (p >= this.end) {
      this.bad = true;
      return this.end;
    }
    if (i == this.segs.length) {
      const e = this.skip(p, 0);
      this.spans.push(new Span(<u32>(p - this.base), <u32>(e - this.base)));
      return e;
    }
    const c = load<u8>(p);
    if (c == 0x7b) return this.members(p + 1, i);
    if (c == 0x5b) return this.elements(p + 1, i);
    return this.skip(p, 0);
  }

  private members(p: usize, i: i32): usize {
    const seg = unchecked(this.segs[i]);
    while (true) {
      p = this.ws(p);
      if (p >= this.end || load<u8>(p) == 0x7d) return p + 1;
      if (load<u8>(p) == 0x2c) p = this.ws(p + 1);
      if (p >= this.end || load<u8>(p) != 0x22) return this.fail();
      const ke = this.skipString(p);
      if (this.bad) return this.end;
      const match = seg == "*" || keyText(p + 1, ke - 1) == seg;
      p = this.ws(ke);
      if (p >= this.end || load<u8>(p) != 0x3a) return this.fail();
      p = this.ws(p + 1);
      p = match ? this.walk(p, i + 1) : this.skip(p, 0);
      if (this.bad) return this.end;
    }
  }

  private elements(p: usize, i: i32): usize {
    const seg = unchecked(this.segs[i]);
    let k = 0;
    while (true) {
      p = this.ws(p);
      if (p >= this.end || load<u8>(p) == 0x5d) return p + 1;
      if (load<u8>(p) == 0x2c) p = this.ws(p + 1);
      p = seg == "*" || seg == k.toString() ? this.walk(p, i + 1) : this.skip(p, 0);
      if (this.bad) return this.end;
      k++;
    }
  }

  private fail(): usize {
    this.bad = true;
    return this.end;
  }

  /** Where the string at p (its opening quote) ends, after its closing quote. */
  private skipString(p: usize): usize {
    for (p++; p < this.end; p++) {
      const c = load<u8>(p);
      if (c == 0x5c) p++;
      else if (c == 0x22) return p + 1;
    }
    return this.fail();
  }

  /** Where the value at p ends. */
  private skip(p: usize, depth: i32): usize {
    if (depth > MAX_DEPTH) return this.fail();
    const c = load<u8>(p);
    if (c == 0x22) return this.skipString(p);
    if (c != 0x7b && c != 0x5b) {
      while (p < this.end) {
        const d = load<u8>(p);
        if (d == 0x2c || d == 0x7d || d == 0x5d || d == 0x20 || d == 0x09 || d == 0x0a || d == 0x0d) break;
        p++;
      }
      return p;
    }
    const close: u8 = c == 0x7b ? 0x7d : 0x5d;
    p = this.ws(p + 1);
    while (p < this.end && load<u8>(p) != close) {
      const d = load<u8>(p);
      if (d == 0x2c || d == 0x3a) p = this.ws(p + 1);
      else p = this.ws(this.skip(p, depth + 1));
      if (this.bad) return this.end;
    }
    return p < this.end ? p + 1 : this.fail();
  }
}

/** A key's text; an escaped key is decoded for the comparison. */
function keyText(p: usize, e: usize): string {
  const s = text(p, <u32>(e - p));
  if (s.indexOf("\\") < 0) return s;
  return unescape(s);
}

function unescape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c != "\\" || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const e = s.charAt(++i);
    if (e == "u" && i + 4 < s.length) {
      out += String.fromCharCode(<i32>I32.parseInt(s.substr(i + 1, 4), 16));
      i += 4;
    } else if (e == "n") out += "\n";
    else if (e == "t") out += "\t";
    else if (e == "r") out += "\r";
    else if (e == "b") out += "\b";
    else if (e == "f") out += "\f";
    else out += e;
  }
  return out;
}

/**
 * The document [p, p+n) with each span replaced by the bytes repl returns
 * for it (spans in document order, not overlapping, as find gives them).
 */
export function replace(p: usize, n: u32, spans: Span[], repl: (raw: Uint8Array) => Uint8Array): Uint8Array {
  const parts = new Array<Uint8Array>();
  let size: u32 = n;
  for (let i = 0; i < spans.length; i++) {
    const s = unchecked(spans[i]);
    const raw = new Uint8Array(<i32>(s.end - s.start));
    memory.copy(raw.dataStart, p + s.start, s.end - s.start);
    const r = repl(raw);
    parts.push(r);
    size = size - (s.end - s.start) + <u32>r.length;
  }
  const out = new Uint8Array(<i32>size);
  let at: u32 = 0,
    from: u32 = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = unchecked(spans[i]);
    const r = unchecked(parts[i]);
    memory.copy(out.dataStart + at, p + from, s.start - from);
    at += s.start - from;
    memory.copy(out.dataStart + at, r.dataStart, <u32>r.length);
    at += <u32>r.length;
    from = s.end;
  }
  memory.copy(out.dataStart + at, p + from, n - from);
  return out;
}

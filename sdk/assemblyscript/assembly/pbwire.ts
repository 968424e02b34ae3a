// Protobuf wire-format helpers: read fields of a message in place and
// write new ones, without generated code or reflection. Every read is
// bounded by the message; a malformed one marks the reader bad.

import { Buf } from "./buffer";

export const WIRE_VARINT: u32 = 0;
export const WIRE_I64: u32 = 1;
export const WIRE_LEN: u32 = 2;
export const WIRE_I32: u32 = 5;

/** Reads a message's fields in order. */
export class WireReader {
  pos: usize;
  end: usize;
  bad: bool = false;
  /** The current field (after next()): its number and wire type. */
  field: u32 = 0;
  wire: u32 = 0;
  /** A LEN field's bytes (after bytes()): where and how long. */
  ptr: usize = 0;
  len: u32 = 0;

  constructor(p: usize, n: u32) {
    this.pos = p;
    this.end = p + n;
  }

  static of(b: Uint8Array): WireReader {
    return new WireReader(b.dataStart, <u32>b.length);
  }

  /** Advances to the next field's tag; false at the end or when bad. */
  next(): bool {
    if (this.bad || this.pos >= this.end) return false;
    const tag = this.varint();
    this.field = <u32>(tag >> 3);
    this.wire = <u32>(tag & 7);
    if (this.field == 0 || tag > 0xffffffff) this.bad = true;
    return !this.bad;
  }

  varint(): u64 {
    let v: u64 = 0;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) break;
      const b = <u64>load<u8>(this.pos++);
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    this.bad = true;
    return 0;
  }

  /** A zigzag-encoded sint32/sint64. */
  sint(): i64 {
    const v = this.varint();
    return <i64>(v >> 1) ^ -(<i64>(v & 1));
  }

  fixed32(): u32 {
    if (this.end - this.pos < 4) return this.badU32();
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(): u64 {
    if (this.end - this.pos < 8) return <u64>this.badU32();
    const v = load<u64>(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads a LEN field's bytes into ptr and len. */
  bytes(): void {
    const n = this.varint();
    if (n > <u64>(this.end - this.pos)) {
      this.bad = true;
      this.len = 0;
      return;
    }
    this.ptr = this.pos;
    this.len = <u32>n;
    this.pos += <usize>n;
  }

  /** A LEN field as text. */
  string(): string {
    this.bytes();
    return String.UTF8.decodeUnsafe(this.ptr, this.len, false);
  }

  /** Skips the current field's value. */
  skip(): void {
    if (this.wire == WIRE_VARINT) this.varint();
    else if (this.wire == WIRE_I64) this.fixed64();
    else if (this.wire == WIRE_LEN) this.bytes();
    else if (this.wire == WIRE_I32) this.fixed32();
    else this.bad = true; // groups (3, 4) and unknown types
  }

  private badU32(): u32 {
    this.bad = true;
    this.pos = this.end;
    return 0;
  }
}

/**
 * Appends fields to a message. Its buffer lives outside the collector and
 * is never freed: make one writer and reset() it for each message.
 */
export class WireWriter {
  buf: Buf = new Buf();

  /** Starts a new message, keeping the memory. */
  reset(): void {
    this.buf.reset();
  }

  tag(field: u32, wire: u32): void {
    this.varint((<u64>field << 3) | wire);
  }

  varint(v: u64): void {
    while (v >= 0x80) {
      this.buf.u8(<u8>(v | 0x80));
      v >>= 7;
    }
    this.buf.u8(<u8>v);
  }

  sint(v: i64): void {
    this.varint(<u64>((v << 1) ^ (v >> 63)));
  }

  fixed32(v: u32): void {
    this.buf.u32(v);
  }

  fixed64(v: u64): void {
    store<u64>(this.buf.room(8), v);
    this.buf.len += 8;
  }

  /** A LEN field: tag, length, bytes [p, p+n). */
  bytes(field: u32, p: usize, n: u32): void {
    this.tag(field, WIRE_LEN);
    this.varint(n);
    this.buf.raw(p, n);
  }

  string(field: u32, s: string): void {
    const b = String.UTF8.encode(s, false);
    this.bytes(field, changetype<usize>(b), <u32>b.byteLength);
  }

  /** A copy of the message written so far. */
  finish(): Uint8Array {
    const out = new Uint8Array(<i32>this.buf.len);
    memory.copy(out.dataStart, this.buf.ptr, this.buf.len);
    return out;
  }
}

// One input record and the decision taken on it (docs/abi.md §4).

import { Buf, copy, equals, text, utf8 } from "./buffer";
import { Reader } from "./reader";

export const KIND_EMIT: u8 = 1;
export const KIND_DROP: u8 = 2;
export const KIND_ERROR: u8 = 3;
export const FLAG_VALUE: u8 = 1;
export const FLAG_PORT: u8 = 2;
export const FLAG_META: u8 = 4;
export const FLAG_FIELDS: u8 = 8;

/** A metadata change: set key to value, or delete key. */
export class MetaOp {
  constructor(public del: bool, public key: string, public value: string) {}
}

class Emitted {
  constructor(public value: Uint8Array, public ports: string[]) {}
}

/**
 * The input's metadata, read in place from the batch: keys and values are
 * views, decoded only when asked for.
 */
export class InputMeta {
  ptr: usize = 0;
  count: u32 = 0;

  /** Reads count entries at r, checking every length; false if truncated. */
  read(r: Reader, count: u32): bool {
    this.ptr = r.pos;
    this.count = count;
    for (let i: u32 = 0; i < count && !r.bad; i++) {
      r.bytes();
      r.bytes();
    }
    return !r.bad;
  }

  /** The value of key, or null; ops (later ones win) are applied first. */
  get(ops: MetaOp[], key: string): string | null {
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = unchecked(ops[i]);
      if (op.key == key) return op.del ? null : op.value;
    }
    let p = this.ptr;
    for (let i: u32 = 0; i < this.count; i++) {
      const kn = load<u32>(p);
      const vp = p + 4 + kn;
      const vn = load<u32>(vp);
      if (equals(p + 4, kn, key)) return text(vp + 4, vn);
      p = vp + 4 + vn;
    }
    return null;
  }

  /** The input's keys, in order. */
  keys(): string[] {
    const out = new Array<string>();
    let p = this.ptr;
    for (let i: u32 = 0; i < this.count; i++) {
      const kn = load<u32>(p);
      out.push(text(p + 4, kn));
      const vp = p + 4 + kn;
      p = vp + 4 + load<u32>(vp);
    }
    return out;
  }
}

/**
 * Record is one input record and the decision taken on it. By default it
 * is kept unchanged on the default port. The SDK reuses one Record for
 * every record: do not keep it past the handler.
 */
export class Record {
  /** Where the value is in the batch buffer, and its length. */
  valuePtr: usize = 0;
  valueLen: u32 = 0;
  meta: InputMeta = new InputMeta();
  newValue: Uint8Array | null = null;
  ops: MetaOp[] = [];
  ports: string[] = [];
  emits: Emitted[] = [];
  dropped: bool = false;
  error: string | null = null;
  touched: bool = false;

  /** A copy of the record's current value. */
  value(): Uint8Array {
    const v = this.newValue;
    if (v !== null) return v;
    return copy(this.valuePtr, this.valueLen);
  }

  /** The record's current value as text (invalid UTF-8 replaced). */
  valueString(): string {
    const v = this.newValue;
    if (v !== null) return text(v.dataStart, <u32>v.length);
    return text(this.valuePtr, this.valueLen);
  }

  /** Replaces the record's value. */
  setValue(v: Uint8Array): void {
    this.newValue = v;
    this.touched = true;
  }

  /** Replaces the record's value with the UTF-8 of s. */
  setValueString(s: string): void {
    this.setValue(utf8(s));
  }

  /** A metadata value, or null; SetMeta and DeleteMeta count. */
  getMeta(key: string): string | null {
    return this.meta.get(this.ops, key);
  }

  /** The input record's metadata keys. */
  metaKeys(): string[] {
    return this.meta.keys();
  }

  /** Sets a metadata key on every output of this record. */
  setMeta(key: string, value: string): void {
    this.ops.push(new MetaOp(false, key, value));
    this.touched = true;
  }

  /** Removes a metadata key from every output of this record. */
  deleteMeta(key: string): void {
    this.ops.push(new MetaOp(true, key, ""));
    this.touched = true;
  }

  /** Filters the record out: it produces no output. */
  drop(): void {
    this.dropped = true;
    this.touched = true;
  }

  /** Sends the record to a port declared in the manifest; call once per port. */
  route(port: string): void {
    this.ports.push(port);
    this.touched = true;
  }

  /**
   * Adds an output record (fan-out). Once a handler emits, the outputs are
   * exactly the emitted records, each with the input's metadata and the
   * metadata changes; a non-empty port routes it.
   */
  emit(value: Uint8Array, port: string = ""): void {
    this.emits.push(new Emitted(value, port.length > 0 ? [port] : []));
    this.touched = true;
  }

  /** Fails this record alone with msg (class guest_error). */
  fail(msg: string): void {
    this.error = msg;
    this.touched = true;
  }

  reset(): void {
    if (!this.touched) return;
    this.newValue = null;
    this.ops.length = 0;
    this.ports.length = 0;
    this.emits.length = 0;
    this.dropped = false;
    this.error = null;
    this.touched = false;
  }

  /** Writes the record's entries at index idx; returns how many. */
  encode(out: Buf, idx: u32): u32 {
    if (!this.touched) {
      out.u32(idx);
      out.u8(KIND_EMIT);
      out.u8(0);
      return 1;
    }
    const err = this.error;
    if (err !== null) {
      out.u32(idx);
      out.u8(KIND_ERROR);
      out.str(err);
      return 1;
    }
    if (this.dropped) {
      out.u32(idx);
      out.u8(KIND_DROP);
      return 1;
    }
    if (this.emits.length == 0) return this.encodePorts(out, idx, this.newValue, this.ports);
    let n: u32 = 0;
    for (let i = 0; i < this.emits.length; i++) {
      const e = unchecked(this.emits[i]);
      n += this.encodePorts(out, idx, e.value, e.ports);
    }
    return n;
  }

  private encodePorts(out: Buf, idx: u32, value: Uint8Array | null, ports: string[]): u32 {
    if (ports.length == 0) {
      encodeEmit(out, idx, value, null, this.ops);
      return 1;
    }
    for (let i = 0; i < ports.length; i++) encodeEmit(out, idx, value, unchecked(ports[i]), this.ops);
    return <u32>ports.length;
  }
}

/** Writes one EMIT entry. */
export function encodeEmit(out: Buf, idx: u32, value: Uint8Array | null, port: string | null, ops: MetaOp[]): void {
  let flags: u8 = 0;
  if (value !== null) flags |= FLAG_VALUE;
  if (port !== null) flags |= FLAG_PORT;
  if (ops.length > 0) flags |= FLAG_META;
  out.u32(idx);
  out.u8(KIND_EMIT);
  out.u8(flags);
  if (value !== null) out.array(value);
  if (port !== null) out.str(port);
  encodeOps(out, ops);
}

/** Writes meta_ops, if any. */
export function encodeOps(out: Buf, ops: MetaOp[]): void {
  if (ops.length == 0) return;
  out.u32(<u32>ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = unchecked(ops[i]);
    out.u8(op.del ? 2 : 1);
    out.str(op.key);
    if (!op.del) out.str(op.value);
  }
}

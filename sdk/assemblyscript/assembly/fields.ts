// Field projection (docs/abi.md §4b): the host finds the values at the
// declared paths, the guest answers with replacements.

import { Buf, copy, text, utf8 } from "./buffer";
import { InputMeta, KIND_DROP, KIND_EMIT, KIND_ERROR, FLAG_FIELDS, FLAG_META, FLAG_PORT, MetaOp, encodeOps } from "./record";
import { validUTF8 } from "./utf8";
import { validJSON } from "./json";

/** Field types as the host sends them. */
export enum FieldType {
  String = 1,
  Number = 2,
  Bool = 3,
  Null = 4,
  Object = 5,
  Array = 6,
}

const REPL_JSON: u8 = 0;
const REPL_TEXT: u8 = 1;

/**
 * The replacements of one output, 12 bytes each in raw memory: field
 * index, type (u32), offset in the arena, length (the type and offset
 * share a word: type in the top byte). Handlers usually set fields in
 * increasing order: then set appends and encode writes them as they are.
 * @unmanaged like its Buf: Repls are made once per Fields and pooled.
 */
// @ts-ignore: decorator
@unmanaged
class Repls {
  buf: Buf = new Buf();
  sorted: bool = true;

  get count(): u32 {
    return this.buf.len / 12;
  }

  clear(): void {
    this.buf.reset();
    this.sorted = true;
  }

  set(i: u32, typ: u8, off: u32, n: u32): void {
    const c = this.count;
    if (c > 0) {
      const last = load<u32>(this.buf.ptr + (c - 1) * 12);
      if (i <= last) {
        for (let k: u32 = 0; k < c; k++) {
          const at = this.buf.ptr + k * 12;
          if (load<u32>(at) == i) {
            store<u32>(at + 4, (<u32>typ << 24) | off);
            store<u32>(at + 8, n);
            return;
          }
        }
        this.sorted = false;
      }
    }
    if (off >= 1 << 24) abort("weir: replacements of one batch over 16 MiB");
    const at = this.buf.room(12);
    store<u32>(at, i);
    store<u32>(at + 4, (<u32>typ << 24) | off);
    store<u32>(at + 8, n);
    this.buf.len += 12;
  }

  /** Makes this a copy of o, reusing its memory. */
  copyFrom(o: Repls): void {
    this.buf.reset();
    this.buf.raw(o.buf.ptr, o.buf.len);
    this.sorted = o.sorted;
  }

  /** Writes `n:u32 repl*n` in increasing field order. */
  encode(out: Buf, arena: Buf): void {
    const n = this.count;
    out.u32(n);
    let last: i64 = -1;
    for (let k: u32 = 0; k < n; k++) {
      let at = this.buf.ptr + k * 12;
      if (!this.sorted) at = this.next(last);
      last = <i64>load<u32>(at);
      const w = load<u32>(at + 4);
      out.u32(load<u32>(at));
      out.u8(<u8>(w >> 24));
      out.bytes(arena.ptr + (w & 0xffffff), load<u32>(at + 8));
    }
  }

  /** The entry with the smallest field index above last. */
  private next(last: i64): usize {
    let best: usize = 0;
    for (let j: u32 = 0; j < this.count; j++) {
      const at = this.buf.ptr + j * 12;
      const f = <i64>load<u32>(at);
      if (f > last && (best == 0 || f < <i64>load<u32>(best))) best = at;
    }
    return best;
  }
}

class FieldsEmit {
  repls: Repls = new Repls();
  port: string | null = null;
}

/**
 * Fields is one projected record: the values found at the declared paths,
 * its metadata and the decision taken on it. By default it is kept
 * unchanged. The SDK reuses one Fields for every record.
 */
export class Fields {
  count: u32 = 0;
  /** The record's fields, 16 bytes each: path, type, value pointer, value length. */
  found: Buf = new Buf();
  meta: InputMeta = new InputMeta();
  ops: MetaOp[] = [];
  ports: string[] = [];
  /** The outputs emitted so far, the first emitCount of a pool kept across records (a Buf is never freed). */
  emits: FieldsEmit[] = [];
  emitCount: i32 = 0;
  repls: Repls = new Repls();
  /** Replacement bytes of the whole batch, kept until the next call. */
  arena: Buf = new Buf();
  dropped: bool = false;
  error: string | null = null;
  touched: bool = false;

  /** The index of the declared path field i is at. */
  // @ts-ignore: decorator
  @inline path(i: u32): u32 {
    return load<u32>(this.at(i));
  }

  // @ts-ignore: decorator
  @inline type(i: u32): FieldType {
    return <FieldType>load<u32>(this.at(i) + 4);
  }

  /** Where field i's bytes are (a string's decoded text, otherwise raw JSON), and their length. */
  // @ts-ignore: decorator
  @inline valuePtr(i: u32): usize {
    return <usize>load<u32>(this.at(i) + 8);
  }

  // @ts-ignore: decorator
  @inline valueLen(i: u32): u32 {
    return load<u32>(this.at(i) + 12);
  }

  valueString(i: u32): string {
    return text(this.valuePtr(i), this.valueLen(i));
  }

  value(i: u32): Uint8Array {
    return copy(this.valuePtr(i), this.valueLen(i));
  }

  // @ts-ignore: decorator
  @inline private at(i: u32): usize {
    this.checkIndex(i);
    return this.found.ptr + (<usize>i << 4);
  }

  /** Makes field i the JSON string of s. */
  setString(i: u32, s: string): void {
    const b = utf8(s);
    this.setStringBytes(i, b.dataStart, <u32>b.length);
  }

  /** Makes field i the JSON string of the UTF-8 text [p, p+n); invalid UTF-8 fails the record. */
  setStringBytes(i: u32, p: usize, n: u32): void {
    if (!validUTF8(p, n)) {
      this.fail("weir: field " + i.toString() + ": replacement text is not valid UTF-8");
      return;
    }
    memory.copy(this.stringRoom(i, n), p, n);
  }

  /**
   * Reserves n bytes of field i's replacement text and returns where to
   * write them, straight into the arena; the text must be valid UTF-8.
   * The pointer is good until the next set or room call.
   */
  stringRoom(i: u32, n: u32): usize {
    this.checkIndex(i);
    const off = this.arena.len;
    const at = this.arena.room(n);
    this.arena.len += n;
    this.repls.set(i, REPL_TEXT, off, n);
    this.touched = true;
    return at;
  }

  /**
   * Makes field i the raw JSON value raw. It is checked here: one that is
   * not exactly one valid JSON value fails the record, not the batch.
   */
  setJSON(i: u32, raw: string): void {
    this.checkIndex(i);
    const b = utf8(raw);
    if (!validJSON(b.dataStart, <u32>b.length)) {
      this.fail("weir: field " + i.toString() + ": replacement is not one valid JSON value");
      return;
    }
    const off = this.arena.len;
    this.arena.bytes(b.dataStart, <u32>b.length);
    this.repls.set(i, REPL_JSON, off + 4, <u32>b.length);
    this.touched = true;
  }

  getMeta(key: string): string | null {
    return this.meta.get(this.ops, key);
  }

  setMeta(key: string, value: string): void {
    this.ops.push(new MetaOp(false, key, value));
    this.touched = true;
  }

  deleteMeta(key: string): void {
    this.ops.push(new MetaOp(true, key, ""));
    this.touched = true;
  }

  drop(): void {
    this.dropped = true;
    this.touched = true;
  }

  /** Sends the record to a declared port; call once per port. */
  route(port: string): void {
    this.ports.push(port);
    this.touched = true;
  }

  /**
   * Adds an output with the replacements set so far (fan-out); once a
   * handler emits, the outputs are exactly the emitted ones.
   */
  emit(port: string = ""): void {
    if (this.emitCount == this.emits.length) this.emits.push(new FieldsEmit());
    const e = this.emits[this.emitCount++];
    e.repls.copyFrom(this.repls);
    e.port = port.length > 0 ? port : null;
    this.touched = true;
  }

  /** Fails this record alone with msg (class guest_error). */
  fail(msg: string): void {
    this.error = msg;
    this.touched = true;
  }

  private checkIndex(i: u32): void {
    if (i >= this.count) abort("weir: field index out of range");
  }

  reset(): void {
    this.count = 0;
    if (!this.touched) return;
    this.ops.length = 0;
    this.ports.length = 0;
    this.emitCount = 0;
    this.repls.clear();
    this.dropped = false;
    this.error = null;
    this.touched = false;
  }

  /** Writes the record's entries at index idx; returns how many. */
  encode(out: Buf, idx: u32): u32 {
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
    if (this.emitCount > 0) {
      for (let k = 0; k < this.emitCount; k++) {
        const e = unchecked(this.emits[k]);
        this.encodeEmit(out, idx, e.repls, e.port);
      }
      return <u32>this.emitCount;
    }
    if (this.ports.length == 0) {
      this.encodeEmit(out, idx, this.repls, null);
      return 1;
    }
    for (let k = 0; k < this.ports.length; k++) this.encodeEmit(out, idx, this.repls, unchecked(this.ports[k]));
    return <u32>this.ports.length;
  }

  private encodeEmit(out: Buf, idx: u32, repls: Repls, port: string | null): void {
    let flags: u8 = 0;
    if (port !== null) flags |= FLAG_PORT;
    if (this.ops.length > 0) flags |= FLAG_META;
    if (repls.count > 0) flags |= FLAG_FIELDS;
    out.u32(idx);
    out.u8(KIND_EMIT);
    out.u8(flags);
    if (port !== null) out.str(port);
    encodeOps(out, this.ops);
    if (repls.count > 0) repls.encode(out, this.arena);
  }
}

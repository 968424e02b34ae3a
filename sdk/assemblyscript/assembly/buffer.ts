// Raw, growable byte buffers outside the garbage collector: the input
// buffer the host writes batches into and the output the guest answers in.
// Their addresses stay valid until the next call into the guest.

/**
 * A growable byte buffer in linear memory, appended to little-endian. It
 * is @unmanaged: it holds no references, so the collector need not track
 * it, and its hot methods carry no shadow-stack bookkeeping. A Buf is never
 * freed: make them once (the SDK's are singletons or pooled).
 */
// @ts-ignore: decorator
@unmanaged
export class Buf {
  ptr: usize = 0;
  len: u32 = 0;
  cap: u32 = 0;

  /** Empties the buffer, keeping its memory. */
  reset(): void {
    this.len = 0;
  }

  /** Makes room for n more bytes and returns where they go. */
  room(n: u32): usize {
    const need = <u64>this.len + <u64>n;
    if (need > 0x7fffffff) abort("weir: output over 2 GiB");
    if (<u32>need > this.cap) {
      let c = max<u32>(this.cap * 2, 256);
      while (c < <u32>need) c *= 2;
      this.ptr = this.ptr == 0 ? heap.alloc(c) : heap.realloc(this.ptr, c);
      this.cap = c;
    }
    return this.ptr + this.len;
  }

  u8(v: u8): void {
    store<u8>(this.room(1), v);
    this.len += 1;
  }

  u32(v: u32): void {
    store<u32>(this.room(4), v);
    this.len += 4;
  }

  /** Appends n raw bytes from p. */
  raw(p: usize, n: u32): void {
    memory.copy(this.room(n), p, n);
    this.len += n;
  }

  /** Appends a length-prefixed run of n bytes from p. */
  bytes(p: usize, n: u32): void {
    this.u32(n);
    this.raw(p, n);
  }

  /** Appends s length-prefixed as UTF-8, without an intermediate copy. */
  str(s: string): void {
    const n = <u32>String.UTF8.byteLength(s, false);
    this.u32(n);
    const at = this.room(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at, false);
    this.len += n;
  }

  /** Appends a length-prefixed copy of b. */
  array(b: Uint8Array): void {
    this.bytes(b.dataStart, <u32>b.length);
  }

  /** The (ptr << 32) | len result of the ABI (§2); 0 when empty. */
  result(): u64 {
    return this.len == 0 ? 0 : (<u64>this.ptr << 32) | <u64>this.len;
  }
}

/** The buffer the host writes into (weir_buffer). */
export const input = new Buf();

/** The guest's answer: init's error message, a batch's output. */
export const output = new Buf();

/** weir_buffer: a pointer to at least size bytes, the same one while it fits. */
export function buffer(size: u32): usize {
  if (size > input.cap) {
    if (input.ptr != 0) heap.free(input.ptr);
    input.ptr = heap.alloc(size);
    input.cap = size;
  }
  return input.ptr;
}

/** Bytes [p, p+n) as a string, decoded as UTF-8 (invalid bytes replaced). */
export function text(p: usize, n: u32): string {
  return String.UTF8.decodeUnsafe(p, n, false);
}

/** A copy of bytes [p, p+n). */
export function copy(p: usize, n: u32): Uint8Array {
  const a = new Uint8Array(<i32>n);
  memory.copy(a.dataStart, p, n);
  return a;
}

/** Whether bytes [p, p+n) are exactly the UTF-8 of s. */
export function equals(p: usize, n: u32, s: string): bool {
  if (<u32>String.UTF8.byteLength(s, false) != n) return false;
  const b = String.UTF8.encode(s, false);
  return memory.compare(p, changetype<usize>(b), n) == 0;
}

/** The UTF-8 bytes of s. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s, false));
}

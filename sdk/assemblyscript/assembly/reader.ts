// A bounds-checked reader over the batch the host wrote: a length that
// runs past the end marks the reader bad instead of reading on. It is
// @unmanaged (no references, never freed): make it once.

// @ts-ignore: decorator
@unmanaged
export class Reader {
  pos: usize;
  end: usize;
  bad: bool = false;
  lastLen: u32 = 0;

  constructor(ptr: usize, len: u32) {
    this.pos = ptr;
    this.end = ptr + len;
  }

  /** Points the reader at [ptr, ptr+len), reusing it. */
  reset(ptr: usize, len: u32): Reader {
    this.pos = ptr;
    this.end = ptr + len;
    this.bad = false;
    return this;
  }

  left(): u32 {
    return <u32>(this.end - this.pos);
  }

  u8(): u8 {
    if (this.left() < 1) {
      this.bad = true;
      return 0;
    }
    const v = load<u8>(this.pos);
    this.pos += 1;
    return v;
  }

  u32(): u32 {
    if (this.left() < 4) {
      this.bad = true;
      return 0;
    }
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  /** A length-prefixed run: its start, its length in lastLen. */
  bytes(): usize {
    const n = this.u32();
    if (n > this.left()) {
      this.bad = true;
      this.lastLen = 0;
      return this.pos;
    }
    const p = this.pos;
    this.pos += n;
    this.lastLen = n;
    return p;
  }

}

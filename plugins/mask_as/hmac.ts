// HMAC-SHA256 (RFC 2104, FIPS 180-4) over linear memory, for action hmac.

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** A SHA-256 state: absorb with update, read the digest with sum. */
class SHA256 {
  h: StaticArray<u32> = new StaticArray<u32>(8);
  w: StaticArray<u32> = new StaticArray<u32>(64);
  block: StaticArray<u8> = new StaticArray<u8>(64);
  fill: i32 = 0;
  total: u64 = 0;

  reset(): void {
    const iv: StaticArray<u32> = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    for (let i = 0; i < 8; i++) this.h[i] = iv[i];
    this.fill = 0;
    this.total = 0;
  }

  update(p: usize, n: u32): void {
    this.total += n;
    const b = changetype<usize>(this.block);
    while (n > 0) {
      const take = min<u32>(n, <u32>(64 - this.fill));
      memory.copy(b + this.fill, p, take);
      this.fill += take;
      p += take;
      n -= take;
      if (this.fill == 64) {
        this.compress();
        this.fill = 0;
      }
    }
  }

  private compress(): void {
    const w = this.w, b = changetype<usize>(this.block);
    for (let i = 0; i < 16; i++) w[i] = bswap<u32>(load<u32>(b + i * 4));
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], c = w[i - 2];
      const s0 = rotr<u32>(a, 7) ^ rotr<u32>(a, 18) ^ (a >>> 3);
      const s1 = rotr<u32>(c, 17) ^ rotr<u32>(c, 19) ^ (c >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let a = this.h[0], bb = this.h[1], c = this.h[2], d = this.h[3];
    let e = this.h[4], f = this.h[5], g = this.h[6], h = this.h[7];
    for (let i = 0; i < 64; i++) {
      const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
      const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = bb;
      bb = a;
      a = t1 + t2;
    }
    this.h[0] += a;
    this.h[1] += bb;
    this.h[2] += c;
    this.h[3] += d;
    this.h[4] += e;
    this.h[5] += f;
    this.h[6] += g;
    this.h[7] += h;
  }

  /** Writes the 32-byte digest at out. */
  sum(out: usize): void {
    const bits = this.total * 8;
    const pad = new StaticArray<u8>(72);
    pad[0] = 0x80;
    const n = this.fill < 56 ? 56 - this.fill : 120 - this.fill;
    store<u64>(changetype<usize>(pad) + n, bswap<u64>(bits));
    this.update(changetype<usize>(pad), <u32>n + 8);
    for (let i = 0; i < 8; i++) store<u32>(out + i * 4, bswap<u32>(this.h[i]));
  }
}

/** HMAC-SHA256 under one key. */
export class HMAC {
  private inner: StaticArray<u8> = new StaticArray<u8>(64);
  private outer: StaticArray<u8> = new StaticArray<u8>(64);
  private s: SHA256 = new SHA256();
  private mid: StaticArray<u8> = new StaticArray<u8>(32);

  constructor(key: Uint8Array) {
    const k = new StaticArray<u8>(64);
    if (key.length > 64) {
      this.s.reset();
      this.s.update(key.dataStart, <u32>key.length);
      this.s.sum(changetype<usize>(k));
    } else memory.copy(changetype<usize>(k), key.dataStart, key.length);
    for (let i = 0; i < 64; i++) {
      this.inner[i] = k[i] ^ 0x36;
      this.outer[i] = k[i] ^ 0x5c;
    }
  }

  /** Writes the 32-byte MAC of [p, p+n) at out. */
  sum(p: usize, n: u32, out: usize): void {
    const s = this.s;
    s.reset();
    s.update(changetype<usize>(this.inner), 64);
    s.update(p, n);
    s.sum(changetype<usize>(this.mid));
    s.reset();
    s.update(changetype<usize>(this.outer), 64);
    s.update(changetype<usize>(this.mid), 32);
    s.sum(out);
  }
}

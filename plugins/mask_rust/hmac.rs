//! SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104) over it.

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const H0: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// A SHA-256 state: what it absorbed so far.
#[derive(Clone)]
pub struct Sha256 {
    h: [u32; 8],
    len: u64,
    block: [u8; 64],
    fill: usize,
}

impl Sha256 {
    pub fn new() -> Sha256 {
        Sha256 { h: H0, len: 0, block: [0; 64], fill: 0 }
    }

    pub fn write(&mut self, mut p: &[u8]) {
        self.len += p.len() as u64;
        if self.fill > 0 {
            let n = p.len().min(64 - self.fill);
            self.block[self.fill..self.fill + n].copy_from_slice(&p[..n]);
            self.fill += n;
            p = &p[n..];
            if self.fill < 64 {
                return;
            }
            let b = self.block;
            compress(&mut self.h, &b);
            self.fill = 0;
        }
        while p.len() >= 64 {
            compress(&mut self.h, &p[..64]);
            p = &p[64..];
        }
        self.block[..p.len()].copy_from_slice(p);
        self.fill = p.len();
    }

    pub fn sum(mut self) -> [u8; 32] {
        let bits = self.len * 8;
        self.write(&[0x80]);
        while self.fill != 56 {
            self.write(&[0]);
        }
        self.write(&bits.to_be_bytes());
        let mut out = [0; 32];
        for (i, w) in self.h.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

fn compress(h: &mut [u32; 8], p: &[u8]) {
    let mut w = [0u32; 64];
    for i in 0..16 {
        w[i] = u32::from_be_bytes([p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ w[i - 15] >> 3;
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = *h;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        hh = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (x, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
        *x = x.wrapping_add(v);
    }
}

/// HMAC-SHA256 keyed once: the states after the key's inner and outer
/// pads, cloned per message so a message costs only its own blocks.
pub struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    pub fn new(key: &[u8]) -> Hmac {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            let mut s = Sha256::new();
            s.write(key);
            k[..32].copy_from_slice(&s.sum());
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let (mut inner, mut outer) = (Sha256::new(), Sha256::new());
        inner.write(&k.map(|b| b ^ 0x36));
        outer.write(&k.map(|b| b ^ 0x5c));
        Hmac { inner, outer }
    }

    pub fn sum(&self, msg: &[u8]) -> [u8; 32] {
        let mut i = self.inner.clone();
        i.write(msg);
        let mut o = self.outer.clone();
        o.write(&i.sum());
        o.sum()
    }
}

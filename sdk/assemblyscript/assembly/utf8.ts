// UTF-8 validity, as the host checks replacement text (RFC 3629: no
// surrogates, no overlong forms, nothing past U+10FFFF).

/** Whether bytes [p, p+n) are valid UTF-8. */
export function validUTF8(p: usize, n: u32): bool {
  const end = p + n;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      p++;
      continue;
    }
    let need: u32, min: u32;
    if ((c & 0xe0) == 0xc0) {
      need = 1;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      need = 2;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      need = 3;
      min = 0x10000;
    } else return false;
    if (<usize>need > end - p - 1) return false;
    let cp = c & (0x3f >> need);
    for (let k: u32 = 1; k <= need; k++) {
      const b = <u32>load<u8>(p + k);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += 1 + need;
  }
  return true;
}

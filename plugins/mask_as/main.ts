// mask_as: weir's PII-masking transform in AssemblyScript, with the Go
// mask's JSON mode (plugins/mask) as its contract: the same config, the
// same output bytes (proven by plugins/mask_c/masktest).
//
// Actions: redact (the value becomes `with`, default "***"), last (`with`
// then the last `keep` characters, default 4, counted as UTF-8
// characters), email (`with` then the value from its last '@'; `with`
// alone without one), hmac (`with`, default "", then hex HMAC-SHA256 of
// the value under hmac_key). Numbers and booleans are masked as their
// text; null stays; an object or array is replaced whole by redact and
// refused by the other actions.
//
// It uses field projection (docs/abi.md §4b): the host validates each
// record, finds every value at every path and splices the masked values
// back; this code parses its config and masks values.
import { Fields, FieldType, handleFields, onInit, project } from "../../sdk/assemblyscript/assembly/index";
import { Action, Rule, mac, parseConfig, rules } from "./config";
export * from "../../sdk/assemblyscript/assembly/exports";

function init(config: Uint8Array): string | null {
  const err = parseConfig(config);
  if (err !== null) return err;
  const paths = new Array<string>();
  for (let i = 0; i < rules.length; i++) paths.push(rules[i].path);
  return project(paths);
}

/** Where the last n UTF-8 characters of [s, s+len) begin (0 if it has no more). */
function lastChars(s: usize, len: u32, n: i64): u32 {
  let i = len;
  for (; n > 0 && i > 0; n--) {
    i--;
    while (i > 0 && (load<u8>(s + i) & 0xc0) == 0x80) i--;
  }
  return i;
}

/** Where the last '@' is (len if there is none). */
function lastAt(s: usize, len: u32): u32 {
  for (let i = len; i > 0; i--) if (load<u8>(s + i - 1) == 0x40) return i - 1;
  return len;
}

const HEX = "0123456789abcdef";
const digest = new StaticArray<u8>(32);

/** Writes field i masked by rule r as its replacement, straight into the SDK's arena. */
function maskText(rec: Fields, i: u32, r: Rule, s: usize, len: u32): void {
  const w = r.with, wn = <u32>w.length;
  if (r.action == Action.Hmac) {
    const o = rec.stringRoom(i, wn + 64);
    mac!.sum(s, len, changetype<usize>(digest));
    memory.copy(o, w.dataStart, wn);
    for (let k = 0; k < 32; k++) {
      const b = digest[k];
      store<u8>(o + wn + 2 * k, <u8>HEX.charCodeAt(b >> 4));
      store<u8>(o + wn + 2 * k + 1, <u8>HEX.charCodeAt(b & 15));
    }
    return;
  }
  let from = len;
  if (r.action == Action.Last) from = lastChars(s, len, r.keep);
  else if (r.action == Action.Email) from = lastAt(s, len);
  const o = rec.stringRoom(i, wn + (len - from));
  memory.copy(o, w.dataStart, wn);
  memory.copy(o + wn, s + from, len - from);
}

/** Masks field i; returns false when the record failed. */
function maskField(rec: Fields, i: u32): bool {
  const p = rec.path(i);
  if (p >= <u32>rules.length) {
    rec.fail("mask: the host sent a field at an undeclared path");
    return false;
  }
  const r = rules[p];
  const t = rec.type(i);
  if (t == FieldType.Null) return true; // hides nothing
  if (t == FieldType.Object || t == FieldType.Array) {
    if (r.action != Action.Redact) {
      rec.fail("mask: field " + r.path + " is an object or array; only action redact applies");
      return false;
    }
    const o = rec.stringRoom(i, <u32>r.with.length);
    memory.copy(o, r.with.dataStart, r.with.length);
    return true;
  }
  maskText(rec, i, r, rec.valuePtr(i), rec.valueLen(i));
  return true;
}

function run(rec: Fields): void {
  for (let i: u32 = 0; i < rec.count; i++) if (!maskField(rec, i)) return;
}

onInit(init);
handleFields(run);

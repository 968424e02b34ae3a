// The AssemblyScript mask's config: the Go mask's JSON mode (plugins/mask),
// read with the SDK's strict JSON reader. Errors read as the Go mask's
// where the cause is the same; keys match case-insensitively (ASCII),
// duplicates decode in place and unknown keys are ignored, as Go's
// encoding/json does.

import { JSONKind, JSONReader, JSONValue, MAX_PATH_BYTES, MAX_PATHS, utf8 } from "../../sdk/assemblyscript/assembly/index";
import { HMAC } from "./hmac";

export enum Action {
  None,
  Redact,
  Last,
  Email,
  Hmac,
}

/** One masking rule. */
export class Rule {
  path: string = "";
  action: Action = Action.None;
  /** action last: characters kept. */
  keep: i64 = 4;
  /** The replacement, or the prefix of last, email and hmac, as UTF-8. */
  with: Uint8Array = new Uint8Array(0);
}

/** A rule as decoded, before the checks. */
class RawRule {
  path: string | null = null;
  action: string | null = null;
  with: string | null = null;
  keep: i64 = 0;
}

/** The most rules decoded before the config is refused. */
const DECODE_RULES = 1024;

export let rules: Rule[] = [];
export let mac: HMAC | null = null;

let raw: RawRule[] = [];
let rawCount = 0;
let hmacKey = "";
let format = "";
let bySchema = false;
/** The first decoding error: "offset N: what". */
let decodeError = "";

function foldEq(key: string, want: string): bool {
  if (key.length != want.length) return false;
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != want.charCodeAt(i)) return false;
  }
  return true;
}

function refuse(v: JSONValue, what: string): bool {
  if (decodeError.length == 0) decodeError = "offset " + v.offset.toString() + ": " + what;
  return false;
}

/** A string member, or null leaving it as it was. */
function readString(v: JSONValue, keep: string | null): string | null {
  if (v.kind == JSONKind.Null) return keep;
  if (v.kind != JSONKind.String) {
    refuse(v, "want a string");
    return keep;
  }
  return v.str;
}

function readKeep(v: JSONValue, r: RawRule): void {
  if (v.kind == JSONKind.Null) return;
  if (v.kind != JSONKind.Number) {
    refuse(v, "want an integer");
    return;
  }
  const s = v.str;
  if (s.indexOf(".") >= 0 || s.indexOf("e") >= 0 || s.indexOf("E") >= 0) {
    refuse(v, "want an integer, got " + s);
    return;
  }
  const digits = s.startsWith("-") ? s.length - 1 : s.length;
  const x = I64.parseInt(s, 10);
  if (digits > 19 || (digits == 19 && (s.startsWith("-") ? x > 0 : x < 0))) {
    refuse(v, "integer out of range");
    return;
  }
  r.keep = x;
}

function readRule(v: JSONValue, r: RawRule): void {
  if (v.kind == JSONKind.Null) return;
  if (v.kind != JSONKind.Object) {
    refuse(v, "want an object");
    return;
  }
  for (let i = 0; i < v.keys.length; i++) {
    const k = v.keys[i], m = v.items[i];
    if (foldEq(k, "path")) r.path = readString(m, r.path);
    else if (foldEq(k, "action")) r.action = readString(m, r.action);
    else if (foldEq(k, "with")) r.with = readString(m, r.with);
    else if (foldEq(k, "keep")) readKeep(m, r);
  }
}

function readFields(v: JSONValue): void {
  if (v.kind == JSONKind.Null) {
    rawCount = 0;
    return;
  }
  if (v.kind != JSONKind.Array) {
    refuse(v, "want an array");
    return;
  }
  if (v.items.length > DECODE_RULES) {
    refuse(v, "fields: more than 1024 rules");
    return;
  }
  for (let i = 0; i < v.items.length; i++) {
    if (i >= raw.length) raw.push(new RawRule());
    readRule(v.items[i], raw[i]);
  }
  rawCount = v.items.length;
}

function readTop(v: JSONValue): void {
  if (v.kind == JSONKind.Null) return;
  if (v.kind != JSONKind.Object) {
    refuse(v, "want an object");
    return;
  }
  for (let i = 0; i < v.keys.length; i++) {
    const k = v.keys[i], m = v.items[i];
    if (foldEq(k, "fields")) readFields(m);
    else if (foldEq(k, "hmac_key")) {
      const s = readString(m, hmacKey);
      hmacKey = s === null ? "" : s;
    } else if (foldEq(k, "format")) {
      const s = readString(m, format);
      format = s === null ? "" : s;
    } else if (foldEq(k, "unknown_fields")) readString(m, null);
    else if (foldEq(k, "weir_schema")) {
      if (m.kind == JSONKind.Object) bySchema = true;
      else if (m.kind != JSONKind.Null) refuse(m, "want an object");
    }
  }
}

/** s quoted as Go's %q does for printable ASCII, escaping the rest. */
function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20 || c == 0x7f) out += "\\x" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

function fail(msg: string): string {
  return "mask: config: " + msg;
}

function checkPath(i: i32, r: RawRule): string | null {
  const p = r.path === null ? "" : r.path!;
  if (p.indexOf("\0") >= 0) return fail("fields[" + i.toString() + "].path: holds a NUL character, which a projected path cannot");
  if (String.UTF8.byteLength(p, false) > MAX_PATH_BYTES)
    return fail("fields[" + i.toString() + "].path: longer than 1024 bytes, the most a projected path may be");
  if (p.length == 0 || p.startsWith(".") || p.endsWith(".") || p.indexOf("..") >= 0)
    return fail("fields[" + i.toString() + "].path: jsonpath: path " + goQuote(p) + " has an empty segment");
  return null;
}

const ACTIONS = ["", "redact", "last", "email", "hmac"];

/** The action and its defaults, as the Go mask's compileAction. */
function checkAction(i: i32, r: RawRule, out: Rule): string | null {
  const a = r.action === null ? "" : r.action!;
  out.action = Action.None;
  for (let k = 1; k < ACTIONS.length; k++) if (a == ACTIONS[k]) out.action = <Action>k;
  const w = r.with === null ? "" : r.with!;
  out.with = utf8(w.length == 0 && out.action != Action.Hmac ? "***" : w);
  out.keep = r.keep == 0 ? 4 : r.keep;
  const at = "fields[" + i.toString() + "]";
  if (out.action == Action.Hmac && hmacKey.length == 0) return fail(at + ": action hmac needs hmac_key");
  if (out.action == Action.None) return fail(at + ".action: unknown action " + goQuote(a) + " (want redact, last, email or hmac)");
  if (out.keep < 0) return fail(at + ".keep: must be >= 0");
  return null;
}

function check(): string | null {
  if (rawCount == 0 && bySchema)
    return fail("fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the AssemblyScript mask reads JSON");
  if (rawCount == 0) return fail("fields: at least one field rule is required");
  if (format.length > 0 && format != "json") {
    if (format == "protobuf") return fail("format: protobuf needs the Go mask (plugins/mask); the AssemblyScript mask reads JSON");
    return fail("format: want json or protobuf, got " + goQuote(format));
  }
  const out = new Array<Rule>();
  for (let i = 0; i < rawCount; i++) {
    const r = new Rule();
    let err = checkPath(i, raw[i]);
    if (err === null) err = checkAction(i, raw[i], r);
    if (err !== null) return err;
    r.path = raw[i].path!;
    out.push(r);
  }
  if (rawCount > MAX_PATHS) return fail("fields: " + rawCount.toString() + " rules, at most 64 in json format");
  rules = out;
  return null;
}

/** Parses and checks the config; returns null or the error for init. */
export function parseConfig(config: Uint8Array): string | null {
  if (config.length > 0) {
    const rd = JSONReader.of(config);
    rd.lenientSurrogates = true; // as the Go mask's encoding/json
    const doc = rd.document();
    if (doc === null) return fail(rd.message());
    readTop(doc);
    if (decodeError.length > 0) return fail(decodeError);
  }
  const err = check();
  if (err !== null) return err;
  if (hmacKey.length > 0) mac = new HMAC(utf8(hmacKey));
  return null;
}

// A guest that runs the SDK's helpers on each record, for the differential
// tests in sdk/assemblyscript/sdktest. Its config picks the helper:
//   path:P     the record is JSON; its value becomes the spans of P, "s-e,…"
//   replace:P  the record is JSON; each value at P becomes "X" (replace)
//   pb         the record is a protobuf message, read and written back field by field
//   json       the record is a JSON document; it becomes "ok" or the reader's error
//   log        logs the record at level warn
// A malformed input fails its record with "bad".
import { replace } from "../../assembly/jsonpath";
import { JSONReader, Level, PathScanner, Record, WireReader, WireWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, handle, log, onInit, utf8 } from "../../assembly/index";
export * from "../../assembly/exports";

let mode = "";
let scanner: PathScanner | null = null;
const writer = new WireWriter();

function init(config: Uint8Array): string | null {
  mode = String.UTF8.decode(config.buffer, false);
  const colon = mode.indexOf(":");
  if (colon >= 0) {
    scanner = new PathScanner(mode.substring(colon + 1));
    mode = mode.substring(0, colon);
  }
  return null;
}

function spans(r: Record): void {
  const found = scanner!.find(r.valuePtr, r.valueLen);
  if (scanner!.bad) return r.fail("bad");
  let out = "";
  for (let i = 0; i < found.length; i++) {
    if (i > 0) out += ",";
    out += found[i].start.toString() + "-" + found[i].end.toString();
  }
  r.setValueString(out);
}

function replaceX(raw: Uint8Array): Uint8Array {
  return utf8('"X"');
}

function pb(r: Record): void {
  const rd = new WireReader(r.valuePtr, r.valueLen);
  const w = writer;
  w.reset();
  while (rd.next()) {
    const f = rd.field;
    if (rd.wire == WIRE_VARINT) {
      const v = rd.varint();
      w.tag(f, WIRE_VARINT);
      w.varint(v);
    } else if (rd.wire == WIRE_I64) {
      const v = rd.fixed64();
      w.tag(f, WIRE_I64);
      w.fixed64(v);
    } else if (rd.wire == WIRE_I32) {
      const v = rd.fixed32();
      w.tag(f, WIRE_I32);
      w.fixed32(v);
    } else if (rd.wire == WIRE_LEN) {
      rd.bytes();
      w.bytes(f, rd.ptr, rd.len);
    } else rd.skip();
  }
  if (rd.bad) return r.fail("bad");
  r.setValue(w.finish());
}

function run(r: Record): void {
  if (mode == "path") spans(r);
  else if (mode == "replace") {
    const found = scanner!.find(r.valuePtr, r.valueLen);
    if (scanner!.bad) return r.fail("bad");
    r.setValue(replace(r.valuePtr, r.valueLen, found, replaceX));
  } else if (mode == "pb") pb(r);
  else if (mode == "json") {
    const rd = new JSONReader(r.valuePtr, r.valueLen);
    r.setValueString(rd.document() === null ? rd.message() : "ok");
  } else if (mode == "log") log(Level.Warn, r.valueString());
  else r.fail("unknown mode " + mode);
}

onInit(init);
handle(run);

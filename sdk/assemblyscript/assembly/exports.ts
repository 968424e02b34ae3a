// The ABI's exports (docs/abi.md §1). An entry file re-exports them:
//   export * from "<sdk>/assembly/exports";

import { buffer, input, output } from "./buffer";
import { Reader } from "./reader";
import { Record } from "./record";
import { Fields } from "./fields";
import { registry } from "./index";

const rec = new Record();
const fieldsRec = new Fields();
/** The batch reader, reused: a call allocates nothing before the handler runs. */
const batchReader = new Reader(0, 0);

export function weir_buffer(size: u32): usize {
  return buffer(size);
}

export function weir_init(len: u32): u64 {
  output.reset();
  const f = registry.init;
  if (f === null) return 0;
  const config = new Uint8Array(<i32>len);
  if (len > 0) memory.copy(config.dataStart, input.ptr, len);
  const err = f(config);
  if (err === null) return 0;
  const msg = err.length > 0 ? err : "init failed";
  const n = <u32>String.UTF8.byteLength(msg, false);
  String.UTF8.encodeUnsafe(changetype<usize>(msg), msg.length, output.room(n), false);
  output.len = n;
  return output.result();
}

export function weir_fields(): u64 {
  return registry.declared.result();
}

/** Starts the output: a count to patch once the entries are written. */
function begin(): void {
  output.reset();
  output.u32(0);
}

function finish(entries: u32): u64 {
  store<u32>(output.ptr, entries);
  return output.result();
}

export function weir_process(len: u32): u64 {
  const h = registry.handler;
  if (h === null) abort("weir: no handler: call handle() at the top level");
  const r = batchReader.reset(input.ptr, len);
  const count = r.u32();
  begin();
  let entries: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    rec.valuePtr = r.bytes();
    rec.valueLen = r.lastLen;
    const mc = r.u32();
    if (r.bad || !rec.meta.read(r, mc)) abort("weir: truncated batch");
    h!(rec);
    entries += rec.encode(output, i);
    rec.reset();
  }
  return finish(entries);
}

export function weir_process_fields(len: u32): u64 {
  const h = registry.fieldsHandler;
  if (h === null) abort("weir: no fields handler: call handleFields() at the top level");
  const r = batchReader.reset(input.ptr, len);
  const count = r.u32();
  begin();
  const f = fieldsRec;
  f.arena.reset();
  let entries: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    readFields(r, f);
    h!(f);
    entries += f.encode(output, i);
    f.reset();
  }
  return finish(entries);
}

/** Reads one projected record into f. */
function readFields(r: Reader, f: Fields): void {
  const n = r.u32();
  // every field takes at least 9 bytes: bound the count before trusting it
  if (<u64>n * 9 > <u64>r.left()) abort("weir: truncated batch");
  const found = f.found;
  found.reset();
  const at = found.room(n << 4);
  found.len = n << 4;
  for (let k: u32 = 0; k < n; k++) {
    const e = at + (<usize>k << 4);
    store<u32>(e, r.u32());
    store<u32>(e + 4, <u32>r.u8());
    store<u32>(e + 8, <u32>r.bytes());
    store<u32>(e + 12, r.lastLen);
  }
  f.count = n;
  const mc = r.u32();
  if (r.bad || !f.meta.read(r, mc)) abort("weir: truncated batch");
}

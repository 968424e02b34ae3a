// weir's AssemblyScript SDK: register a handler (and optionally an init
// function and projected paths) at the top level of your entry file, and
// re-export the ABI functions with `export * from ".../exports"`.

import "./abort";
import { Buf } from "./buffer";
import { Record } from "./record";
import { Fields } from "./fields";

export { Record, MetaOp } from "./record";
export { Fields, FieldType } from "./fields";
export { copy, text, utf8 } from "./buffer";
export { validUTF8 } from "./utf8";
export { JSONKind, JSONReader, JSONValue, quote, validJSON } from "./json";
export { PathScanner, Span, replace } from "./jsonpath";
export { WireReader, WireWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "./pbwire";

/** Handles one record; decide by calling its methods (default: keep). */
export type Handler = (r: Record) => void;

/** Handles one projected record. */
export type FieldsHandler = (r: Fields) => void;

/** Receives the config blob once per instance; returns an error message or null. */
export type InitFunc = (config: Uint8Array) => string | null;

/** @internal the registrations, read by ./exports. */
export class Registry {
  handler: Handler | null = null;
  fieldsHandler: FieldsHandler | null = null;
  init: InitFunc | null = null;
  /** The declared paths as `count:u32 path:string*count`, empty if none. */
  declared: Buf = new Buf();
}

export const registry = new Registry();

/** Sets the record handler of weir_process. */
export function handle(h: Handler): void {
  registry.handler = h;
}

/** Sets the handler of projected batches (weir_process_fields). */
export function handleFields(h: FieldsHandler): void {
  registry.fieldsHandler = h;
}

/** Sets the function weir_init calls with the config blob. */
export function onInit(f: InitFunc): void {
  registry.init = f;
}

/** The most paths, and the longest path, the host takes (docs/abi.md §4b). */
export const MAX_PATHS = 64;
export const MAX_PATH_BYTES = 1024;

/**
 * Declares the paths the host extracts for the fields handler; call it from
 * the init function. It returns an error message, or null. Declaring no
 * paths means the record handler gets whole values.
 */
export function project(paths: string[]): string | null {
  if (paths.length > MAX_PATHS) return "weir: " + paths.length.toString() + " paths, at most 64";
  for (let i = 0; i < paths.length; i++) {
    const p = unchecked(paths[i]);
    if (String.UTF8.byteLength(p, false) > MAX_PATH_BYTES) return "weir: path " + i.toString() + ": longer than 1024 bytes";
    const segs = p.split(".");
    for (let k = 0; k < segs.length; k++)
      if (unchecked(segs[k]).length == 0) return "weir: path " + i.toString() + ' "' + p + '": has an empty segment';
  }
  const d = registry.declared;
  d.reset();
  if (paths.length == 0) return null;
  d.u32(<u32>paths.length);
  for (let i = 0; i < paths.length; i++) d.str(unchecked(paths[i]));
  return null;
}

/** Log levels of log(). */
export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

// @ts-ignore: decorator
@external("weir", "log")
declare function hostLog(level: i32, ptr: usize, len: u32): void;

/** Writes msg to the host's log, tagged with the transform's name@version. */
export function log(level: Level, msg: string): void {
  const b = String.UTF8.encode(msg, false);
  hostLog(<i32>level, changetype<usize>(b), <u32>b.byteLength);
}

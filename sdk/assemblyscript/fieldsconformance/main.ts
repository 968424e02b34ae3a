// The AssemblyScript SDK's guest for the projection conformance vectors
// (sdk/testdata/projection.json, docs/abi.md §4b). Its config is
// {"paths": [...]}: it declares those paths and obeys the command in each
// string field, in field order: keep | set:TEXT | json:RAW | drop |
// error:MSG | route:P1,P2 | meta:K=V | getmeta:K | type | fanout:N. An
// error ends the record; fields of other types get no replacement.
import { Fields, FieldType, JSONKind, JSONReader, handleFields, onInit, project } from "../assembly/index";
export * from "../assembly/exports";

function init(config: Uint8Array): string | null {
  const doc = JSONReader.of(config);
  const v = doc.document();
  if (v === null) return "config: " + doc.message();
  const paths = v.get("paths");
  const list = new Array<string>();
  if (paths !== null && paths.kind == JSONKind.Array)
    for (let i = 0; i < paths.items.length; i++) list.push(paths.items[i].str);
  return project(list);
}

/** Obeys field i's command; returns false when the record failed. */
function obey(r: Fields, i: u32): bool {
  const cmd = r.valueString(i);
  const colon = cmd.indexOf(":");
  const verb = colon < 0 ? cmd : cmd.substring(0, colon);
  const arg = colon < 0 ? "" : cmd.substring(colon + 1);
  if (verb == "keep") return true;
  if (verb == "set") r.setString(i, arg);
  else if (verb == "json") {
    r.setJSON(i, arg);
    return r.error === null;
  } else if (verb == "drop") r.drop();
  else if (verb == "error") {
    r.fail(arg);
    return false;
  } else if (verb == "route") {
    const ports = arg.split(",");
    for (let k = 0; k < ports.length; k++) r.route(ports[k]);
  } else if (verb == "meta") {
    const eq = arg.indexOf("=");
    if (eq < 0) r.setMeta(arg, "");
    else r.setMeta(arg.substring(0, eq), arg.substring(eq + 1));
  } else if (verb == "getmeta") {
    const m = r.getMeta(arg);
    r.setString(i, m === null ? "<none>" : m);
  } else if (verb == "type") r.setString(i, (<i32>r.type(i)).toString());
  else if (verb == "fanout") {
    const n = I32.parseInt(arg);
    for (let k = 0; k < n; k++) {
      r.setString(i, k.toString());
      r.emit();
    }
  } else {
    r.fail("unknown command " + cmd);
    return false;
  }
  return true;
}

function run(r: Fields): void {
  for (let i: u32 = 0; i < r.count; i++) if (r.type(i) == FieldType.String && !obey(r, i)) return;
}

onInit(init);
handleFields(run);

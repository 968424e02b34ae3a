// The AssemblyScript SDK's guest for the ABI conformance vectors
// (sdk/testdata/conformance.json). Each record's value is a command:
//   keep | set:TEXT | drop | error:MSG | route:P1,P2 | fanout:N
//   meta:K=V | delmeta:K | getmeta:K | panic
import { Record, handle, onInit, utf8 } from "../assembly/index";
export * from "../assembly/exports";

let prefix = "";

function init(config: Uint8Array): string | null {
  const s = String.UTF8.decode(config.buffer, false);
  if (s == "fail") return "config says fail";
  prefix = s;
  return null;
}

function run(r: Record): void {
  const cmd = r.valueString();
  const colon = cmd.indexOf(":");
  const verb = colon < 0 ? cmd : cmd.substring(0, colon);
  const arg = colon < 0 ? "" : cmd.substring(colon + 1);
  if (verb == "keep") return;
  if (verb == "set") r.setValueString(prefix + arg);
  else if (verb == "drop") r.drop();
  else if (verb == "error") r.fail(arg);
  else if (verb == "route") {
    const ports = arg.split(",");
    for (let i = 0; i < ports.length; i++) r.route(ports[i]);
  } else if (verb == "fanout") {
    const n = I32.parseInt(arg);
    for (let i = 0; i < n; i++) r.emit(utf8(i.toString()));
  } else if (verb == "meta") {
    const eq = arg.indexOf("=");
    r.setMeta(arg.substring(0, eq), arg.substring(eq + 1));
  } else if (verb == "delmeta") r.deleteMeta(arg);
  else if (verb == "getmeta") {
    const v = r.getMeta(arg);
    r.setValueString(v === null ? "false:" : "true:" + v);
  } else if (verb == "panic") r.fail("handler panicked: asked to panic"); // AssemblyScript has no panics to recover: fail as Go's SDK does
  else r.fail("unknown command " + verb);
}

onInit(init);
handle(run);

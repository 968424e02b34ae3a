// The module's abort (built with --use abort=<this file>/weirAbort): the
// message goes to the host's log at level error, then the guest traps, so
// the batch fails with class trap and the instance is replaced. No import
// beyond weir's is needed (AssemblyScript's default imports env.abort).

// @ts-ignore: decorator
@external("weir", "log")
declare function hostLog(level: i32, ptr: usize, len: u32): void;

export function weirAbort(msg: string | null = null, file: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let s = "abort: " + (msg !== null ? msg : "");
  if (file !== null) s += " at " + file + ":" + line.toString() + ":" + column.toString();
  const b = String.UTF8.encode(s, false);
  hostLog(3, changetype<usize>(b), <u32>b.byteLength);
  unreachable();
}

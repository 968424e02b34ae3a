(module
  (import "weir" "log" (func $log (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 200)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  ;; batches of one record whose value is [n u32][fd u32][size u32][ptr u32]:
  ;; log a line of size 'x' bytes (no newline) n times, through weir.log when
  ;; fd is 0, else through fd_write to fd (1 stdout, 2 stderr); then keep the
  ;; record. A ptr other than 0 is passed as is, and nothing is written there.
  (func (export "weir_process") (param $len i32) (result i64)
    (local $n i32) (local $fd i32) (local $size i32) (local $ptr i32) (local $i i32)
    (local.set $n (i32.load (i32.const 1032)))
    (local.set $fd (i32.load (i32.const 1036)))
    (local.set $size (i32.load (i32.const 1040)))
    (local.set $ptr (i32.load (i32.const 1044)))
    (if (i32.eqz (local.get $ptr))
      (then
        (local.set $ptr (i32.const 0x100000))
        (memory.fill (local.get $ptr) (i32.const 0x78) (local.get $size))))
    (i32.store (i32.const 512) (local.get $ptr)) ;; the iovec: ptr, len
    (i32.store (i32.const 516) (local.get $size))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (local.get $fd))
          (then (call $log (i32.const 1) (local.get $ptr) (local.get $size)))
          (else (drop (call $fd_write (local.get $fd) (i32.const 512) (i32.const 1) (i32.const 520)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 256) (i32.const 1)) ;; keep record 0
    (i32.store (i32.const 260) (i32.const 0))
    (i32.store16 (i32.const 264) (i32.const 0x0001))
    (i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const 10)))
)

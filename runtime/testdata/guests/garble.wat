(module
  (memory (export "memory") 2)
  ;; 0: the EMIT tail: kind=1, flags=1 (value present), value of 2 bytes: ff ff
  ;; (a truncated varint: no protobuf message, no JSON text)
  (data (i32.const 0) "\01\01\02\00\00\00\ff\ff")
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  ;; rewrites every record to the 2 bytes ff ff
  (func (export "weir_process") (param $n i32) (result i64)
    (local $out i32) (local $p i32) (local $i i32) (local $count i32)
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (local.set $count (i32.load (i32.const 1024)))
    (i32.store (local.get $out) (local.get $count))
    (local.set $p (i32.add (local.get $out) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (i32.store (local.get $p) (local.get $i))
        (memory.copy (i32.add (local.get $p) (i32.const 4)) (i32.const 0) (i32.const 8))
        (local.set $p (i32.add (local.get $p) (i32.const 12)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $p) (local.get $out)))))
)

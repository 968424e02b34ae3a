(module
  ;; membomb.wat that also writes every 4 KiB page it grew, so each one costs
  ;; physical memory: the worst a guest can do within its limit.
  (memory (export "memory") 2)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param i32) (result i64)
    (local $p i32)
    (local $end i32)
    (loop $grow
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1))
        (then (unreachable)))
      (local.set $end (i32.mul (memory.size) (i32.const 65536)))
      (block $done
        (loop $touch
          (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
          (i32.store8 (local.get $p) (i32.const 1))
          (local.set $p (i32.add (local.get $p) (i32.const 4096)))
          (br $touch)))
      (br $grow))
    (i64.const 0))
)

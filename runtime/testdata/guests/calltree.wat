;; A loop-free exponential call tree: f(n) calls f(n-1) twice, so f(60)
;; makes 2^60 calls without a single loop. Only fuel charged at function
;; entry (or a deadline) can stop it.
(module
  (memory (export "memory") 1)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func $tree (param $n i32) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.add (call $tree (i32.sub (local.get $n) (i32.const 1)))
                     (call $tree (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "weir_process") (param i32) (result i64)
    (drop (call $tree (i32.const 60)))
    (i64.const 0))
)

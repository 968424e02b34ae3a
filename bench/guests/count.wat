;; A tight loop for the interruption benchmark: every call counts to
;; 1,000,000 (an add, an increment, a compare and a branch per iteration)
;; and answers an empty batch with an empty output, so the cost per call
;; divided by 10^6 is the cost of one iteration.
(module
  (memory (export "memory") 2)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param $n i32) (result i64)
    (local $i i32) (local $acc i32) (local $out i32)
    (loop $count
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $count (i32.lt_u (local.get $i) (i32.const 1000000))))
    ;; the sum goes to memory so the loop has an effect; the output is a
    ;; count of 0 verdicts
    (i32.store (i32.const 4096) (local.get $acc))
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (i32.store (local.get $out) (i32.const 0))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32)) (i64.const 4)))
)

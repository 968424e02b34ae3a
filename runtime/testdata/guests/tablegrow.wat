;; A table with no maximum, grown by 100M elements in one instruction: the
;; host would allocate ~800 MB. weir clamps every table's maximum, so the
;; grow must fail (-1) and the guest then keeps its record; if the grow
;; succeeds, the guest traps.
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param $n i32) (result i64)
    (local $out i32)
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 100000000)) (i32.const -1))
      (then (unreachable)))
    ;; keep record 0: count=1, index 0, EMIT, no flags
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (i32.store (local.get $out) (i32.const 1))
    (i32.store offset=4 (local.get $out) (i32.const 0))
    (i32.store16 offset=8 (local.get $out) (i32.const 1))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32)) (i64.const 10)))
)

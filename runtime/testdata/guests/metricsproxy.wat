;; Updates a guest metric named by each record, and keeps the record: the
;; metrics capability's tests (capability_metrics_test.go).
;;
;; record value := op:u32 name_ptr:u32 name_len:u32 pad:u32 value:i64 payload
;;   op 0 counter_add, 1 gauge_set, 2 histogram_observe; a name_ptr under
;;   0x10000000 is an offset into payload, from 0x10000000 up used as it is.
(module
  (import "weir_metrics" "counter_add" (func $counter (param i32 i32 i64)))
  (import "weir_metrics" "gauge_set" (func $gauge (param i32 i32 i64)))
  (import "weir_metrics" "histogram_observe" (func $histogram (param i32 i32 i64)))
  (memory (export "memory") 4)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func $update (param $v i32)
    (local $name i32) (local $op i32)
    (local.set $name (i32.load offset=4 (local.get $v)))
    (if (i32.lt_u (local.get $name) (i32.const 0x10000000))
      (then (local.set $name (i32.add (i32.add (local.get $v) (i32.const 24)) (local.get $name)))))
    (local.set $op (i32.load (local.get $v)))
    (if (i32.eqz (local.get $op))
      (then (call $counter (local.get $name) (i32.load offset=8 (local.get $v)) (i64.load offset=16 (local.get $v))) (return)))
    (if (i32.eq (local.get $op) (i32.const 1))
      (then (call $gauge (local.get $name) (i32.load offset=8 (local.get $v)) (i64.load offset=16 (local.get $v))) (return)))
    (call $histogram (local.get $name) (i32.load offset=8 (local.get $v)) (i64.load offset=16 (local.get $v))))
  (func (export "weir_process") (param $n i32) (result i64)
    (local $count i32) (local $i i32) (local $p i32) (local $o i32) (local $v i32)
    (local.set $count (i32.load (i32.const 1024)))
    (local.set $p (i32.const 1028))
    (local.set $o (i32.const 0x20004))
    (i32.store (i32.const 0x20000) (local.get $count))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $v (i32.add (local.get $p) (i32.const 4)))
      (local.set $p (i32.add (i32.add (local.get $v) (i32.load (local.get $p))) (i32.const 4)))
      (call $update (local.get $v))
      (i32.store (local.get $o) (local.get $i))
      (i32.store16 offset=4 (local.get $o) (i32.const 1)) ;; EMIT, flags 0: keep
      (local.set $o (i32.add (local.get $o) (i32.const 6)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.or (i64.shl (i64.const 0x20000) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $o) (i32.const 0x20000)))))
)

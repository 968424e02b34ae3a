;; Calls the kv host functions with whatever arguments each record carries,
;; and emits what they answered: the hostile-input and behaviour tests of
;; the kv capability (capability_kv_test.go).
;;
;; record value := op:u32 args:u32*6 pad:u32 ttl:i64 payload
;;   op 0: weir_kv.get_many(args…), op 1: weir_kv.set(args…, ttl),
;;   op 2: weir_kv.set_many(args…, ttl)
;;   a pointer argument (1st, 3rd, 5th) under 0x10000000 is an offset into
;;   payload; from 0x10000000 up it is used as it is (hostile tests).
;; emit value := result:i64 then, for get_many and set_many, the answer's bytes.
(module
  (import "weir_kv" "get_many" (func $get (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "weir_kv" "set" (func $set (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "weir_kv" "set_many" (func $setmany (param i32 i32 i32 i32 i32 i32 i64) (result i64)))
  (memory (export "memory") 4)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func $arg (param $v i32) (param $i i32) (result i32)
    (local $a i32)
    (local.set $a (i32.load offset=4 (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2)))))
    (if (result i32) (i32.lt_u (local.get $a) (i32.const 0x10000000))
      (then (i32.add (i32.add (local.get $v) (i32.const 40)) (local.get $a)))
      (else (local.get $a))))
  (func $call (param $v i32) (result i64)
    (if (result i64) (i32.eqz (i32.load (local.get $v)))
      (then
        (call $get
          (call $arg (local.get $v) (i32.const 0)) (i32.load offset=8 (local.get $v))
          (call $arg (local.get $v) (i32.const 2)) (i32.load offset=16 (local.get $v))
          (call $arg (local.get $v) (i32.const 4)) (i32.load offset=24 (local.get $v))))
      (else (if (result i64) (i32.eq (i32.load (local.get $v)) (i32.const 1))
        (then
          (i64.extend_i32_s (call $set
            (call $arg (local.get $v) (i32.const 0)) (i32.load offset=8 (local.get $v))
            (call $arg (local.get $v) (i32.const 2)) (i32.load offset=16 (local.get $v))
            (call $arg (local.get $v) (i32.const 4)) (i32.load offset=24 (local.get $v))
            (i64.load offset=32 (local.get $v)))))
        (else
          (call $setmany
            (call $arg (local.get $v) (i32.const 0)) (i32.load offset=8 (local.get $v))
            (call $arg (local.get $v) (i32.const 2)) (i32.load offset=16 (local.get $v))
            (call $arg (local.get $v) (i32.const 4)) (i32.load offset=24 (local.get $v))
            (i64.load offset=32 (local.get $v))))))))
  ;; output at 0x20000: count, then per record EMIT(flags 1) with the value
  (func (export "weir_process") (param $n i32) (result i64)
    (local $count i32) (local $i i32) (local $p i32) (local $o i32) (local $v i32)
    (local $r i64) (local $len i32)
    (local.set $count (i32.load (i32.const 1024)))
    (local.set $p (i32.const 1028))
    (local.set $o (i32.const 0x20004))
    (i32.store (i32.const 0x20000) (local.get $count))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $v (i32.add (local.get $p) (i32.const 4)))
      ;; next record: past the value and a meta_count of 0
      (local.set $p (i32.add (i32.add (local.get $v) (i32.load (local.get $p))) (i32.const 4)))
      (local.set $r (call $call (local.get $v)))
      (local.set $len (i32.const 0))
      (if (i32.and (i32.ne (i32.load (local.get $v)) (i32.const 1)) (i64.gt_s (local.get $r) (i64.const 0)))
        (then (local.set $len (i32.wrap_i64 (local.get $r)))))
      (i32.store (local.get $o) (local.get $i))
      (i32.store8 offset=4 (local.get $o) (i32.const 1))
      (i32.store8 offset=5 (local.get $o) (i32.const 1))
      (i32.store offset=6 (local.get $o) (i32.add (local.get $len) (i32.const 8)))
      (i64.store offset=10 (local.get $o) (local.get $r))
      (memory.copy (i32.add (local.get $o) (i32.const 18)) (call $arg (local.get $v) (i32.const 4)) (local.get $len))
      (local.set $o (i32.add (i32.add (local.get $o) (i32.const 18)) (local.get $len)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.or (i64.shl (i64.const 0x20000) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $o) (i32.const 0x20000)))))
)

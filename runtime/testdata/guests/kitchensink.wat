;; Exercises most of WebAssembly 2.0 so the metering rewriter's output can be
;; compared with the original: every instruction family, every element
;; segment form, ref.func in globals and elements, a start-free reactor, and
;; every loop shape the rewriter treats differently (a loop with a result, a
;; loop with params, branches and br_table leaving several loops at once).
;; weir_process folds everything into an i64 and emits it as record 0's value.
(module
  (type $i2i (func (param i32) (result i32)))
  (memory (export "memory") 2)
  (table $t 4 funcref)
  (elem (i32.const 0) $double $inc)
  (elem declare func $inc $fib)
  (elem $passive funcref (ref.func $double) (ref.null func))
  (global $g (mut i32) (i32.const 7))
  (global $fref funcref (ref.func $inc))
  (data $d "abcdefgh")

  (func $double (type $i2i) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $i2i) (i32.add (local.get 0) (i32.const 1)))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $pair (result i32 i64) (i32.const 3) (i64.const 4))

  (func $loops (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    ;; a loop with a result
    (local.set $s
      (loop $l (result i32)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))
        (i32.mul (local.get $i) (i32.const 3))))
    ;; a loop with params (a type-index block type): sums n..1 on the stack
    local.get $s
    i32.const 0
    local.get $n
    loop $m (param i32 i32) (result i32)
      local.set $j
      local.get $j
      i32.add
      local.get $j
      i32.const 1
      i32.sub
      local.tee $j
      local.get $j
      i32.const 0
      i32.gt_s
      br_if $m
      drop
    end
    i32.add
    local.set $s
    ;; nested loops left by br_if, br and br_table, from inside an if
    (local.set $i (i32.const 0))
    (local.set $j (i32.const 0))
    (block $out
      (loop $a
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (loop $b
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $out (i32.gt_u (local.get $j) (i32.mul (local.get $n) (i32.const 5))))
          (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $j))))
          (if (i32.eqz (i32.rem_u (local.get $j) (i32.const 7)))
            (then (br $a)))
          (block $skip
            (br_table $skip $b $a $b $a $out (i32.rem_u (local.get $j) (i32.const 5))))
          (local.set $s (i32.xor (local.get $s) (local.get $j)))
          (br $b))))
    (local.get $s))

  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))

  (func (export "weir_process") (param $n i32) (result i64)
    (local $acc i64) (local $i i32) (local $out i32) (local $tmp i64)
    ;; a loop with br_table and call_indirect
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 12)))
        (block $c2
          (block $c1
            (block $c0
              (br_table $c0 $c1 $c2 (i32.rem_u (local.get $i) (i32.const 3))))
            ;; i % 3 == 0
            (local.set $acc (i64.add (local.get $acc)
              (i64.extend_i32_u (call_indirect (type $i2i) (local.get $i) (i32.const 0)))))
            (br $c2))
          ;; i % 3 == 1
          (local.set $acc (i64.add (local.get $acc)
            (i64.extend_i32_u (call_indirect (type $i2i) (local.get $i) (i32.const 1))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $loops (i32.const 40)))))
    ;; recursion, multi-value, select with type, sign extension, saturation
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $fib (i32.const 15)))))
    (call $pair)
    (local.set $tmp)
    (local.set $i)
    (local.set $acc (i64.add (local.get $acc) (i64.add (local.get $tmp) (i64.extend_i32_u (local.get $i)))))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_s (select (result i32) (i32.const 100) (i32.const 200) (i32.const 0)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.extend8_s (i32.const 0xff)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.trunc_sat_f64_s (f64.const 1e30)))))
    (local.set $acc (i64.add (local.get $acc) (i64.trunc_f32_s (f32.const 2.5))))
    ;; globals and references
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (global.get $g))))
    (table.set $t (i32.const 2) (global.get $fref))
    (table.set $t (i32.const 3) (ref.func $fib))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (call_indirect (type $i2i) (i32.const 10) (i32.const 2)))))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (call_indirect (type $i2i) (i32.const 10) (i32.const 3)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (ref.is_null (table.get $t (i32.const 1))))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (table.size $t))))
    (table.init $t $passive (i32.const 0) (i32.const 0) (i32.const 1))
    (elem.drop $passive)
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (call_indirect (type $i2i) (i32.const 21) (i32.const 0)))))
    ;; bulk memory
    (memory.fill (i32.const 512) (i32.const 0x41) (i32.const 16))
    (memory.init $d (i32.const 528) (i32.const 0) (i32.const 8))
    (data.drop $d)
    (memory.copy (i32.const 536) (i32.const 512) (i32.const 4))
    (local.set $acc (i64.add (local.get $acc) (i64.load (i32.const 528))))
    (local.set $acc (i64.add (local.get $acc) (i64.load (i32.const 536))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
    ;; SIMD
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (i32x4.extract_lane 2
        (i32x4.add (v128.const i32x4 1 2 3 4) (v128.load (i32.const 512)))))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (i8x16.extract_lane_u 0
        (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0
          (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
          (v128.load32_zero (i32.const 528)))))))
    (v128.store64_lane 1 (i32.const 600) (v128.const i64x2 5 6))
    (local.set $acc (i64.add (local.get $acc) (i64.load (i32.const 600))))
    ;; output: count=1, entry(idx 0, EMIT, value flag, len 8, acc)
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (i32.store (local.get $out) (i32.const 1))
    (i32.store offset=4 (local.get $out) (i32.const 0))
    (i32.store8 offset=8 (local.get $out) (i32.const 1))
    (i32.store8 offset=9 (local.get $out) (i32.const 1))
    (i32.store offset=10 (local.get $out) (i32.const 8))
    (i64.store offset=14 (local.get $out) (local.get $acc))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32)) (i64.const 22)))
)

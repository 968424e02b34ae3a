;; The smallest complete weir transform: it keeps every record unchanged.
;; The input buffer starts at 1024; the output follows the input. Both grow
;; the memory when they would not fit (a batch may be far larger than the
;; two pages the module starts with), and trap if the host refuses to grow.
(module
  (memory (export "memory") 2)

  ;; fit makes memory reach byte $end, growing it by the pages missing.
  (func $fit (param $end i32)
    (local $have i32)
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                                      (i32.const 65536)))
              (i32.const -1))
          (then unreachable)))))

  (func (export "weir_buffer") (param $size i32) (result i32)
    (call $fit (i32.add (i32.const 1024) (local.get $size)))
    (i32.const 1024))

  (func (export "weir_init") (param i32) (result i64) (i64.const 0))

  ;; output after the input: [count][idx kind=1 flags=0]...
  (func (export "weir_process") (param $n i32) (result i64)
    (local $out i32) (local $p i32) (local $i i32) (local $count i32)
    (local.set $out (i32.add (i32.const 1024) (local.get $n)))
    (local.set $count (i32.load (i32.const 1024)))
    ;; 4 bytes of count, 6 a record: count <= n/8, so this cannot overflow
    (call $fit (i32.add (local.get $out) (i32.add (i32.const 4) (i32.mul (local.get $count) (i32.const 6)))))
    (i32.store (local.get $out) (local.get $count))
    (local.set $p (i32.add (local.get $out) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (i32.store (local.get $p) (local.get $i))
        (i32.store16 (i32.add (local.get $p) (i32.const 4)) (i32.const 1)) ;; kind 1, flags 0
        (local.set $p (i32.add (local.get $p) (i32.const 6)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $p) (local.get $out)))))
)

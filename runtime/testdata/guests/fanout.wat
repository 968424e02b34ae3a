(module
  ;; 1100 pages (~69 MiB) declared up front, so the bombs below need no memory.grow
  (memory (export "memory") 1100)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  ;; batches of one record whose value starts [n u32][mode u32]:
  ;; mode 0 emits the record unchanged n times (6 output bytes each),
  ;; mode 1 emits it once with n metadata deletes of the empty key (5 bytes each),
  ;; mode 2 fails it with an error message of n bytes
  (func (export "weir_process") (param $len i32) (result i64)
    (local $out i32) (local $p i32) (local $n i32) (local $mode i32) (local $i i32)
    (local.set $out (i32.add (i32.const 1024) (local.get $len)))
    (local.set $n (i32.load (i32.const 1032)))
    (local.set $mode (i32.load (i32.const 1036)))
    (local.set $p (i32.add (local.get $out) (i32.const 4)))
    (i32.store (local.get $out) (i32.const 1))
    (i32.store (local.get $p) (i32.const 0))
    (if (i32.eqz (local.get $mode))
      (then
        (i32.store (local.get $out) (local.get $n))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store (local.get $p) (i32.const 0))
            (i32.store16 (i32.add (local.get $p) (i32.const 4)) (i32.const 0x0001)) ;; kind 1, flags 0
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (i32.store16 (i32.add (local.get $p) (i32.const 4)) (i32.const 0x0401)) ;; kind 1, flags 4
        (i32.store (i32.add (local.get $p) (i32.const 6)) (local.get $n))
        (local.set $p (i32.add (local.get $p) (i32.const 10)))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store8 (local.get $p) (i32.const 2)) ;; delete
            (i32.store (i32.add (local.get $p) (i32.const 1)) (i32.const 0)) ;; key ""
            (local.set $p (i32.add (local.get $p) (i32.const 5)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (i32.store8 (i32.add (local.get $p) (i32.const 4)) (i32.const 3)) ;; kind 3
        (i32.store (i32.add (local.get $p) (i32.const 5)) (local.get $n))
        (memory.fill (i32.add (local.get $p) (i32.const 9)) (i32.const 0x45) (local.get $n))
        (local.set $p (i32.add (i32.add (local.get $p) (i32.const 9)) (local.get $n)))))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $p) (local.get $out)))))
)

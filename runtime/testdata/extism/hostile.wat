;; An Extism plugin that passes the kernel what it must refuse, one export
;; per attack (runtime/extism_test.go).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (memory (export "memory") 1)
  ;; a load a terabyte past the arena
  (func (export "bad_load") (result i32)
    (drop (call $load_u64 (i64.const 1099511627776))) (i32.const 0))
  ;; a store whose offset wraps around
  (func (export "bad_store") (result i32)
    (call $store_u64 (i64.const -8) (i64.const 1)) (i32.const 0))
  ;; an output whose length runs past the arena (and would overflow offset + length)
  (func (export "bad_output") (result i32)
    (call $output_set (i64.const 8) (i64.const -1)) (i32.const 0))
  ;; an error at an offset that starts no block
  (func (export "bad_error") (result i32)
    (call $error_set (i64.const 12345)) (i32.const 1))
  ;; an input read past its end
  (func (export "bad_input") (result i32)
    (drop (call $input_load_u64 (i64.const -1))) (i32.const 0))
  ;; a var whose key is no block
  (func (export "bad_var") (result i32)
    (drop (call $var_get (i64.const 3))) (i32.const 0))
  ;; allocates 1 MiB blocks until the arena refuses one (an alloc of 2^64-1
  ;; bytes must be refused too), then outputs how many it got, 8 bytes LE
  (func (export "fill") (result i32)
    (local $n i64) (local $p i64)
    (if (i64.ne (call $alloc (i64.const -1)) (i64.const 0)) (then unreachable))
    (block $done
      (loop $more
        (br_if $done (i64.eqz (call $alloc (i64.const 1048576))))
        (local.set $n (i64.add (local.get $n) (i64.const 1)))
        (br $more)))
    (local.set $p (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $p) (local.get $n))
    (call $output_set (local.get $p) (i64.const 8))
    (i32.const 0))
  ;; allocates 1-byte blocks until the kernel refuses one, then outputs
  ;; how many it got, 8 bytes LE
  (func (export "tiny") (result i32)
    (local $n i64) (local $p i64)
    (block $done
      (loop $more
        (br_if $done (i64.eqz (call $alloc (i64.const 1))))
        (local.set $n (i64.add (local.get $n) (i64.const 1)))
        (br $more)))
    (call $output_set (i64.const 8) (i64.const 1))
    (local.set $p (i64.const 16))
    (call $store_u64 (local.get $p) (local.get $n))
    (call $output_set (local.get $p) (i64.const 8))
    (i32.const 0))
  ;; sets one var to a 64 KiB value, over and over: the host's copies are
  ;; charged to its fuel
  (func (export "var_flood") (result i32)
    (local $key i64) (local $value i64)
    (local.set $key (call $alloc (i64.const 1)))
    (local.set $value (call $alloc (i64.const 65536)))
    (loop $forever
      (call $var_set (local.get $key) (local.get $value))
      (br $forever))
    (i32.const 0))
  ;; never returns
  (func (export "spin") (result i32)
    (loop $forever (br $forever)) (i32.const 0))
  ;; not an Extism function
  (func (export "takes_arg") (param i32) (result i32) (local.get 0))
)

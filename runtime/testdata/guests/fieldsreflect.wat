;; A projecting guest whose answers are its config: config := decl_len:u32
;; decl out. weir_fields returns decl (the path list, docs/abi.md §4b) and
;; weir_process_fields, like weir_process, returns out, whatever the batch:
;; the hostile-output tests write any reply they like.
(module
  (memory (export "memory") 256) ;; 16 MiB: room for outputs of megabytes
  (global $declLen (mut i32) (i32.const 0))
  (global $outLen (mut i32) (i32.const 0))
  ;; the input buffer is [1024, 65536); the config is kept from 65536 on
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param $n i32) (result i64)
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then
        (memory.copy (i32.const 65536) (i32.const 1024) (local.get $n))
        (global.set $declLen (i32.load (i32.const 65536)))
        (global.set $outLen (i32.sub (i32.sub (local.get $n) (i32.const 4)) (global.get $declLen)))))
    (i64.const 0))
  (func (export "weir_fields") (result i64)
    (i64.or (i64.shl (i64.const 65540) (i64.const 32)) (i64.extend_i32_u (global.get $declLen))))
  (func $out (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (i32.add (i32.const 65540) (global.get $declLen))) (i64.const 32))
      (i64.extend_i32_u (global.get $outLen))))
  (func (export "weir_process_fields") (param i32) (result i64) (call $out))
  (func (export "weir_process") (param i32) (result i64) (call $out))
)

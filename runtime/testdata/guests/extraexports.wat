;; An echo that also exports what toolchains add: globals __data_end and
;; __heap_base, a table, and a function of its own. docs/abi.md §1: admitted.
(module
  (memory (export "memory") 1)
  (table (export "__indirect_function_table") 1 funcref)
  (global (export "__data_end") i32 (i32.const 1024))
  (global (export "__heap_base") i32 (i32.const 2048))
  (func (export "helper") (result i32) (i32.const 7))
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  ;; one record kept: [count=1][idx=0 kind=1 flags=0] at 4096
  (func (export "weir_process") (param i32) (result i64)
    (i32.store (i32.const 4096) (i32.const 1))
    (i32.store (i32.const 4100) (i32.const 0))
    (i32.store16 (i32.const 4104) (i32.const 1))
    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.const 10)))
)

;; weir_fields traps: the instance does not start
(module
  (memory (export "memory") 1)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param i32) (result i64) (i64.const 0))
  (func (export "weir_fields") (result i64) (unreachable))
  (func (export "weir_process_fields") (param i32) (result i64) (i64.const 0))
)

;; echo.wat importing weir_kv.get_many a function weir_kv does not have (refused at admission)
(module
  (import "weir_kv" "lookup" (func (param i32 i32 i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param i32) (result i64) (i64.const 0)))

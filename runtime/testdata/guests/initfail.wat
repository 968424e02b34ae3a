(module
  (memory (export "memory") 1)
  (data (i32.const 16) "missing field: key")
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 18)))
  (func (export "weir_process") (param i32) (result i64) (i64.const 0))
)

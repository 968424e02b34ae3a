(module
  (import "weir" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "looping")
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  ;; logs "looping", then loops until its deadline or fuel stops it
  (func (export "weir_process") (param i32) (result i64)
    (call $log (i32.const 1) (i32.const 16) (i32.const 7))
    (loop $forever (br $forever))
    (i64.const 0))
)

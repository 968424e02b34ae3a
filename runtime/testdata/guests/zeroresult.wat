;; Answers every batch with a result of 0: no output at all, not even the
;; entry count. docs/abi.md §4: the batch fails bad_output.
(module
  (memory (export "memory") 1)
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param i32) (result i64) (i64.const 0))
)

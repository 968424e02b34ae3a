;; read_batch_header with one out-pointer too few.
(module
  (import "redpanda_transform" "read_batch_header" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))

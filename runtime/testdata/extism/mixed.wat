;; A module that imports both weir's host module and the Extism kernel:
;; refused, a module speaks one ABI.
(module
  (import "extism:host/env" "alloc" (func (param i64) (result i64)))
  (import "weir" "log" (func (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))

;; An Extism plugin that imports http_request: refused at admission.
(module
  (import "extism:host/env" "http_request" (func (param i64 i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "get") (result i32) (i32.const 0)))

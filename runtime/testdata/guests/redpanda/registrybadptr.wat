;; A Redpanda transform whose main asks the schema registry for schema 1's
;; length with an out-pointer past the end of its memory.
(module
  (import "redpanda_transform" "check_abi_version_2" (func))
  (import "redpanda_schema_registry" "get_schema_definition_len" (func $len (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $len (i32.const 1) (i32.const 65533)))))

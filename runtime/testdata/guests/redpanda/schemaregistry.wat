;; A schema registry function Redpanda's ABI does not have.
(module
  (import "redpanda_transform" "check_abi_version_2" (func))
  (import "redpanda_schema_registry" "delete_subject" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))

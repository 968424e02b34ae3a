;; A Redpanda transform whose _start returns before its first batch.
(module
  (import "redpanda_transform" "check_abi_version_2" (func $check))
  (memory (export "memory") 1)
  (func (export "_start") (call $check)))

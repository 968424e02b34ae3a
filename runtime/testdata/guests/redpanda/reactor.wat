;; A Redpanda import but no _start: built as a reactor, not a command.
(module
  (import "redpanda_transform" "check_abi_version_2" (func))
  (memory (export "memory") 1)
  (func (export "_initialize")))

;; A Redpanda transform built with transform/sr: weir does not provide the
;; schema registry module yet, and refuses it at admission.
(module
  (import "redpanda_transform" "check_abi_version_2" (func))
  (import "redpanda_schema_registry" "check_abi_version_0" (func))
  (memory (export "memory") 1)
  (func (export "_start")))

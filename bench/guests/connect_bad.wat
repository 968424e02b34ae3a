;; A hostile guest on the Connect-style ABI (bench/peer_connect.go): its
;; allocator answers a pointer past its memory, and it hands the host a
;; result that runs past it. The host must fail the message, not panic.
(module
  (import "connect_peer" "msg_as_bytes" (func $as_bytes (result i64)))
  (import "connect_peer" "msg_set_bytes" (func $set_bytes (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (i32.const 65530))
  (func (export "read") (drop (call $as_bytes)))
  (func (export "write") (call $set_bytes (i32.const 65000) (i32.const 1000))))

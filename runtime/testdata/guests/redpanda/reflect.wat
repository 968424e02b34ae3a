;; A Redpanda transform that writes what a test puts in a record's value
;; for the host to parse: with an odd count of records left (the first of
;; a batch of two), the value as a whole Kafka record payload
;; (write_record); with an even count, the value as the write options of
;; a valid payload. Values are under 64 bytes (a one-byte length) and
;; records have no key or headers.
(module
  (import "redpanda_transform" "check_abi_version_2" (func $check))
  (import "redpanda_transform" "read_batch_header" (func $header (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "redpanda_transform" "read_next_record" (func $next (param i32 i32 i32 i32 i32) (result i32)))
  (import "redpanda_transform" "write_record" (func $write (param i32 i32) (result i32)))
  (import "redpanda_transform" "write_record_with_options" (func $writeopts (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 2048) "\01\02v\00")
  (func (export "_start")
    (local $count i32) (local $len i32)
    (call $check)
    (loop $batches
      (drop (call $header (i32.const 0) (i32.const 8) (i32.const 12) (i32.const 16) (i32.const 20)
                          (i32.const 24) (i32.const 32) (i32.const 40) (i32.const 48) (i32.const 52)))
      (local.set $count (i32.load (i32.const 8)))
      (block $done
        (loop $records
          (br_if $done (i32.eqz (local.get $count)))
          (local.set $count (i32.sub (local.get $count) (i32.const 1)))
          (if (i32.lt_s (call $next (i32.const 100) (i32.const 108) (i32.const 116) (i32.const 1024) (i32.const 4096)) (i32.const 0))
            (then unreachable))
          (local.set $len (i32.shr_u (i32.load8_u (i32.const 1025)) (i32.const 1)))
          (if (i32.and (local.get $count) (i32.const 1))
            (then (drop (call $write (i32.const 1026) (local.get $len))))
            (else (drop (call $writeopts (i32.const 2048) (i32.const 4) (i32.const 1026) (local.get $len)))))
          (br $records)))
      (br $batches)))
)

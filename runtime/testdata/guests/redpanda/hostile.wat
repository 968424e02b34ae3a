;; A Redpanda transform (ABI v1) written to attack the host: for each
;; record the first byte of its value (a record without key or headers)
;; picks what it does.
;;   k  writes the record back (a mirror)
;;   p  write_record with a pointer outside memory
;;   n  write_record with a negative length
;;   h  a payload whose header count cannot fit (the guest ignores the failed write)
;;   o  an unknown write option
;;   u  a write to a topic the config does not know
;;   t  traps
;;   l  loops forever
(module
  (import "redpanda_transform" "check_abi_version_1" (func $check))
  (import "redpanda_transform" "read_batch_header" (func $header (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "redpanda_transform" "read_next_record" (func $next (param i32 i32 i32 i32 i32) (result i32)))
  (import "redpanda_transform" "write_record" (func $write (param i32 i32) (result i32)))
  (import "redpanda_transform" "write_record_with_options" (func $writeopts (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8192) "\01\00\d0\0f")
  (data (i32.const 8300) "\02")
  (data (i32.const 8400) "\01\0enowhere")
  (func (export "_start")
    (local $count i32) (local $n i32) (local $op i32)
    (call $check)
    (loop $batches
      (drop (call $header (i32.const 0) (i32.const 8) (i32.const 12) (i32.const 16) (i32.const 20)
                          (i32.const 24) (i32.const 32) (i32.const 40) (i32.const 48) (i32.const 52)))
      (local.set $count (i32.load (i32.const 8)))
      (block $done
        (loop $records
          (br_if $done (i32.eqz (local.get $count)))
          (local.set $count (i32.sub (local.get $count) (i32.const 1)))
          (local.set $n (call $next (i32.const 100) (i32.const 108) (i32.const 116) (i32.const 1024) (i32.const 4096)))
          (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))
          (local.set $op (i32.load8_u (i32.const 1026)))
          (if (i32.eq (local.get $op) (i32.const 107)) ;; k
            (then (drop (call $write (i32.const 1024) (local.get $n)))))
          (if (i32.eq (local.get $op) (i32.const 112)) ;; p
            (then (drop (call $write (i32.const 0xFFFFFF00) (i32.const 4096)))))
          (if (i32.eq (local.get $op) (i32.const 110)) ;; n
            (then (drop (call $write (i32.const 1024) (i32.const -5)))))
          (if (i32.eq (local.get $op) (i32.const 104)) ;; h
            (then (drop (call $write (i32.const 8192) (i32.const 4)))))
          (if (i32.eq (local.get $op) (i32.const 111)) ;; o
            (then (drop (call $writeopts (i32.const 1024) (local.get $n) (i32.const 8300) (i32.const 1)))))
          (if (i32.eq (local.get $op) (i32.const 117)) ;; u
            (then (drop (call $writeopts (i32.const 1024) (local.get $n) (i32.const 8400) (i32.const 9)))))
          (if (i32.eq (local.get $op) (i32.const 116)) ;; t
            (then unreachable))
          (if (i32.eq (local.get $op) (i32.const 108)) ;; l
            (then (loop $spin (br $spin))))
          (br $records)))
      (br $batches)))
)

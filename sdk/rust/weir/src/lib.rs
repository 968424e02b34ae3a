//! The guest SDK for writing weir transforms in Rust (ABI v1, docs/abi.md).
//!
//! Implement [`Transform`] and export it with [`export!`]; the SDK speaks
//! the ABI underneath, one host call per batch, and encodes the verdicts.
//! A record is kept unchanged unless the handler says otherwise; returning
//! an error fails that record alone (the host flags it for the dead-letter
//! path). Standard library only, no crates: it builds with Debian's
//! `rustc` 1.63 for `wasm32-unknown-unknown` (sdk/rust/README.md).
//!
//! ```ignore
//! struct Upper;
//!
//! impl weir::Transform for Upper {
//!     fn init(_config: &[u8]) -> Result<Self, weir::Error> {
//!         Ok(Upper)
//!     }
//!     fn record(&mut self, r: &mut weir::Record) -> Result<(), weir::Error> {
//!         let v = r.value().to_ascii_uppercase();
//!         r.set_value(&v);
//!         Ok(())
//!     }
//! }
//!
//! weir::export!(Upper);
//! ```
//!
//! A transform that reads and rewrites a few JSON fields declares their
//! paths instead (field projection, docs/abi.md §4b): [`Transform::paths`]
//! returns them after init, and [`Transform::fields`] handles each record's
//! values at those paths ([`Record::field`], [`Record::set_string`],
//! [`Record::set_json`]); the host validates the record and splices the
//! replacements back.
//!
//! A panic cannot be caught on wasm32 (Rust aborts): it is logged through
//! the host and traps, which fails the whole batch with class `trap` and
//! replaces the instance. Return an error to fail one record.

mod abi;
mod codec;
pub mod json;
mod log;
pub mod pbwire;
mod record;
#[cfg(test)]
mod tests;

pub use crate::log::{log, Level};
pub use crate::record::{FieldType, Record};

#[doc(hidden)]
pub use crate::abi::{buffer as __buffer, fields as __fields, init as __init, process as __process, process_fields as __process_fields};

/// The error a handler or init returns: anything that converts into a boxed
/// error, `&str` and `String` included, so `?` works on every std error.
pub type Error = Box<dyn std::error::Error>;

/// The most paths one instance may declare (the host's limit).
pub const MAX_PATHS: usize = 64;
/// The longest path, in bytes (the host's limit).
pub const MAX_PATH_BYTES: usize = 1024;

/// A transform: built once per instance from its config, then called once
/// per record.
pub trait Transform: Sized + 'static {
    /// Receives the config blob (the processor's `config`; may be empty).
    /// An error stops the transform from loading, with its message.
    fn init(config: &[u8]) -> Result<Self, Error>;

    /// Decides what happens to one record of a full-value batch.
    fn record(&mut self, r: &mut Record) -> Result<(), Error> {
        let _ = r;
        Err("weir: this transform projects fields: implement Transform::record to take whole records".into())
    }

    /// The JSON paths this instance projects (docs/abi.md §4b), asked once
    /// after init. Empty (the default): no projection, the host sends whole
    /// records to [`Transform::record`]. At most [`MAX_PATHS`], each
    /// non-empty and at most [`MAX_PATH_BYTES`].
    fn paths(&self) -> Vec<String> {
        Vec::new()
    }

    /// Decides what happens to one record of a projected batch: its values
    /// at the declared paths are [`Record::field`] `0..`[`Record::field_count`].
    fn fields(&mut self, r: &mut Record) -> Result<(), Error> {
        let _ = r;
        Err("weir: no field handler: implement Transform::fields".into())
    }
}

/// Exports the ABI's functions (`weir_buffer`, `weir_init`,
/// `weir_process`, `weir_fields`, `weir_process_fields`) for a
/// [`Transform`]. Use it once, in the crate built as the `cdylib`.
#[macro_export]
macro_rules! export {
    ($t:ty) => {
        #[no_mangle]
        pub extern "C" fn weir_buffer(size: u32) -> u32 {
            $crate::__buffer(size)
        }
        #[no_mangle]
        pub extern "C" fn weir_init(len: u32) -> u64 {
            $crate::__init::<$t>(len)
        }
        #[no_mangle]
        pub extern "C" fn weir_process(len: u32) -> u64 {
            $crate::__process::<$t>(len)
        }
        #[no_mangle]
        pub extern "C" fn weir_fields() -> u64 {
            $crate::__fields()
        }
        #[no_mangle]
        pub extern "C" fn weir_process_fields(len: u32) -> u64 {
            $crate::__process_fields::<$t>(len)
        }
    };
}

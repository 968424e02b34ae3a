//! The guest side of ABI v1: the host writes into the input buffer (got
//! through `weir_buffer`) and reads the output through the packed
//! `(ptr << 32) | len` that `weir_init`, `weir_fields`, `weir_process` and
//! `weir_process_fields` return. A guest instance runs one call at a time
//! on one thread, so the state is in statics; each buffer lives until the
//! next call that rewrites it, as §2 requires.

use std::any::Any;

use crate::codec::{append_verdict, Reader};
use crate::record::{RawField, Record, Verdict};
use crate::{Transform, MAX_PATHS, MAX_PATH_BYTES};

struct State {
    input: Vec<u8>,
    out: Vec<u8>,
    init_err: Vec<u8>,
    declared: Vec<u8>, // count:u32 path:string*count, or empty: no projection
    verdict: Verdict,
    meta: Vec<[u32; 4]>,
    fields: Vec<RawField>,
    transform: Option<Box<dyn Any>>,
}

static mut STATE: State = State {
    input: Vec::new(),
    out: Vec::new(),
    init_err: Vec::new(),
    declared: Vec::new(),
    verdict: Verdict::new(),
    meta: Vec::new(),
    fields: Vec::new(),
    transform: None,
};

fn state() -> &'static mut State {
    // SAFETY: a wasm instance is single-threaded and the host makes one
    // call into it at a time; no call re-enters another.
    unsafe { &mut *std::ptr::addr_of_mut!(STATE) }
}

fn pack(b: &[u8]) -> u64 {
    if b.is_empty() {
        return 0;
    }
    (b.as_ptr() as u64) << 32 | b.len() as u64
}

/// `weir_buffer`: a buffer of at least size bytes, kept across calls.
pub fn buffer(size: u32) -> u32 {
    let s = state();
    let size = size.max(1) as usize;
    if s.input.len() < size {
        s.input.resize(size, 0);
    }
    s.input.as_mut_ptr() as u32
}

/// The first n bytes of the input buffer; a length past it is the host
/// breaking the ABI, and traps.
fn input(s: &State, n: u32) -> &[u8] {
    s.input.get(..n as usize).unwrap_or_else(|| panic!("weir: length {} exceeds the {}-byte buffer", n, s.input.len()))
}

/// `weir_init`: builds the transform from the config and records the paths
/// it projects; an error message is the result.
pub fn init<T: Transform>(n: u32) -> u64 {
    crate::log::install_panic_hook();
    let s = state();
    let config = input(s, n).to_vec();
    let msg = match T::init(&config) {
        Err(e) => e.to_string(),
        Ok(t) => match declare(&t.paths()) {
            Ok(d) => {
                s.declared = d;
                s.transform = Some(Box::new(t));
                return 0;
            }
            Err(e) => e,
        },
    };
    s.init_err = if msg.is_empty() { b"init failed".to_vec() } else { msg.into_bytes() };
    pack(&s.init_err)
}

/// The `weir_fields` declaration of paths, checked against the host's limits.
fn declare(paths: &[String]) -> Result<Vec<u8>, String> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    if paths.len() > MAX_PATHS {
        return Err(format!("weir: {} paths to project, at most {}", paths.len(), MAX_PATHS));
    }
    let mut d = (paths.len() as u32).to_le_bytes().to_vec();
    for (i, p) in paths.iter().enumerate() {
        if p.is_empty() || p.len() > MAX_PATH_BYTES {
            return Err(format!("weir: path {} is {} bytes: want 1 to {}", i, p.len(), MAX_PATH_BYTES));
        }
        d.extend_from_slice(&(p.len() as u32).to_le_bytes());
        d.extend_from_slice(p.as_bytes());
    }
    Ok(d)
}

/// `weir_fields`: the declared paths, or 0 (no projection).
pub fn fields() -> u64 {
    pack(&state().declared)
}

/// `weir_process`: runs Transform::record on every record of the batch.
pub fn process<T: Transform>(n: u32) -> u64 {
    run::<T>(n, false)
}

/// `weir_process_fields`: runs Transform::fields on every projected record.
pub fn process_fields<T: Transform>(n: u32) -> u64 {
    run::<T>(n, true)
}

fn run<T: Transform>(n: u32, projected: bool) -> u64 {
    let s = state();
    let State { input: buf, out, verdict, meta, fields, transform, .. } = s;
    let mut rd = Reader { buf: buf.get(..n as usize).unwrap_or_else(|| panic!("weir: batch length {} exceeds the buffer", n)), pos: 0 };
    let count = rd.count(8);
    let t = transform
        .as_mut()
        .and_then(|t| t.downcast_mut::<T>())
        .unwrap_or_else(|| panic!("weir: a batch before a successful init"));
    out.clear();
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut entries = 0u32;
    for i in 0..count {
        let mut value = (0, 0);
        if projected {
            rd.fields(fields);
        } else {
            value = rd.bytes();
        }
        rd.meta(meta);
        verdict.clear();
        let mut r = Record { input: rd.buf, value, meta, fields, v: verdict };
        let result = if projected { t.fields(&mut r) } else { t.record(&mut r) };
        entries += append_verdict(out, i as u32, &r, result);
    }
    out[..4].copy_from_slice(&entries.to_le_bytes());
    pack(out)
}

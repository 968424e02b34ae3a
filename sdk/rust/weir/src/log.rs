//! Logging through the host (`weir.log`, docs/abi.md §5).

/// A log level understood by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "weir")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: u32, ptr: u32, len: u32);
}

/// Writes a message to the host's logger, tagged with the transform. The
/// host cuts lines over 16 KiB and drops lines over the transform's rate.
pub fn log(level: Level, msg: &str) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        host_log(level as u32, msg.as_ptr() as u32, msg.len() as u32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{:?}: {}", level, msg);
}

/// Logs a panic's message before Rust aborts (a trap for the host), so
/// the host's log says why the batch failed.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| log(Level::Error, &format!("weir: transform panicked: {}", info))));
}

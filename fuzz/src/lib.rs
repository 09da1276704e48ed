//! What the fuzz targets share: `fuzz_target!`, libFuzzer's own when the
//! `libfuzzer` feature links it (as `cargo fuzz build` does), else a plain
//! function of the same body, so that CI can type-check every target on stable
//! without building libFuzzer (whose build dependencies would make it rebuild
//! the C code of SQLite and ring).

#[cfg(feature = "libfuzzer")]
pub use libfuzzer_sys::fuzz_target;

/// The target's body as `fuzz_one(data)`: compiled and type-checked, never run.
#[cfg(not(feature = "libfuzzer"))]
#[macro_export]
macro_rules! fuzz_target {
    (|$data:ident: &[u8]| $body:block) => {
        /// The fuzz target's body.
        #[allow(dead_code)]
        pub fn fuzz_one($data: &[u8]) $body
    };
}

#![no_main]
//! See `authdoctor_core::fuzz::sigv4` for what this target asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| authdoctor_core::fuzz::sigv4(data));

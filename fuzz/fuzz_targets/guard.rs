#![no_main]
//! See `authdoctor_guard::fuzz::guard` for what this target asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| authdoctor_guard::fuzz::guard(data));

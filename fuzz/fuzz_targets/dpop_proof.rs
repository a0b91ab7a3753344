#![no_main]
//! See `authdoctor_jose::fuzz::dpop_proof` for what this target asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| authdoctor_core::jose::fuzz::dpop_proof(data));

#![no_main]
//! Fuzz target: `parindex_interchange::fuzzing::self_assessment` (see that module).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_interchange::fuzzing::self_assessment(data);
});

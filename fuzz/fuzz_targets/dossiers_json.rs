#![no_main]
//! Fuzz target: `parindex_interchange::fuzzing::dossiers_json` (see that module).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_interchange::fuzzing::dossiers_json(data);
});

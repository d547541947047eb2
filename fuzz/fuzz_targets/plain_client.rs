#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmtp_core::fuzzing::plain_client(data));

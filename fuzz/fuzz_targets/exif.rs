#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mwupload_fuzz::exif(data));

//! AFL++ entry point of the `dictionary` target: see `entex_fuzz::dictionary`.

fn main() {
    entex_fuzz::dictionary::init();
    afl::fuzz!(|data: &[u8]| entex_fuzz::dictionary::run(data));
}

//! AFL++ entry point of the `matcher` target: see `entex_fuzz::matcher`.

fn main() {
    entex_fuzz::matcher::init();
    afl::fuzz!(|data: &[u8]| entex_fuzz::matcher::run(data));
}

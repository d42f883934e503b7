//! AFL++ entry point of the `fold` target: see `entex_fuzz::fold`.

fn main() {
    entex_fuzz::fold::init();
    afl::fuzz!(|data: &[u8]| entex_fuzz::fold::run(data));
}

//! AFL++ entry point of the `rpc` target: see `entex_fuzz::rpc`.

fn main() {
    entex_fuzz::rpc::init();
    afl::fuzz!(|data: &[u8]| entex_fuzz::rpc::run(data));
}

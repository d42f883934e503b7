//! AFL++ entry point of the `artefact` target: see `entex_fuzz::artefact`.
//! Without afl.rs's abort-on-panic hook: the target catches the one panic
//! it tolerates (an open bug) itself; any other panic still aborts.

fn main() {
    entex_fuzz::artefact::init();
    afl::fuzz_nohook!(|data: &[u8]| entex_fuzz::artefact::run(data));
}

//! AFL++ entry point of the `artefact` target: see `entex_fuzz::artefact`.

fn main() {
    entex_fuzz::artefact::init();
    afl::fuzz!(|data: &[u8]| entex_fuzz::artefact::run(data));
}

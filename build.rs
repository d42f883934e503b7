//! Compiles `proto/entex/v1/*.proto` into `OUT_DIR`, plus the encoded file
//! descriptor set that server reflection serves. protoc comes from the
//! `protoc-bin-vendored` crate so a build needs no system package.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let wkt_include = protoc_bin_vendored::include_path()?;
    // SAFETY: a build script is single-threaded, so nothing reads the
    // environment while it changes; tonic-prost-build reads PROTOC from it.
    unsafe { env::set_var("PROTOC", protoc) };

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        // prost's codec, with malformed requests reported as INVALID_ARGUMENT.
        .codec_path("crate::service::codec::ProtoCodec")
        .file_descriptor_set_path(out_dir.join("entex_descriptor.bin"))
        .compile_protos(
            &[PathBuf::from("proto/entex/v1/entex.proto"), PathBuf::from("proto/entex/v1/admin.proto")],
            &[PathBuf::from("proto"), wkt_include],
        )?;
    println!("cargo:rerun-if-changed=proto");

    embed_default_dictionary(&out_dir)?;
    engine_fingerprint()?;
    Ok(())
}

/// Sets `ENTEX_ENGINE_FINGERPRINT`: a hash of the code that decides what a
/// compiled dictionary holds and how it is read (folding, compiling,
/// matching). A precompiled artefact records it and is refused by a binary
/// with a different one, since that binary might compile the same sources
/// differently. FNV-1a over sorted paths and contents: no dependency, and
/// stable for as long as the files are.
fn engine_fingerprint() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let mut files = Vec::new();
    for dir in ["src/text", "src/dictionary", "src/matcher"] {
        println!("cargo:rerun-if-changed={dir}");
        collect_rust_files(&root.join(dir), &mut files)?;
    }
    // The matcher was one file before it became a folder. A
    // rerun-if-changed path that does not exist counts as changed on every
    // build, so it is only named while it exists (else every `cargo build`
    // reran this script and recompiled the crate).
    let matcher = root.join("src/matcher.rs");
    if matcher.exists() {
        println!("cargo:rerun-if-changed=src/matcher.rs");
        files.push(matcher);
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        let relative = file.strip_prefix(&root)?.to_string_lossy().into_owned();
        for byte in relative.bytes().chain([0]).chain(std::fs::read(file)?).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=ENTEX_ENGINE_FINGERPRINT={hash:016x}");
    Ok(())
}

fn collect_rust_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes `embedded_dictionaries.rs`: every file of `dictionaries/default/`
/// (sorted by name) as `(source name, include_str!(path))`, so adding a file
/// to the default dictionary needs no code change.
fn embed_default_dictionary(out_dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("dictionaries/default");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "toml" || e == "tsv"));
    files.sort();
    let mut code = String::from("/// The embedded default dictionary: (source name, text), in load order.\n");
    code.push_str("pub const EMBEDDED_DEFAULT: &[(&str, &str)] = &[\n");
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).ok_or("non-UTF-8 dictionary file name")?;
        code.push_str(&format!("    (\"embedded:default/{name}\", include_str!({:?})),\n", file.display().to_string()));
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("embedded_dictionaries.rs"), code)?;
    Ok(())
}

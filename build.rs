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

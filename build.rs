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
        .compile_protos(&[PathBuf::from("proto/entex/v1/entex.proto")], &[PathBuf::from("proto"), wkt_include])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}

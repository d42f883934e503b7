//! Code generated from `proto/entex/v1/entex.proto` (in `OUT_DIR`), and the
//! encoded descriptor set that server reflection serves.

#![allow(clippy::all, missing_docs)]

pub mod entex_v1 {
    tonic::include_proto!("entex.v1");
}

/// The encoded `FileDescriptorSet` of the entex API.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("entex_descriptor");

//! Integration tests: the real server on an ephemeral port, called through
//! real gRPC clients (the generated tonic client, tonic's health and
//! reflection clients, grpcurl, and the evaluation scorer).

mod helpers;

mod admin_off;
mod admission;
mod byod;
mod cli;
mod compiled;
mod deadlines;
mod dictionary;
mod extract;
mod health_reflection;
mod info;
mod limits;
mod logging;
mod metrics;
mod normalize;
mod otlp;
mod quality;
mod reload;
mod shutdown;
mod stream;
mod tls;

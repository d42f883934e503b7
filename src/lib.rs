//! # entex
//!
//! Finds named entities in text and links each mention to a canonical entity
//! of an alias dictionary; resolves messy names to canonical entities. Served
//! over gRPC (`entex.v1.EntityExtractor`) and on the command line.
//!
//! ## The pipeline
//!
//! ```text
//! dictionary files ──parse──▶ model ──compile──▶ Dictionary (tables + word trie) ──Arc──▶ Catalog
//!                                                        │
//! caller's text ──fold──▶ padded folded text + OffsetMap ─┴─match──▶ mentions (spans in the caller's text)
//! caller's name ──fold──▶ key ──lookup──▶ Resolution
//! ```
//!
//! Aliases and text go through the same folding ([`text`]), so spellings that
//! differ only in case, accents, quotes, dashes, spacing or Arabic letter
//! forms meet; matching ([`matcher`]) runs one leftmost-longest word-trie
//! scan over the folded text, keeps whole words only, applies case and
//! context rules, and links short forms and shared aliases by document
//! context.
//!
//! ## The offset invariant
//!
//! Every span returned lies on character boundaries of the caller's original
//! text, and the text at the span is returned unchanged; offsets come in
//! UTF-8 bytes, code points and UTF-16 units, all into the original. Offsets
//! into folded text never leave the crate.
//!
//! ## Module map
//!
//! | module | owns |
//! |---|---|
//! | [`text`] | folding stages, padded folded text, offset map back to the original |
//! | [`dictionary`] | entity/alias model, file parsing with file:line problems, compilation |
//! | [`matcher`] | mentions in running text; [`matcher::extract`] is the hot path, one stage a module: windows, candidates, variants, linking, spans |
//! | [`resolve`] | alias normalisation: a name to a ranked canonical entity |
//! | [`vocabulary`] | what the matcher and the resolver share: mentions, match kinds, linking, the type filter |
//! | [`catalog`] | the live dictionary behind an atomic swap |
//! | [`reload`] | rebuilding and swapping the dictionary (SIGHUP, file watch, admin RPC) |
//! | [`metrics`] | Prometheus metrics: per-RPC, documents, dictionary, reloads |
//! | [`workers`] | the CPU pool that runs matching off the async runtime; stops work nobody waits for |
//! | [`admission`] | budgets of calls and request bytes in flight; refuses the rest at once; deadlines |
//! | [`service`] | the gRPC edge: proto ⇄ domain, limits, errors → statuses |
//! | [`startup`] | bind, wire health, reflection and the service, serve, drain |
//! | [`config`], [`telemetry`], [`cli`] | flags and environment, logging, the non-serving commands |
//!
//! The domain modules (`text`, `dictionary`, `matcher`, `resolve`) know
//! nothing of gRPC; dependencies run from `service` to the domain, never back.

// No unsafe code, except audited calls, each with its SAFETY comment:
// `reload::return_freed_memory` (glibc's malloc_trim),
// `dictionary::artefact::read` (mapping the artefact file), the build's
// CPU-time probe in `dictionary::compile` (getrusage) and the cache-line
// hint `dictionary::strings::prefetch`.
#![deny(unsafe_code)]

pub mod admission;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dictionary;
pub mod matcher;
pub mod metrics;
pub mod proto;
pub mod reload;
pub mod resolve;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod vocabulary;
pub mod workers;

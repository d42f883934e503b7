//! The live dictionary: one compiled [`Dictionary`] behind an atomic swap.
//!
//! # Invariants
//!
//! - A reader takes a snapshot (`Arc`) once per request and uses only it, so
//!   every response is computed with, and names, exactly one version.
//! - [`Catalog::replace`] swaps a whole, already-compiled dictionary in; a
//!   dictionary that failed to build never reaches the catalog, so a bad
//!   file can never replace a good one.
//!
//! Reads are lock-free (`arc-swap`): the request path never contends with a
//! swap, and an old dictionary is freed when its last in-flight request ends.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::dictionary::Dictionary;

#[derive(Debug)]
pub struct Catalog {
    current: ArcSwap<Dictionary>,
}

impl Catalog {
    pub fn new(dictionary: Arc<Dictionary>) -> Self {
        Self { current: ArcSwap::new(dictionary) }
    }

    /// The dictionary to use for one whole request.
    pub fn snapshot(&self) -> Arc<Dictionary> {
        self.current.load_full()
    }

    /// Makes `dictionary` current; returns the one it replaced.
    pub fn replace(&self, dictionary: Dictionary) -> Arc<Dictionary> {
        self.current.swap(Arc::new(dictionary))
    }
}

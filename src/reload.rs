//! Live dictionary reload: rebuild from the configured sources (or re-read
//! the configured precompiled artefact) off the
//! request path, then swap atomically; a dictionary with problems never
//! replaces the one being served.
//!
//! Triggers (all end in [`Reloader::reload`], serialised so two reloads
//! never race): SIGHUP, a change of a watched file ([`Reloader::watch`]),
//! and the admin RPC `DictionaryAdmin/ReloadDictionary`.
//!
//! A failed reload is logged with every problem's file and line, counted in
//! metrics (`entex_dictionary_reloads_total{result="failure"}`), returned to
//! the admin caller, and leaves health SERVING: the old dictionary is fine.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use crate::{
    catalog::Catalog,
    dictionary::{DictionaryInfo, Location, Origin, Problem},
    metrics::Metrics,
};

/// Returns the memory a dictionary build freed to the operating system.
///
/// A build allocates several times the size of the dictionary it makes
/// (a 1M-alias build peaks near 3 GB for a ~1 GB result), on several threads
/// and so in several glibc arenas; glibc keeps most of that freed memory
/// resident, so without a trim a server would hold its build's garbage for
/// its whole life. Measured on the 1M-alias dictionary: see
/// docs/benchmarks.md. A no-op on other C libraries. The `entex` binary
/// allocates with mimalloc, which returns freed pages itself (see
/// `tune_allocator` in src/main.rs), so there this trims only what C code
/// allocated with malloc; it is for programs that use the library with the
/// system allocator.
#[allow(unsafe_code)]
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only releases free pages
    // of the allocator's own arenas; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What a reload attempt did.
#[derive(Debug, Clone)]
pub struct ReloadOutcome {
    pub reloaded: bool,
    pub previous_version: String,
    /// Facts about the dictionary served after the attempt.
    pub current: DictionaryInfo,
    /// Every problem, when the attempt failed.
    pub problems: Vec<Problem>,
}

#[derive(Debug)]
pub struct Reloader {
    catalog: Arc<Catalog>,
    metrics: Arc<Metrics>,
    origin: Origin,
    serial: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(catalog: Arc<Catalog>, metrics: Arc<Metrics>, origin: Origin) -> Self {
        Self { catalog, metrics, origin, serial: tokio::sync::Mutex::new(()) }
    }

    /// Rebuilds and, if the build succeeds, swaps. `trigger` names the cause
    /// in the log ("SIGHUP", "watch", "admin").
    pub async fn reload(&self, trigger: &'static str) -> ReloadOutcome {
        let _one_at_a_time = self.serial.lock().await;
        let previous_version = self.catalog.snapshot().info().version.clone();
        let origin = self.origin.clone();
        tracing::info!(trigger, "reloading the dictionary");
        let built = tokio::task::spawn_blocking(move || {
            let built = origin.load();
            return_freed_memory();
            built
        })
        .await;
        let problems = match built {
            Ok(Ok(dictionary)) => {
                let current = dictionary.info().clone();
                let previous = self.catalog.replace(dictionary);
                // The old dictionary goes when its last in-flight request
                // ends; when that is now, give its memory back too.
                tokio::task::spawn_blocking(move || {
                    if Arc::into_inner(previous).is_some() {
                        return_freed_memory();
                    }
                });
                self.metrics.set_dictionary(&current);
                self.metrics.record_reload(true);
                tracing::info!(
                    trigger,
                    previous_version = %previous_version,
                    version = %current.version,
                    entities = current.entity_count,
                    aliases = current.alias_count,
                    build_ms = current.build_time.as_secs_f64() * 1e3,
                    "dictionary reloaded"
                );
                return ReloadOutcome { reloaded: true, previous_version, current, problems: Vec::new() };
            }
            Ok(Err(error)) => error.problems,
            Err(panicked) => vec![Problem {
                at: Location { source: "<reload>".into(), line: 0 },
                message: format!("the build failed unexpectedly: {panicked}"),
            }],
        };
        for problem in &problems {
            tracing::error!(trigger, %problem, "dictionary problem; still serving the previous version");
        }
        self.metrics.record_reload(false);
        tracing::error!(trigger, problems = problems.len(), version = %previous_version, "dictionary reload failed");
        let current = self.catalog.snapshot().info().clone();
        ReloadOutcome { reloaded: false, previous_version, current, problems }
    }

    /// What identifies the current state of the dictionary files: each
    /// file's modification time and length (following symlinks, so a
    /// Kubernetes ConfigMap's atomic symlink swap is seen).
    fn fingerprint(&self) -> Vec<Option<(SystemTime, u64)>> {
        self.origin
            .files()
            .iter()
            .map(|p| std::fs::metadata(p).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())))
            .collect()
    }

    /// Polls the dictionary files every `interval` and reloads when any
    /// changed. Polling, not inotify: it sees ConfigMap symlink swaps and
    /// network volumes alike, and costs one `stat` per file per interval.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        if self.origin.files().is_empty() {
            tracing::warn!("--watch given but no --dictionary or --compiled file to watch");
            return;
        }
        let mut seen = self.fingerprint();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = self.fingerprint();
            if now != seen {
                seen = now;
                self.reload("watch").await;
            }
        }
    }
}

//! The worker pool that runs matching: CPU work never runs on the async
//! runtime's threads, so a large batch cannot stall other requests' I/O, and
//! a batch fans out over every worker (rayon work stealing).
//!
//! A panic inside a job (there should be none; this is defence in depth) is
//! caught and returned as [`JobPanicked`], so it becomes an `INTERNAL` status
//! for that request instead of taking the process down.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::oneshot;

/// A job panicked; the request that ran it fails, the service goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a matching job panicked")]
pub struct JobPanicked;

#[derive(Debug)]
pub struct Workers {
    pool: rayon::ThreadPool,
}

impl Workers {
    /// A pool of `threads` workers; 0 means one per available core.
    ///
    /// # Errors
    ///
    /// When the operating system refuses to start the threads.
    pub fn new(threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("entex-worker-{i}"))
            .build()?;
        Ok(Self { pool })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Starts `job` on the pool; the receiver yields its result. Inside the
    /// job, rayon's parallel iterators use this same pool.
    pub fn spawn<T, F>(&self, job: F) -> oneshot::Receiver<Result<T, JobPanicked>>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.pool.spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(job)).map_err(|_| JobPanicked);
            // The requester may have gone (client cancelled): nothing to do.
            let _ = sender.send(result);
        });
        receiver
    }

    /// Runs `job` on the pool and waits for it without blocking the runtime.
    pub async fn run<T, F>(&self, job: F) -> Result<T, JobPanicked>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.spawn(job).await.unwrap_or(Err(JobPanicked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_contains_panics() {
        let workers = Workers::new(2).unwrap();
        assert_eq!(workers.run(|| 40 + 2).await, Ok(42));
        let panicked: Result<(), _> = workers.run(|| panic!("boom")).await;
        assert_eq!(panicked, Err(JobPanicked));
        // The pool survives.
        assert_eq!(workers.run(|| 1).await, Ok(1));
    }
}

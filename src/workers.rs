//! The worker pool that runs matching: CPU work never runs on the async
//! runtime's threads, so a large batch cannot stall other requests' I/O, and
//! a batch fans out over every worker (rayon work stealing).
//!
//! A panic inside a job (there should be none; this is defence in depth) is
//! caught and returned as [`JobPanicked`], so it becomes an `INTERNAL` status
//! for that request instead of taking the process down.
//!
//! # Work nobody waits for
//!
//! A job started with [`Workers::spawn_watched`] gets a [`Watch`]: whether
//! its call's deadline has passed and whether anyone still waits for its
//! result (the requester drops the receiver when its client goes away or
//! tonic gives up at the deadline). A job checks it before it starts, so
//! queued work of a call that is over is dropped, and between documents,
//! so running work stops at the next document. One check costs a clock read
//! and an atomic load, next to microseconds of matching per document.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::Instant,
};

use tokio::sync::oneshot;

use crate::metrics::Abandoned;

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

    /// Starts `job` on the pool with a [`Watch`] over `deadline` and over the
    /// returned receiver: once the deadline has passed or the receiver is
    /// dropped, [`Watch::check`] says so, and the job should stop. The
    /// receiver yields the job's result; inside the job, rayon's parallel
    /// iterators use this same pool.
    pub fn spawn_watched<T, F>(&self, deadline: Option<Instant>, job: F) -> oneshot::Receiver<Result<T, JobPanicked>>
    where
        T: Send + 'static,
        F: FnOnce(&Watch<'_>) -> T + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.pool.spawn(move || {
            let waited_for = || !sender.is_closed();
            let watch = Watch { deadline, waited_for: &waited_for };
            let result = catch_unwind(AssertUnwindSafe(|| job(&watch))).map_err(|_| JobPanicked);
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
        self.spawn_watched(None, |_| job()).await.unwrap_or(Err(JobPanicked))
    }
}

/// What a watched job asks before each unit of work: is this call still
/// wanted? Shared by reference with rayon's threads inside the job.
pub struct Watch<'a> {
    deadline: Option<Instant>,
    waited_for: &'a (dyn Fn() -> bool + Sync),
}

impl Watch<'_> {
    /// `Err` once the deadline has passed (checked first: tonic drops the
    /// receiver at the deadline too) or nobody waits for the result.
    ///
    /// # Errors
    ///
    /// Why the job should stop.
    pub fn check(&self) -> Result<(), Abandoned> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(Abandoned::Deadline);
        }
        if !(self.waited_for)() {
            return Err(Abandoned::Cancelled);
        }
        Ok(())
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

    #[tokio::test]
    async fn a_watched_job_sees_its_deadline_and_its_requester() {
        let workers = Workers::new(1).unwrap();
        let past = Some(Instant::now());
        assert_eq!(workers.spawn_watched(past, |w| w.check()).await.unwrap(), Ok(Err(Abandoned::Deadline)));
        let future = Some(Instant::now() + std::time::Duration::from_secs(3600));
        assert_eq!(workers.spawn_watched(future, |w| w.check()).await.unwrap(), Ok(Ok(())));

        // A requester that goes away: the job, held until then, sees it.
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (seen_tx, seen_rx) = oneshot::channel();
        let receiver = workers.spawn_watched(None, move |w| {
            go_rx.recv().unwrap();
            let _ = seen_tx.send(w.check());
        });
        drop(receiver);
        go_tx.send(()).unwrap();
        assert_eq!(seen_rx.await.unwrap(), Err(Abandoned::Cancelled));
    }
}

//! Group commit: writes that arrive together share one transaction and one fsync.
//!
//! One writer at a time, without a thread of its own: a caller that finds nobody
//! writing becomes the *leader*, takes every request queued so far (its own first)
//! and runs them as one batch; callers that arrive meanwhile queue up and wait. When
//! the leader is done it hands the lead to the first of them, which takes the next
//! batch. A lone caller therefore writes inline, with no thread hand-off, and under
//! load the batches grow by themselves: the more callers wait on an fsync, the more
//! share the next one. The queue is first in, first out, and a batch runs its
//! requests in that order, so two writes of one caller (or of one workflow) keep
//! their order.
//!
//! The shape is the one of RocksDB's write groups and MySQL's binary-log group
//! commit. A leader that panics mid-batch leaves its followers with an error rather
//! than waiting forever, and still hands the lead on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What a waiting caller is told: its result, or that it leads the next batch.
enum Reply<T> {
    Done(T),
    Lead,
}

struct Waiter<R, T> {
    request: R,
    reply: SyncSender<Reply<T>>,
}

struct Queue<R, T> {
    waiting: VecDeque<Waiter<R, T>>,
    /// Whether a leader is running a batch or about to. While false the queue is
    /// empty: whoever queues first leads.
    leading: bool,
}

/// How many batches ran and how many requests they held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Batches run (for a store: transactions committed or rolled back).
    pub batches: u64,
    /// Requests in them.
    pub requests: u64,
}

/// Batches requests `R` into runs whose per-request outcomes are `T`.
pub(crate) struct GroupCommit<R, T> {
    queue: Mutex<Queue<R, T>>,
    max_batch: usize,
    batches: AtomicU64,
    requests: AtomicU64,
}

impl<R, T> GroupCommit<R, T> {
    /// A group commit that puts at most `max_batch` requests (at least 1) in a batch.
    pub(crate) fn new(max_batch: usize) -> Self {
        GroupCommit {
            queue: Mutex::new(Queue {
                waiting: VecDeque::new(),
                leading: false,
            }),
            max_batch: max_batch.max(1),
            batches: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests queued and not yet taken into a batch.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Batches and requests so far.
    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.batches.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<R, T>> {
        // Nothing panics while the queue is held, and its invariant holds between
        // statements, so a poisoned lock is still consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `request` and waits for its outcome. `run` executes a batch and
    /// returns one outcome per request, in order; it is called by whichever caller
    /// leads, never by two at once. `None` when the batch's leader panicked before
    /// answering.
    pub(crate) fn submit(&self, request: R, run: impl FnOnce(&[R]) -> Vec<T>) -> Option<T> {
        let (reply, outcome) = sync_channel(1);
        let lead_now = {
            let mut queue = self.lock();
            queue.waiting.push_back(Waiter { request, reply });
            !std::mem::replace(&mut queue.leading, true)
        };
        if !lead_now {
            match outcome.recv() {
                Ok(Reply::Done(t)) => return Some(t),
                Ok(Reply::Lead) => {}
                Err(_) => return None,
            }
        }
        self.lead(run, &outcome)
    }

    /// Runs one batch (the caller's request is at the front of the queue), answers
    /// everyone in it, hands the lead on, and returns the caller's own outcome.
    fn lead(&self, run: impl FnOnce(&[R]) -> Vec<T>, own: &Receiver<Reply<T>>) -> Option<T> {
        let handover = Handover(self);
        let batch: Vec<Waiter<R, T>> = {
            let mut queue = self.lock();
            let n = queue.waiting.len().min(self.max_batch);
            queue.waiting.drain(..n).collect()
        };
        let (requests, replies): (Vec<R>, Vec<SyncSender<Reply<T>>>) =
            batch.into_iter().map(|w| (w.request, w.reply)).unzip();
        let outcomes = run(&requests);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.requests
            .fetch_add(requests.len() as u64, Ordering::Relaxed);
        debug_assert_eq!(outcomes.len(), replies.len(), "one outcome per request");
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A sync channel of one, empty since its owner waits on it: never blocks.
            let _ = reply.send(Reply::Done(outcome));
        }
        drop(handover);
        match own.try_recv() {
            Ok(Reply::Done(t)) => Some(t),
            _ => None,
        }
    }
}

/// Hands the lead to the first waiting caller, or marks that nobody leads. Runs on
/// drop, so that a leader that panics still hands over.
struct Handover<'a, R, T>(&'a GroupCommit<R, T>);

impl<R, T> Drop for Handover<'_, R, T> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        while let Some(first) = queue.waiting.front() {
            if first.reply.send(Reply::Lead).is_ok() {
                return;
            }
            // Its caller is gone; nobody will take its answer.
            queue.waiting.pop_front();
        }
        queue.leading = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn a_lone_caller_runs_its_own_batch_of_one() {
        let g: GroupCommit<u32, u32> = GroupCommit::new(8);
        let out = g.submit(20, |batch| batch.iter().map(|r| r + 1).collect());
        assert_eq!(out, Some(21));
        assert_eq!(
            g.stats(),
            GroupCommitStats {
                batches: 1,
                requests: 1
            }
        );
    }

    #[test]
    fn callers_waiting_on_a_slow_batch_share_the_next_one_and_get_their_own_outcome() {
        let g: Arc<GroupCommit<u32, u32>> = Arc::new(GroupCommit::new(64));
        let threads = 12u32;
        let start = Arc::new(Barrier::new(threads as usize));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (g, start) = (g.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    g.submit(i, |batch| {
                        // A slow "fsync", so that the others queue meanwhile.
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        batch.iter().map(|r| r * 10).collect()
                    })
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Some(i as u32 * 10));
        }
        let stats = g.stats();
        assert_eq!(stats.requests, u64::from(threads));
        assert!(
            stats.batches < u64::from(threads),
            "no batching happened: {stats:?}"
        );
    }

    fn wait_until(what: impl Fn() -> bool) {
        while !what() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn batches_keep_the_arrival_order_and_respect_the_cap() {
        let g: Arc<GroupCommit<u32, u32>> = Arc::new(GroupCommit::new(3));
        let seen = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let submit = |i: u32| {
            let (g, seen) = (g.clone(), seen.clone());
            std::thread::spawn(move || {
                let inner = g.clone();
                g.submit(i, |batch| {
                    if i == 0 {
                        // The first leader holds its "fsync" until the nine others
                        // have queued behind it.
                        wait_until(|| inner.waiting() == 9);
                    }
                    seen.lock().unwrap().push(batch.to_vec());
                    batch.to_vec()
                })
            })
        };
        let mut handles = vec![submit(0)];
        wait_until(|| seen.lock().unwrap().is_empty() && g.waiting() == 0 && g.lock().leading);
        for i in 1..10u32 {
            handles.push(submit(i));
            // Queued in a known order: the next one starts once this one waits
            // (or, for the last, once the first leader saw them all and went on).
            wait_until(|| g.waiting() == i as usize || !seen.lock().unwrap().is_empty());
        }
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Some(i as u32));
        }
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            [vec![0], vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]
        );
    }

    #[test]
    fn a_leader_that_panics_fails_its_batch_and_the_writer_goes_on() {
        let g: Arc<GroupCommit<u32, u32>> = Arc::new(GroupCommit::new(64));
        let panicked = {
            let g = g.clone();
            std::thread::spawn(move || g.submit(1, |_| panic!("injected")))
        };
        assert!(panicked.join().is_err());
        // The lead was handed over on unwinding: the next caller is not stuck.
        assert_eq!(g.submit(2, |b| b.to_vec()), Some(2));
    }
}

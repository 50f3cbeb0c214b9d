//! Data parallelism for the independent, CPU-bound parts of one scan (a node's device chains and
//! report signatures, NRAS tokens): up to one thread per CPU, results in input order, so callers
//! behave exactly as their sequential loop did. Whether to spread is the caller's explicit choice
//! ([`crate::ScanOptions::parallel`], [`crate::nvidia::verify::GpuOptions::parallel`]): a batch
//! that already runs one scan per core turns it off, and everything stays on the caller's thread.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `items.iter().map(f).collect()`, spread over the CPUs when `parallel` and there are several
/// items; on the caller's thread otherwise.
pub(crate) fn map_ordered<T: Sync, R: Send>(items: &[T], parallel: bool, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let workers = cpus.min(items.len());
    if workers <= 1 || !parallel {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        // A worker that panicked loses its items; they are computed again below, on this thread
        // (where the same panic, if it recurs, propagates as in the sequential loop).
        handles.into_iter().filter_map(|h| h.join().ok()).flatten().collect()
    });
    done.sort_by_key(|(i, _)| *i);
    let mut done = done.into_iter().peekable();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match done.next_if(|(j, _)| *j == i) {
            Some((_, r)) => r,
            None => f(item),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::map_ordered;

    #[test]
    fn results_are_in_input_order() {
        let items: Vec<u64> = (0..1000).collect();
        for parallel in [true, false] {
            let out = map_ordered(&items, parallel, |x| x * 2);
            assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
            assert!(map_ordered(&[] as &[u8], parallel, |x| *x).is_empty());
        }
    }

    #[test]
    fn not_parallel_it_stays_on_the_callers_thread() {
        let me = std::thread::current().id();
        let ids = map_ordered(&[1, 2, 3, 4], false, |_| std::thread::current().id());
        assert!(ids.iter().all(|id| *id == me));
    }
}

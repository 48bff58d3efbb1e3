//! Reading the shards a list touches (one netlink dump each) and planning
//! the load or sync with [`super::plan`].
//!
//! The work is spread over the machine's cores (up to [`MAX_THREADS`]),
//! one shard at a time per thread: each dump runs in its own netlink
//! socket, and planning is pure. A sync reads every shard, so
//! [`parse_while_reading`] reads them while the list is parsed. Errors are
//! reported as one thread would: the first shard's, in shard order.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use super::merge::Incoming;
use super::plan::{plan_shard, route_list, Current, Limits, Mode, Plan, ShardPlan, MAX_ENTRIES};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{batch, dump, Kernel};
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;

/// The most threads reading and planning shards.
pub const MAX_THREADS: usize = 4;

fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
}

/// A shard as the kernel holds it.
#[derive(Debug, Default)]
pub struct Shard {
    current: Current,
    /// Its maxelem, from the dump's header.
    maxelem: Option<u32>,
}

impl Shard {
    /// The elements it holds.
    pub fn entries(&self) -> impl Iterator<Item = crate::addr::Entry> + '_ {
        self.current.entries()
    }

    /// Its maxelem (from the dump's header) and its elements.
    pub fn into_parts(self) -> (Option<u32>, Current) {
        (self.maxelem, self.current)
    }
}

/// Read one shard's elements with one netlink dump (no text round trip).
pub(super) fn read_shard(spec: &FamilySpec, index: usize) -> Result<Shard> {
    let name = spec.shard_name(index as u32);
    let extensions = spec.has_extensions();
    let mut current = Current::default();
    let header = dump::dump_entries(&name, extensions, |entry, element| {
        current.push(entry, element.map(Box::new));
    })
    .map_err(|e| match e.kernel_kind() {
        Some(KernelErrorKind::NoSuchSet) => damaged(spec, &name),
        _ => e,
    })?;
    Ok(Shard {
        current,
        maxelem: header.maxelem,
    })
}

fn damaged(spec: &FamilySpec, shard: &str) -> Error {
    Error::Usage(format!(
        "family '{}' is damaged: its shard {shard} does not exist; `mipset destroy --force {}` removes the family",
        spec.name, spec.name
    ))
}

/// Jobs `0..n`, taken in order by whichever thread is free.
struct Queue<I> {
    items: Vec<Mutex<Option<I>>>,
    next: AtomicUsize,
    stop: AtomicBool,
}

impl<I> Queue<I> {
    fn new(items: impl IntoIterator<Item = I>) -> Queue<I> {
        Queue {
            items: items.into_iter().map(|i| Mutex::new(Some(i))).collect(),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        }
    }

    /// Do jobs until none is left (or the queue is stopped), handing each
    /// result to `done`.
    fn work<O>(&self, run: &(impl Fn(usize, I) -> O + Sync), mut done: impl FnMut(usize, O)) {
        while !self.stop.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = self.items.get(i) else {
                return;
            };
            let item = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(item) = item {
                done(i, run(i, item));
            }
        }
    }
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// What was done while the list was parsed: its entries routed to the
/// shards, and the shards read (by index).
#[derive(Debug, Default)]
pub struct Prefetched {
    incoming: Option<Vec<Incoming>>,
    shards: Vec<Option<Result<Shard>>>,
}

impl Prefetched {
    /// The shards read, by index (`None`: not read).
    pub(super) fn into_shards(self) -> Vec<Option<Result<Shard>>> {
        self.shards
    }
}

/// Parse the list with `parse` on this thread while, for a sync, other
/// threads read every shard of the family (a sync needs them all); this
/// thread routes the parsed entries, then joins them. A failed parse stops
/// the reading. Nothing is read ahead for a load (which shards it needs
/// depends on the list), nor for a family with extensions: its elements
/// take ~100 bytes each, so its shards are read one per thread as they
/// are planned, not all held at once.
pub fn parse_while_reading(
    spec: &FamilySpec,
    mode: Mode,
    parse: impl FnOnce() -> Result<Vec<ListEntry>>,
) -> (Result<Vec<ListEntry>>, Prefetched) {
    let helpers = threads() - 1;
    if mode != Mode::Sync || helpers == 0 || spec.has_extensions() {
        return (parse(), Prefetched::default());
    }
    let queue = Queue::new(0..spec.shards as usize);
    let read = |i: usize, _| read_shard(spec, i);
    let mut shards: Vec<Option<Result<Shard>>> = (0..spec.shards).map(|_| None).collect();
    let mut incoming = None;
    let parsed = std::thread::scope(|s| {
        let handles: Vec<_> = (0..helpers)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    queue.work(&read, |i, shard| got.push((i, shard)));
                    got
                })
            })
            .collect();
        let parsed = parse();
        match &parsed {
            Ok(list) if list.len() <= MAX_ENTRIES => {
                let timeouts = spec.timeout.is_some();
                incoming = Some(route_list(list, spec.shards, spec.routing, timeouts));
            }
            Ok(_) => {}
            Err(_) => queue.stop.store(true, Ordering::Relaxed),
        }
        queue.work(&read, |i, shard| shards[i] = Some(shard));
        for handle in handles {
            for (i, shard) in join(handle) {
                shards[i] = Some(shard);
            }
        }
        parsed
    });
    (parsed, Prefetched { incoming, shards })
}

/// Plan a load or sync of `list` into the family: reads the shards the
/// list touches (sync: every shard) once each.
pub fn plan<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
) -> Result<Plan<'a>> {
    plan_with(kernel, spec, list, mode, atomic, &mut |_| {})
}

/// [`plan`], calling `tick(shard)` after each shard is read and planned
/// (for a progress bar).
pub fn plan_with<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
    tick: &mut dyn FnMut(usize),
) -> Result<Plan<'a>> {
    plan_prefetched(
        kernel,
        spec,
        list,
        mode,
        atomic,
        Prefetched::default(),
        tick,
    )
}

/// What a shard's planning starts from.
enum Start {
    /// Not touched by a load.
    Skip,
    /// Read already, or to read now.
    Read(Option<Result<Shard>>),
    /// Empty (its header says), with its maxelem.
    Empty(Option<u32>),
}

/// [`plan_with`], using what [`parse_while_reading`] did while it parsed
/// `list` (and doing what it did not).
pub fn plan_prefetched<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
    prefetched: Prefetched,
    tick: &mut dyn FnMut(usize),
) -> Result<Plan<'a>> {
    if list.len() > MAX_ENTRIES {
        return Err(Error::Usage(format!(
            "a list of {} entries is more than one load or sync can take",
            list.len()
        )));
    }
    let n = spec.shards as usize;
    let timeouts = spec.timeout.is_some();
    let Prefetched { incoming, shards } = prefetched;
    let incoming = incoming
        .filter(|routed| routed.len() == n)
        .unwrap_or_else(|| route_list(list, spec.shards, spec.routing, timeouts));
    let starts: Vec<Result<Start>> = if mode == Mode::Sync {
        // Every shard is read, and a missing one found by its dump.
        let read = shards.into_iter().chain(std::iter::repeat_with(|| None));
        read.take(n).map(|r| Ok(Start::Read(r))).collect()
    } else {
        // Headers say which shards exist, and which are empty.
        let headers = kernel.list_headers(None)?;
        let by_name: std::collections::HashMap<&str, _> =
            headers.iter().map(|h| (h.name.as_str(), h)).collect();
        (0..n)
            .map(|i| {
                let name = spec.shard_name(i as u32);
                let header = by_name
                    .get(name.as_str())
                    .ok_or_else(|| damaged(spec, &name))?;
                Ok(if incoming[i].is_empty() {
                    Start::Skip
                } else if header.entries == 0 {
                    let maxelem = header.header_num("maxelem");
                    Start::Empty(maxelem.and_then(|m| u32::try_from(m).ok()))
                } else {
                    Start::Read(None)
                })
            })
            .collect()
    };
    let limits = |maxelem: Option<u32>| Limits {
        maxelem: maxelem.unwrap_or(spec.maxelem) as usize,
        max_in_place: batch::ONE_SEND_BYTES / batch::element_bytes_max(spec.comment),
        force_rebuild: atomic,
        timeouts,
    };
    let run = |i: usize, (start, incoming): (Result<Start>, Incoming)| {
        let (current, maxelem) = match start? {
            Start::Skip => return Ok(None),
            Start::Empty(maxelem) => (Current::default(), maxelem),
            Start::Read(read) => {
                let shard = read.unwrap_or_else(|| read_shard(spec, i))?;
                (shard.current, shard.maxelem)
            }
        };
        let limits = limits(maxelem);
        let name = spec.shard_name(i as u32);
        let planned = plan_shard(&name, current, list, incoming, mode, limits);
        Ok(Some((planned, limits.maxelem)))
    };
    let outcomes = in_parallel(starts.into_iter().zip(incoming), run, tick);
    let mut plan = Plan {
        entries: list.len(),
        ..Plan::default()
    };
    for outcome in outcomes {
        let Some(((shard_plan, duplicates), maxelem)) = outcome? else {
            continue;
        };
        plan.duplicates += duplicates;
        check_fits(&spec.name, &shard_plan, maxelem)?;
        plan.shards.push(shard_plan);
    }
    Ok(plan)
}

type Outcome<'a> = Result<Option<((ShardPlan<'a>, usize), usize)>>;

/// Run `run(i, item)` for every item on up to [`MAX_THREADS`] threads,
/// this one included, calling `tick(i)` here as each is done; results in
/// item order.
fn in_parallel<'a, I: Send>(
    items: impl IntoIterator<Item = I>,
    run: impl Fn(usize, I) -> Outcome<'a> + Sync,
    tick: &mut dyn FnMut(usize),
) -> Vec<Outcome<'a>> {
    let queue = Queue::new(items);
    let mut outcomes: Vec<Option<Outcome<'a>>> = queue.items.iter().map(|_| None).collect();
    let (sender, results) = mpsc::channel();
    std::thread::scope(|s| {
        for _ in 1..threads().min(queue.items.len()) {
            let sender = sender.clone();
            let (queue, run) = (&queue, &run);
            s.spawn(move || queue.work(run, |i, o| drop(sender.send((i, o)))));
        }
        drop(sender);
        let mut store = |i: usize, o: Outcome<'a>| {
            if matches!(o, Ok(Some(_))) {
                tick(i);
            }
            outcomes[i] = Some(o);
        };
        queue.work(&run, |i, o| {
            store(i, o);
            while let Ok((i, o)) = results.try_recv() {
                store(i, o);
            }
        });
        for (i, o) in results {
            store(i, o);
        }
    });
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Ok(None)))
        .collect()
}

/// What a refused over-capacity plan says after the facts: nothing
/// changed, and the ways out. `--auto-grow` strips it off again (see
/// [`over_capacity_facts`]): it does change the family.
fn over_capacity_advice(family: &str) -> String {
    format!(
        "; nothing was changed. Make room with `mipset resize {family} --maxelem N` (the family total) or `mipset resize {family} --shards N`, or load/sync with --auto-grow (doubles the shards until the list fits)"
    )
}

fn check_fits(family: &str, shard: &ShardPlan, maxelem: usize) -> Result<()> {
    if shard.after > maxelem {
        return Err(Error::kernel(
            KernelErrorKind::Full,
            format!(
                "shard {} would hold {} elements but its maxelem is {maxelem}{}",
                shard.shard,
                shard.after,
                over_capacity_advice(family)
            ),
        ));
    }
    Ok(())
}

/// An over-capacity error of a plan without its "nothing was changed"
/// advice: "shard web-s0 would hold 6 elements but its maxelem is 4".
pub fn over_capacity_facts(family: &str, e: &Error) -> String {
    let text = e.to_string();
    text.strip_suffix(&over_capacity_advice(family))
        .map(str::to_string)
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_outcomes_come_back_in_order_and_each_is_ticked_once() {
        let run = |i: usize, item: usize| -> Outcome<'static> {
            assert_eq!(i, item);
            match item % 3 {
                0 => Err(Error::Usage(format!("shard {item}"))),
                _ => Ok(None),
            }
        };
        let mut ticks = Vec::new();
        let outcomes = in_parallel(0..40, run, &mut |i| ticks.push(i));
        let errors: Vec<String> = outcomes
            .iter()
            .filter_map(|o| o.as_ref().err().map(|e| e.to_string()))
            .collect();
        let want: Vec<String> = (0..40).step_by(3).map(|i| format!("shard {i}")).collect();
        assert_eq!(errors, want);
        assert!(ticks.is_empty(), "only planned shards are ticked");
    }

    #[test]
    fn auto_grow_takes_the_advice_off_an_over_capacity_error() {
        let plan = ShardPlan {
            shard: "web-s0".into(),
            after: 6,
            ..ShardPlan::default()
        };
        let e = check_fits("web", &plan, 4).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(
                "shard web-s0 would hold 6 elements but its maxelem is 4; nothing was changed."
            ) && text.contains("`mipset resize web --maxelem N`")
                && text.contains("`mipset resize web --shards N`")
                && text.contains("--auto-grow"),
            "{text}"
        );
        assert_eq!(
            over_capacity_facts("web", &e),
            "shard web-s0 would hold 6 elements but its maxelem is 4"
        );
    }
}

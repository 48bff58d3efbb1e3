//! Statistics of the measurements (pure but for the timer calibration):
//! distribution summaries, the multi/single ratio with a bootstrap
//! interval, and the timer's own overhead.

use std::time::Instant;

use serde::Serialize;

/// A distribution summary (same unit as the samples: nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub samples: usize,
    pub min: f64,
    /// "From", as the paper reports ranges.
    pub p5: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    /// "To".
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
}

/// Summarise `values` (any order; must not be empty). Quantiles are the
/// nearest-rank values of the sorted samples.
pub fn summarize(values: &[f64]) -> Summary {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Summary {
        samples: v.len(),
        min: v[0],
        p5: at(0.05),
        p25: at(0.25),
        median: at(0.5),
        p75: at(0.75),
        p95: at(0.95),
        p99: at(0.99),
        p999: at(0.999),
        max: v[v.len() - 1],
        mean,
        stddev: var.sqrt(),
    }
}

/// Multi against single for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// multi median / single median.
    pub ratio: f64,
    /// 95% bootstrap confidence interval of that ratio.
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval contains 1: the difference is within the noise.
    pub within_noise: bool,
}

impl Ratio {
    /// `1.23x [1.10-1.40]`, with ` ~` when within the noise.
    pub fn text(&self) -> String {
        format!(
            "{:.2}x [{:.2}-{:.2}]{}",
            self.ratio,
            self.ci_low,
            self.ci_high,
            if self.within_noise { " ~" } else { "" }
        )
    }
}

/// The median of a bootstrap resample of `v`, drawn with `rng`.
fn resampled_median(v: &[f64], rng: &mut u64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    for _ in 0..v.len() {
        *rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        scratch.push(v[(crate::route::mix64(*rng) % v.len() as u64) as usize]);
    }
    scratch.sort_by(f64::total_cmp);
    scratch[scratch.len() / 2]
}

/// Ratio of medians with a percentile bootstrap (1000 resamples, fixed
/// seed, so a report is reproducible from its samples).
pub fn ratio(single: &[f64], multi: &[f64]) -> Ratio {
    let med = |v: &[f64]| summarize(v).median;
    let point = med(multi) / med(single);
    let mut rng = 0x5eed_u64;
    let mut scratch = Vec::new();
    let mut ratios: Vec<f64> = (0..1000)
        .map(|_| {
            let m = resampled_median(multi, &mut rng, &mut scratch);
            let s = resampled_median(single, &mut rng, &mut scratch);
            m / s
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let (lo, hi) = (ratios[25], ratios[974]);
    Ratio {
        ratio: point,
        ci_low: lo,
        ci_high: hi,
        within_noise: lo <= 1.0 && hi >= 1.0,
    }
}

/// What measuring costs: the clock read pair and the bookkeeping around
/// one timed operation (ns, medians of many).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overhead {
    /// Two back-to-back `Instant::now()` reads.
    pub timer_ns: f64,
    /// A timed empty operation, sample stored: what every sample carries.
    pub bookkeeping_ns: f64,
}

pub fn measure_overhead() -> Overhead {
    let mut timer = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let a = Instant::now();
        let b = Instant::now();
        timer.push((b - a).as_nanos() as f64);
    }
    let mut samples: Vec<f64> = Vec::with_capacity(10_000);
    let mut book = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let outer = Instant::now();
        let t = Instant::now();
        std::hint::black_box(());
        samples.push(t.elapsed().as_nanos() as f64);
        book.push(outer.elapsed().as_nanos() as f64);
    }
    std::hint::black_box(&samples);
    Overhead {
        timer_ns: summarize(&timer).median,
        bookkeeping_ns: summarize(&book).median,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_known_sample() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let s = summarize(&v);
        assert_eq!((s.min, s.median, s.max), (1.0, 501.0, 1000.0));
        assert_eq!((s.p5, s.p95, s.p99), (51.0, 950.0, 990.0));
        assert_eq!(s.samples, 1000);
        assert!((s.mean - 500.5).abs() < 1e-9);
        assert!((s.stddev - 288.82).abs() < 0.01);
        let one = summarize(&[7.0]);
        assert_eq!(
            (one.min, one.median, one.max, one.stddev),
            (7.0, 7.0, 7.0, 0.0)
        );
    }

    #[test]
    fn ratio_tells_noise_from_difference() {
        let a: Vec<f64> = (0..200).map(|i| 100.0 + f64::from(i % 10)).collect();
        let same: Vec<f64> = (0..200).map(|i| 100.0 + f64::from((i + 3) % 10)).collect();
        let double: Vec<f64> = a.iter().map(|x| x * 2.0).collect();
        let r = ratio(&a, &same);
        assert!(r.within_noise, "{r:?}");
        let r = ratio(&a, &double);
        assert!(!r.within_noise && (r.ratio - 2.0).abs() < 1e-9, "{r:?}");
        assert!(r.ci_low <= 2.0 && r.ci_high >= 2.0);
    }

    #[test]
    fn overhead_is_measured_and_small() {
        let o = measure_overhead();
        assert!(o.timer_ns >= 0.0 && o.bookkeeping_ns >= o.timer_ns * 0.5);
        assert!(o.bookkeeping_ns < 100_000.0, "{o:?}");
    }
}

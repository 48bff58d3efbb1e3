//! Measurements of single set versus family, shared by `cargo bench` and
//! (later) `mipset bench`. Everything here expects to run inside a private
//! network namespace its caller created.

pub mod packet_path;

/// A distribution summary.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub samples: usize,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
}

/// Summarise `values` (any order; must not be empty). Quantiles are the
/// nearest-rank values of the sorted samples.
pub fn summarize(values: &[f64]) -> Summary {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Summary {
        samples: v.len(),
        min: v[0],
        p25: at(0.25),
        median: at(0.5),
        p75: at(0.75),
        max: v[v.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_known_sample() {
        let s = summarize(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(
            (s.min, s.p25, s.median, s.p75, s.max),
            (1.0, 2.0, 3.0, 4.0, 5.0)
        );
        assert_eq!(s.samples, 5);
        let one = summarize(&[7.0]);
        assert_eq!((one.min, one.median, one.max), (7.0, 7.0, 7.0));
    }
}

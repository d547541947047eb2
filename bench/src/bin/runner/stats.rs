//! Medians and ranges of repeated measurements.

/// Median, minimum and maximum of some samples.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
}

/// Summarizes `values`; `None` when empty.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Summary {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// A number with about three significant digits and a k/M/G suffix.
pub fn human(x: f64) -> String {
    let (value, suffix) = match x.abs() {
        a if a >= 1e9 => (x / 1e9, "G"),
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e4 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    let digits = match value.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 || a == 0.0 => 2,
        a => (2 - a.log10().floor() as i32).clamp(2, 6) as usize,
    };
    format!("{value:.digits$}{suffix}")
}

/// `median (min–max)` in [`human`] form.
pub fn range(s: &Summary) -> String {
    format!("{} ({}–{})", human(s.median), human(s.min), human(s.max))
}

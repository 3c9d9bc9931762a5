//! [`hist`]: the distribution of one numeric column, in equal-width bins.

use plotters::prelude::*;
use polars::prelude::DataFrame;

use super::axis::{Axis, Scale};
use super::chart::{Canvas, Chart, Kind};
use super::columns;
use super::palette::color;
use crate::error::{Error, Result};

/// A histogram of column `col` of `df` in `bins` equal-width bins.
///
/// Nulls and non-finite values are left out. Bins span the smallest to the largest value;
/// the last bin includes its right edge (as numpy and pandas do).
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::InvalidParameter`] for
/// `bins == 0`, [`Error::NoData`] if nothing is left to count.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let returns = sp500()?
///     .lazy()
///     .select([(col("KO") / col("KO").shift(lit(1)) - lit(1.0)).alias("KO daily return")])
///     .collect()?;
/// let chart = hist(&returns, "KO daily return", 80)?.title("Coca-Cola daily returns");
/// assert!(chart.svg()?.contains("count"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn hist(df: &DataFrame, col: &str, bins: usize) -> Result<Chart> {
    const OP: &str = "hist";
    if bins == 0 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "bins",
            value: "0".into(),
            rule: "at least 1",
        });
    }
    let values: Vec<f64> = columns::numbers(df, col, OP)?
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Err(Error::NoData {
            operation: OP,
            column: col.to_string(),
        });
    }
    let data = HistData::count(&values, bins);
    Ok(Chart::new(
        Kind::Hist(data),
        format!("histogram of {col}, {bins} bins"),
        Some(col.to_string()),
        Some("count".to_string()),
    ))
}

/// Bin edges and counts.
#[derive(Clone, Debug)]
pub(crate) struct HistData {
    /// `bins + 1` edges, increasing.
    edges: Vec<f64>,
    /// One count per bin.
    counts: Vec<u64>,
}

impl HistData {
    /// Counts finite `values` (not empty) into `bins` equal-width bins.
    fn count(values: &[f64], bins: usize) -> HistData {
        let (mut lo, mut hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        if lo == hi {
            // One distinct value: a unit-wide range around it, as numpy does.
            lo -= 0.5;
            hi += 0.5;
        }
        let width = (hi - lo) / bins as f64;
        let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
        let mut counts = vec![0u64; bins];
        for v in values {
            let i = (((v - lo) / width) as usize).min(bins - 1);
            counts[i] += 1;
        }
        HistData { edges, counts }
    }

    /// x spans the bins; y starts at 0 with 5% headroom.
    pub(crate) fn axes(&self) -> (Axis, Axis) {
        let max = self.counts.iter().copied().max().unwrap_or(0) as f64;
        let (lo, hi) = (self.edges[0], self.edges[self.edges.len() - 1]);
        (
            Axis::new(Scale::Number, lo, hi, 9),
            Axis::new(Scale::Number, 0.0, (max * 1.05).max(1.0), 8),
        )
    }

    /// Draws the bars, separated by thin white lines.
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        cc: &mut Canvas<'_, DB>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let bars = || {
            self.counts
                .iter()
                .zip(self.edges.windows(2))
                .filter(|(count, _)| **count > 0)
                .map(|(count, edge)| [(edge[0], 0.0), (edge[1], *count as f64)])
        };
        cc.draw_series(bars().map(|corners| Rectangle::new(corners, color(0).filled())))?;
        if self.counts.len() <= 200 {
            cc.draw_series(bars().map(|corners| Rectangle::new(corners, WHITE.stroke_width(1))))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_numpy_edges() {
        // Edges 1, 2, 3, 4: [1, 2) holds 1, [2, 3) holds 2, 2, and the last bin [3, 4] holds 3, 4.
        let data = HistData::count(&[1.0, 2.0, 2.0, 3.0, 4.0], 3);
        assert_eq!(data.counts, [1, 2, 2]);
        assert_eq!(data.edges, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn one_value_gets_a_unit_range() {
        let data = HistData::count(&[5.0, 5.0], 2);
        assert_eq!(data.edges, [4.5, 5.0, 5.5]);
        assert_eq!(data.counts.iter().sum::<u64>(), 2);
    }

    #[test]
    fn hist_skips_nulls_and_rejects_zero_bins() {
        let df = polars::prelude::df!("x" => [Some(1.0), None, Some(f64::NAN), Some(2.0)]).unwrap();
        let chart = hist(&df, "x", 2).unwrap();
        let Kind::Hist(data) = &chart_kind(&chart) else {
            panic!()
        };
        assert_eq!(data.counts, [1, 1]);
        let err = hist(&df, "x", 0).unwrap_err();
        assert_eq!(err.to_string(), "hist: bins should be at least 1, but is 0");
    }

    fn chart_kind(chart: &Chart) -> Kind {
        chart.kind().clone()
    }
}

//! [`hist`]: the distribution of one numeric column, in equal-width bins; [`hist_kde`]: the
//! same as a density, with the Gaussian kernel density estimate over it.

use plotters::prelude::*;
use polars::prelude::{DataFrame, NamedFrom, Series};

use super::axis::{Axis, Scale};
use super::chart::{Canvas, Chart, Kind};
use super::columns;
use super::font::FAMILY;
use super::palette::color;
use super::scatter::short;
use crate::error::{Error, Result};
use crate::stats::{Bandwidth, gaussian_kde};

/// Points the KDE curve is evaluated on.
const KDE_POINTS: usize = 512;

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
    let values = finite_values(df, col, bins, "hist")?;
    let data = HistData::count(&values, bins);
    Ok(Chart::new(
        Kind::Hist(data),
        format!("histogram of {col}, {bins} bins"),
        Some(col.to_string()),
        Some("count".to_string()),
    ))
}

/// A histogram of column `col` of `df` scaled as a density (bar areas sum to 1), with the
/// Gaussian kernel density estimate drawn over it, as seaborn's
/// `histplot(x, bins=bins, stat="density", kde=True)`.
///
/// Bins are those of [`hist`]. The curve is
/// [`gaussian_kde(&values, Bandwidth::Scott)`](crate::stats::gaussian_kde) (scipy's default
/// bandwidth) evaluated exactly on 512 points of its [`support`](crate::stats::Kde::support),
/// the grid of [`Kde::grid`](crate::stats::Kde::grid): 3 bandwidths beyond the smallest and
/// largest values. The legend gives n and the bandwidth; the title reads `Distribution of col`.
///
/// # Errors
///
/// Those of [`hist`], and [`Error::InvalidParameter`] if fewer than 2 values are left or they
/// are all equal (no density to estimate).
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Log)?;
/// let svg = hist_kde(&r, "JPM", 80)?.svg()?;
/// assert!(svg.contains("density") && svg.contains("Gaussian KDE"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn hist_kde(df: &DataFrame, col: &str, bins: usize) -> Result<Chart> {
    const OP: &str = "hist_kde";
    let values = finite_values(df, col, bins, OP)?;
    if values.len() < 2 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the number of finite values",
            value: values.len().to_string(),
            rule: "at least 2 for a density estimate",
        });
    }
    let kde = gaussian_kde(&Series::new(col.into(), &values[..]), Bandwidth::Scott)?;
    let xs = kde.support(KDE_POINTS);
    let curve = xs.iter().copied().zip(kde.evaluate(&xs)).collect();
    let mut data = HistData::count(&values, bins);
    data.density = true;
    data.kde = Some(KdeCurve {
        points: curve,
        label: format!("Gaussian KDE (Scott, bandwidth {})", short(kde.bandwidth())),
    });
    Ok(Chart::new(
        Kind::Hist(data),
        format!("density histogram of {col}, {bins} bins, with KDE"),
        Some(col.to_string()),
        Some("density".to_string()),
    )
    .title(&format!("Distribution of {col}")))
}

/// The finite values of column `col`, checking `bins` first.
fn finite_values(
    df: &DataFrame,
    col: &str,
    bins: usize,
    operation: &'static str,
) -> Result<Vec<f64>> {
    if bins == 0 {
        return Err(Error::InvalidParameter {
            operation,
            name: "bins",
            value: "0".into(),
            rule: "at least 1",
        });
    }
    let values: Vec<f64> = columns::numbers(df, col, operation)?
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Err(Error::NoData {
            operation,
            column: col.to_string(),
        });
    }
    Ok(values)
}

/// Bin edges and counts.
#[derive(Clone, Debug)]
pub(crate) struct HistData {
    /// `bins + 1` edges, increasing.
    edges: Vec<f64>,
    /// One count per bin.
    counts: Vec<u64>,
    /// Bars as a density (count / (n · width)) instead of counts.
    density: bool,
    /// A density curve drawn over the bars.
    kde: Option<KdeCurve>,
}

/// A density curve and its legend entry.
#[derive(Clone, Debug)]
struct KdeCurve {
    points: Vec<(f64, f64)>,
    label: String,
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
        HistData {
            edges,
            counts,
            density: false,
            kde: None,
        }
    }

    /// The bar heights: counts, or densities.
    fn heights(&self) -> Vec<f64> {
        let n: u64 = self.counts.iter().sum();
        let width = self.edges[1] - self.edges[0];
        let scale = if self.density {
            1.0 / (n as f64 * width)
        } else {
            1.0
        };
        self.counts.iter().map(|c| *c as f64 * scale).collect()
    }

    /// x spans the bins (and the curve); y starts at 0 with 5% headroom.
    pub(crate) fn axes(&self) -> (Axis, Axis) {
        let curve = self.kde.iter().flat_map(|k| k.points.iter());
        let max = self
            .heights()
            .into_iter()
            .chain(curve.clone().map(|p| p.1))
            .fold(0.0, f64::max);
        let lo = curve.clone().map(|p| p.0).fold(self.edges[0], f64::min);
        let hi = curve
            .map(|p| p.0)
            .fold(self.edges[self.edges.len() - 1], f64::max);
        let top = if self.density {
            max * 1.05
        } else {
            (max * 1.05).max(1.0)
        };
        (
            Axis::new(Scale::Number, lo, hi, 9),
            Axis::new(Scale::Number, 0.0, top, 8),
        )
    }

    /// Draws the bars, separated by thin white lines, then the curve and a legend if any.
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        cc: &mut Canvas<'a, DB>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let heights = self.heights();
        let bars = || {
            heights
                .iter()
                .zip(self.edges.windows(2))
                .filter(|(height, _)| **height > 0.0)
                .map(|(height, edge)| [(edge[0], 0.0), (edge[1], *height)])
        };
        // Lighter bars under a curve, so the curve reads on top.
        let fill = match self.kde {
            Some(_) => color(0).mix(0.45).filled(),
            None => color(0).filled(),
        };
        let drawn = cc.draw_series(bars().map(|corners| Rectangle::new(corners, fill)))?;
        if self.kde.is_some() {
            let n: u64 = self.counts.iter().sum();
            drawn
                .label(format!("histogram (n = {n}, {} bins)", self.counts.len()))
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], fill));
        }
        if self.counts.len() <= 200 {
            cc.draw_series(bars().map(|corners| Rectangle::new(corners, WHITE.stroke_width(1))))?;
        }
        let Some(kde) = &self.kde else {
            return Ok(());
        };
        let curve_color = RGBColor(0x0b, 0x3c, 0x6e);
        cc.draw_series(LineSeries::new(
            kde.points.iter().copied(),
            curve_color.stroke_width(2),
        ))?
        .label(kde.label.as_str())
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], curve_color.stroke_width(3))
        });
        // The legend goes on the side away from the tallest bar.
        let peak = heights
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        let position = if 2 * peak < heights.len() {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::UpperLeft
        };
        cc.configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FAMILY, 15))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::chart::svg_has_text;

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

    #[test]
    fn hist_kde_draws_a_density_and_the_scipy_curve() {
        let df = crate::data::sp500().unwrap();
        let r = crate::data::returns(&df, crate::data::ReturnKind::Log).unwrap();
        let chart = hist_kde(&r, "JPM", 100).unwrap();
        let Kind::Hist(data) = chart_kind(&chart) else {
            panic!()
        };
        // Bar areas sum to 1.
        let width = data.edges[1] - data.edges[0];
        let area: f64 = data.heights().iter().map(|h| h * width).sum();
        assert!((area - 1.0).abs() < 1e-12, "{area}");
        // The curve is gaussian_kde(Scott) on its support, as `Kde::grid(512)`.
        let series = r.column("JPM").unwrap().as_materialized_series().clone();
        let kde = gaussian_kde(&series, Bandwidth::Scott).unwrap();
        let grid = kde.grid(KDE_POINTS).unwrap();
        let density: Vec<f64> = grid
            .column("density")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let curve = data.kde.as_ref().unwrap();
        assert_eq!(curve.points.len(), density.len());
        assert!(curve.points.iter().zip(&density).all(|(p, d)| p.1 == *d));
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(&svg, "Distribution of JPM"), "title");
        assert!(
            svg_has_text(&svg, "density") && svg_has_text(&svg, "JPM"),
            "axis labels"
        );
        assert!(
            svg_has_text(&svg, "histogram (n = 8312, 100 bins)"),
            "legend"
        );
        assert!(svg_has_text(&svg, &curve.label) && curve.label.starts_with("Gaussian KDE (Scott"));
    }

    #[test]
    fn hist_kde_errors() {
        let df = polars::prelude::df!(
            "c" => [2.0, 2.0, 2.0],
            "one" => [Some(1.0), None, None],
            "s" => ["a", "b", "c"],
        )
        .unwrap();
        let err = hist_kde(&df, "c", 10).unwrap_err();
        assert!(err.to_string().contains("constant sample"), "{err}");
        let err = hist_kde(&df, "one", 10).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("hist_kde: the number of finite values should be at least 2"),
            "{err}"
        );
        assert!(matches!(
            hist_kde(&df, "s", 10),
            Err(Error::InvalidDtype { .. })
        ));
        let err = hist_kde(&df, "nope", 10).unwrap_err();
        assert!(
            err.to_string().contains("available columns: c, one, s"),
            "{err}"
        );
        assert!(hist_kde(&df, "c", 0).is_err());
        assert!(matches!(
            hist_kde(&df.head(Some(0)), "c", 10),
            Err(Error::NoData { .. })
        ));
    }

    fn chart_kind(chart: &Chart) -> Kind {
        chart.kind().clone()
    }
}

//! [`scatter`] and [`scatter_fit`]: one column against another as points, optionally with the
//! least-squares line; the point cloud that [`residplot`](super::residplot()) and
//! [`qqplot`](super::qqplot()) draw too.

use std::collections::HashSet;

use plotters::prelude::*;
use polars::prelude::DataFrame;

use super::axis::{Axis, Scale};
use super::chart::{Canvas, Chart, Kind};
use super::columns;
use super::font::FAMILY;
use super::palette::color;
use crate::error::{Error, Result};

/// Draws column `y` of `df` against column `x` as points, like pandas'
/// `df.plot.scatter(x, y)`.
///
/// `x` may be numeric, `Date` or `Datetime` (dates on the axis); `y` numeric. Rows where
/// either is null or not finite are left out. The axes are named after the columns; the title
/// reads `y vs x`. Dense clouds are drawn with small translucent points, and points that fall
/// on the same pixel are drawn once, so SVGs of many thousand points stay small.
///
/// # Errors
///
/// [`Error::ColumnNotFound`] (listing the columns), [`Error::InvalidDtype`] for a text column,
/// [`Error::NoData`] if no row has both values.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let chart = scatter(&sp500()?, "BAC", "JPM")?;
/// let svg = chart.svg()?;
/// assert!(svg.contains("JPM vs BAC") && svg.contains("<circle"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn scatter(df: &DataFrame, x: &str, y: &str) -> Result<Chart> {
    let (scale, points) = pairs(df, x, y, "scatter")?;
    let data = ScatterData::new(scale, points, y);
    Ok(Chart::new(
        Kind::Scatter(data),
        format!("scatter of {y} vs {x}"),
        Some(x.to_string()),
        Some(y.to_string()),
    )
    .title(&format!("{y} vs {x}")))
}

/// [`scatter`] with the least-squares line `y = a + b·x` drawn over the points, as seaborn's
/// `regplot` (without its confidence band); the legend gives the equation and R².
///
/// The line is the ordinary least-squares fit of `y` on `x` with an intercept, on the rows
/// drawn (both values present and finite): the same `a` and `b` as
/// [`ols(df, y, &[x])`](crate::model::ols()) and `numpy.polyfit(x, y, 1)`, and R² is the
/// squared Pearson correlation. For a date `x`, `b` is per day.
///
/// # Errors
///
/// Those of [`scatter`], and [`Error::InvalidParameter`] if fewer than 2 rows are left or `x`
/// is constant (no line to fit).
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [3.1, 4.9, 7.2, 8.8])?;
/// let svg = scatter_fit(&df, "x", "y")?.svg()?;
/// assert!(svg.contains("y = 1.15 + 1.94·x, R² = 0.9957"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scatter_fit(df: &DataFrame, x: &str, y: &str) -> Result<Chart> {
    const OP: &str = "scatter_fit";
    let (scale, points) = pairs(df, x, y, OP)?;
    let fit = LeastSquares::fit(&points, OP)?;
    let label = format!(
        "{y} = {}, R² = {}",
        equation(fit.intercept, fit.slope, x),
        short(fit.rsquared)
    );
    let data = ScatterData::new(scale, points, y).with_line(RefLine {
        label: Some(label),
        intercept: fit.intercept,
        slope: fit.slope,
        style: LineStyle::Fit,
    });
    Ok(Chart::new(
        Kind::Scatter(data),
        format!("scatter of {y} vs {x} with least-squares line"),
        Some(x.to_string()),
        Some(y.to_string()),
    )
    .title(&format!("{y} vs {x}")))
}

/// The rows of `df` where `x` and `y` are both present and finite, as points.
fn pairs(
    df: &DataFrame,
    x: &str,
    y: &str,
    operation: &'static str,
) -> Result<(Scale, Vec<(f64, f64)>)> {
    let (scale, xs) = columns::x_values(df, x, operation)?;
    let ys = columns::numbers(df, y, operation)?;
    let points = finite_pairs(xs.iter().copied(), ys.iter().copied());
    if points.is_empty() {
        // Name the column that has nothing, or `y` if each has values but never on one row.
        let empty_x = !xs.iter().flatten().any(|v| v.is_finite());
        return Err(Error::NoData {
            operation,
            column: if empty_x { x } else { y }.to_string(),
        });
    }
    Ok((scale, points))
}

/// The `(x, y)` pairs where both are present and finite.
pub(crate) fn finite_pairs(
    xs: impl Iterator<Item = Option<f64>>,
    ys: impl Iterator<Item = Option<f64>>,
) -> Vec<(f64, f64)> {
    xs.zip(ys)
        .filter_map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Some((x, y)),
            _ => None,
        })
        .collect()
}

/// The least-squares line through points, with its R².
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LeastSquares {
    /// `a` in `y = a + b·x`.
    pub(crate) intercept: f64,
    /// `b` in `y = a + b·x`.
    pub(crate) slope: f64,
    /// The squared correlation of x and y (NaN if y is constant).
    pub(crate) rsquared: f64,
}

impl LeastSquares {
    /// Fits `y = a + b·x` by least squares (centred sums, two passes).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for fewer than 2 points or a constant x.
    pub(crate) fn fit(points: &[(f64, f64)], operation: &'static str) -> Result<LeastSquares> {
        if points.len() < 2 {
            return Err(Error::InvalidParameter {
                operation,
                name: "the number of rows with both values",
                value: points.len().to_string(),
                rule: "at least 2 to fit a line",
            });
        }
        let n = points.len() as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in points {
            let (dx, dy) = (x - mx, y - my);
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if sxx == 0.0 {
            return Err(Error::InvalidParameter {
                operation,
                name: "x",
                value: format!("constant at {}", short(mx)),
                rule: "a column that varies (a constant x has no least-squares line)",
            });
        }
        let slope = sxy / sxx;
        Ok(LeastSquares {
            intercept: my - slope * mx,
            slope,
            rsquared: sxy * sxy / (sxx * syy),
        })
    }
}

/// `a + b·x` with the sign of `b` in front of it, e.g. `1.15 − 0.2·BAC`.
pub(crate) fn equation(intercept: f64, slope: f64, x: &str) -> String {
    let sign = if slope < 0.0 { '−' } else { '+' };
    format!("{} {sign} {}·{x}", short(intercept), short(slope.abs()))
}

/// `v` with 4 significant digits, without trailing zeros; scientific outside 1e-4..1e5.
pub(crate) fn short(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor();
    let text = if (-4.0..5.0).contains(&magnitude) {
        let decimals = (3.0 - magnitude).max(0.0) as usize;
        let text = format!("{v:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        format!("{v:.3e}")
    };
    match text.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => text,
    }
}

/// A point cloud with straight lines over it.
#[derive(Clone, Debug)]
pub(crate) struct ScatterData {
    scale: Scale,
    points: Vec<(f64, f64)>,
    /// The points' legend entry, when the chart has a legend.
    name: String,
    lines: Vec<RefLine>,
}

/// A straight line `y = intercept + slope·x` across the chart.
#[derive(Clone, Debug)]
pub(crate) struct RefLine {
    /// Its legend entry; lines without one are not in the legend.
    pub(crate) label: Option<String>,
    pub(crate) intercept: f64,
    pub(crate) slope: f64,
    pub(crate) style: LineStyle,
}

/// How a [`RefLine`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineStyle {
    /// A fitted or reference line: solid, red.
    Fit,
    /// A baseline such as y = 0: dashed, grey.
    Zero,
}

impl ScatterData {
    /// Points (finite, not empty) on an x axis of `scale`; `name` labels them in a legend.
    pub(crate) fn new(scale: Scale, points: Vec<(f64, f64)>, name: &str) -> ScatterData {
        ScatterData {
            scale,
            points,
            name: name.to_string(),
            lines: Vec::new(),
        }
    }

    /// Adds a straight line.
    pub(crate) fn with_line(mut self, line: RefLine) -> ScatterData {
        self.lines.push(line);
        self
    }

    /// The points drawn.
    #[cfg(test)]
    pub(crate) fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The straight lines drawn.
    #[cfg(test)]
    pub(crate) fn lines(&self) -> &[RefLine] {
        &self.lines
    }

    /// The x span of the points, where lines are drawn.
    fn x_span(&self) -> (f64, f64) {
        min_max(self.points.iter().map(|p| p.0))
    }

    /// Both axes cover the points and the lines' ends, with 4% padding.
    pub(crate) fn axes(&self) -> (Axis, Axis) {
        let (x_lo, x_hi) = self.x_span();
        let line_ends = self.lines.iter().flat_map(|l| {
            [x_lo, x_hi]
                .into_iter()
                .map(move |x| l.intercept + l.slope * x)
        });
        let (y_lo, y_hi) = min_max(
            self.points
                .iter()
                .map(|p| p.1)
                .chain(line_ends.filter(|y| y.is_finite())),
        );
        let (x_pad, y_pad) = ((x_hi - x_lo) * 0.04, (y_hi - y_lo) * 0.04);
        (
            Axis::new(self.scale, x_lo - x_pad, x_hi + x_pad, 9),
            Axis::new(Scale::Number, y_lo - y_pad, y_hi + y_pad, 8),
        )
    }

    /// Draws the points (once per pixel), then the lines, then a legend if a line has a label.
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        cc: &mut Canvas<'a, DB>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let n = self.points.len();
        let (radius, alpha) = match n {
            0..=300 => (4, 0.8),
            301..=3000 => (3, 0.55),
            _ => (2, 0.4),
        };
        let style = color(0).mix(alpha).filled();
        // One point per pixel, or per 2×2 pixels for the smallest points (half their width).
        let cell = if radius <= 2 { 2 } else { 1 };
        let mut seen = HashSet::with_capacity(n);
        let unique: Vec<(f64, f64)> = self
            .points
            .iter()
            .copied()
            .filter(|p| {
                let (x, y) = cc.backend_coord(p);
                seen.insert((x.div_euclid(cell), y.div_euclid(cell)))
            })
            .collect();
        let legend = self.lines.iter().any(|l| l.label.is_some());
        let drawn = cc.draw_series(unique.iter().map(|p| Circle::new(*p, radius, style)))?;
        if legend {
            drawn
                .label(format!("{} (n = {n})", self.name))
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color(0).filled()));
        }

        let (x_lo, x_hi) = self.x_span();
        for line in &self.lines {
            let ends = [x_lo, x_hi].map(|x| (x, line.intercept + line.slope * x));
            let (shape, drawn) = match line.style {
                LineStyle::Fit => {
                    let shape = color(3).stroke_width(2);
                    (shape, cc.draw_series(LineSeries::new(ends, shape))?)
                }
                LineStyle::Zero => {
                    let shape = BLACK.mix(0.55).stroke_width(1);
                    (
                        shape,
                        cc.draw_series(DashedLineSeries::new(ends, 6, 4, shape))?,
                    )
                }
            };
            if let Some(label) = &line.label {
                drawn.label(label.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], shape.stroke_width(3))
                });
            }
        }

        if legend {
            // Rising clouds leave the upper left empty, falling ones the upper right.
            let rising = self
                .lines
                .iter()
                .find(|l| l.label.is_some())
                .is_none_or(|l| l.slope >= 0.0);
            let position = if rising {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::UpperRight
            };
            cc.configure_series_labels()
                .position(position)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FAMILY, 15))
                .draw()?;
        }
        Ok(())
    }
}

/// The smallest and largest of `values` (`(0, 0)` for none).
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::chart::svg_has_text;
    use polars::prelude::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short(1.15), "1.15");
        assert_eq!(short(0.995_66), "0.9957");
        assert_eq!(short(-1234.567), "−1235");
        assert_eq!(short(123_456.0), "1.235e5");
        assert_eq!(short(0.000_123_4), "0.0001234");
        assert_eq!(short(0.000_012_34), "1.234e-5");
        assert_eq!(short(0.0), "0");
        assert_eq!(equation(2.0, -0.5, "x"), "2 − 0.5·x");
    }

    #[test]
    fn least_squares_matches_numpy_polyfit() {
        // numpy.polyfit([1, 2, 3, 4], [3.1, 4.9, 7.2, 8.8], 1) = [1.94, 1.15];
        // numpy.corrcoef(...)[0, 1] ** 2 = 0.9956613756613755
        let points = [(1.0, 3.1), (2.0, 4.9), (3.0, 7.2), (4.0, 8.8)];
        let fit = LeastSquares::fit(&points, "t").unwrap();
        assert!((fit.slope - 1.94).abs() < 1e-12, "{fit:?}");
        assert!((fit.intercept - 1.15).abs() < 1e-12, "{fit:?}");
        assert!(
            (fit.rsquared - 0.995_661_375_661_375_5).abs() < 1e-12,
            "{fit:?}"
        );
        let err = LeastSquares::fit(&[(1.0, 1.0), (1.0, 2.0)], "t").unwrap_err();
        assert!(
            err.to_string().contains("x should be a column that varies"),
            "{err}"
        );
        assert!(LeastSquares::fit(&[(1.0, 1.0)], "t").is_err());
    }

    #[test]
    fn scatter_fit_agrees_with_ols_on_sp500() {
        let df = crate::data::sp500().unwrap();
        let chart = scatter_fit(&df, "BAC", "JPM").unwrap();
        let Kind::Scatter(data) = chart.kind() else {
            panic!()
        };
        let fit = crate::model::ols(&df, "JPM", &["BAC"]).unwrap();
        let line = &data.lines()[0];
        assert!((line.intercept - fit.params()[0]).abs() < 1e-9 * fit.params()[0].abs());
        assert!((line.slope - fit.params()[1]).abs() < 1e-9 * fit.params()[1].abs());
        let label = line.label.as_deref().unwrap();
        assert!(
            label.contains(&format!("R² = {}", short(fit.rsquared()))),
            "{label}"
        );
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(&svg, "JPM vs BAC"), "title");
        assert!(
            svg_has_text(&svg, "BAC") && svg_has_text(&svg, "JPM"),
            "axis labels"
        );
        assert!(svg.contains(label), "legend");
        assert!(
            svg.contains(&format!("JPM (n = {})", data.points().len())),
            "legend"
        );
        // Points on the same pixel are drawn once.
        let circles = svg.matches("<circle").count();
        assert!(circles < data.points().len() / 2, "{circles}");
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
    }

    #[test]
    fn falling_fits_keep_their_sign_in_the_legend() {
        let df = df!("x" => [1.0, 2.0, 3.0], "y" => [3.0, 2.5, 1.0]).unwrap();
        let svg = scatter_fit(&df, "x", "y").unwrap().svg().unwrap();
        // numpy.polyfit([1, 2, 3], [3, 2.5, 1], 1) = [-1, 4.1667]
        assert!(svg.contains("y = 4.167 − 1·x, R² = 0.9231"), "legend");
    }

    #[test]
    fn scatter_skips_missing_rows_and_takes_dates() {
        let df = df!(
            "x" => [Some(1.0), None, Some(3.0), Some(f64::NAN)],
            "y" => [Some(2.0), Some(1.0), None, Some(1.0)],
        )
        .unwrap();
        let chart = scatter(&df, "x", "y").unwrap();
        let Kind::Scatter(data) = chart.kind() else {
            panic!()
        };
        assert_eq!(data.points(), [(1.0, 2.0)]);
        let svg = chart.svg().unwrap();
        assert!(!svg.contains("(n = "), "no legend without a line");

        let df = crate::data::sp500().unwrap();
        let svg = scatter(&df, "Date", "KO").unwrap().svg().unwrap();
        assert!(
            svg_has_text(&svg, "2000") && svg_has_text(&svg, "Date"),
            "dates"
        );
    }

    #[test]
    fn scatter_errors_name_the_problem() {
        let df = df!(
            "x" => [1.0, 2.0],
            "s" => ["a", "b"],
            "none" => [None::<f64>, None],
            "c" => [5.0, 5.0],
        )
        .unwrap();
        let err = scatter(&df, "x", "nope").unwrap_err();
        assert!(
            err.to_string().contains("available columns: x, s, none, c"),
            "{err}"
        );
        let err = scatter(&df, "x", "s").unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
        let err = scatter(&df, "none", "x").unwrap_err();
        assert!(
            err.to_string().contains("column `none` has no finite"),
            "{err}"
        );
        let err = scatter_fit(&df, "c", "x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("scatter_fit: x should be a column that varies"),
            "{err}"
        );
        let empty = DataFrame::new(
            0,
            vec![
                Column::new("x".into(), Vec::<f64>::new()),
                Column::new("y".into(), Vec::<f64>::new()),
            ],
        )
        .unwrap();
        assert!(matches!(
            scatter(&empty, "x", "y"),
            Err(Error::NoData { .. })
        ));
    }
}

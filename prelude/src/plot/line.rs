//! [`line`]: one or more columns drawn as lines over a date or number column.

use plotters::prelude::*;
use polars::prelude::{Column, DataFrame, Series};

use super::axis::{Axis, Scale};
use super::chart::{Canvas, Chart, Kind};
use super::columns;
use super::font::FAMILY;
use super::palette::color;
use crate::error::{Error, Result};

/// Draws the columns `ys` of `df` as lines against the column `x`.
///
/// `x` may be a `Date`, `Datetime` or numeric column; each of `ys` numeric. Nulls and
/// non-finite values break a line. Several columns get a legend; one column names the y
/// axis. Long series are thinned to what the chart's width can show (the minimum and maximum
/// of every pixel column are kept), so SVGs stay small.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::InvalidParameter`] for an empty
/// `ys`, [`Error::NoData`] for a column with nothing to draw.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let chart = line(&df, "Date", &["AAPL", "MSFT", "JPM"])?.title("Prices, 1990–2022");
/// let svg = chart.svg()?;
/// assert!(svg.contains("MSFT") && svg.contains("2020"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn line(df: &DataFrame, x: &str, ys: &[&str]) -> Result<Chart> {
    const OP: &str = "line";
    if ys.is_empty() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "ys",
            value: "[]".into(),
            rule: "at least one column name",
        });
    }
    let (scale, xs) = columns::x_values(df, x, OP)?;
    let mut series = Vec::with_capacity(ys.len());
    for name in ys {
        let values = columns::numbers(df, name, OP)?;
        let segments = segments(&xs, &values);
        if segments.is_empty() {
            return Err(Error::NoData {
                operation: OP,
                column: name.to_string(),
            });
        }
        series.push(Line {
            name: name.to_string(),
            segments,
        });
    }
    let ylabel = (ys.len() == 1).then(|| ys[0].to_string());
    let summary = format!("line of {} by {x}", ys.join(", "));
    Ok(Chart::new(
        Kind::Line(LineData { scale, series }),
        summary,
        Some(x.to_string()),
        ylabel,
    ))
}

/// The actual values of column `actual` and `predicted` (one value per row of `df`, as
/// [`Ols::predict`](crate::model::Ols::predict) returns) as two lines over the date column
/// `date`: a [`line`] chart titled `actual: actual and predicted`, the y axis named after
/// `actual`, the legend after the column and the series (`predicted` if the series has no name
/// of its own).
///
/// A null prediction (a row with a missing regressor) breaks the predicted line there.
///
/// # Errors
///
/// Those of [`line`]; [`Error::InvalidDtype`] if `predicted` is not numeric;
/// [`Error::InvalidParameter`] if its length is not the number of rows of `df`.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let fit = ols(&df, "JPM", &["BAC", "WMT"])?;
/// let chart = predicted_vs_actual(&df, "Date", "JPM", &fit.predict(&df)?)?;
/// let svg = chart.svg()?;
/// assert!(svg.contains("JPM: actual and predicted") && svg.contains("predicted"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn predicted_vs_actual(
    df: &DataFrame,
    date: &str,
    actual: &str,
    predicted: &Series,
) -> Result<Chart> {
    const OP: &str = "predicted_vs_actual";
    if !predicted.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation: OP,
            column: predicted.name().to_string(),
            dtype: predicted.dtype().to_string(),
            expected: "numeric predictions",
        });
    }
    if predicted.len() != df.height() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "predicted",
            value: format!("{} values for {} rows", predicted.len(), df.height()),
            rule: "one value per row of df (as `fit.predict(&df)` returns)",
        });
    }
    let name = match predicted.name().as_str() {
        "" => "predicted",
        n if n == date || n == actual => "predicted",
        n => n,
    };
    let mut columns = Vec::with_capacity(3);
    for wanted in [date, actual] {
        let column = df
            .column(wanted)
            .map_err(|_| Error::column_not_found(OP, wanted, df))?;
        columns.push(column.clone());
    }
    columns.push(Column::from(predicted.clone().with_name(name.into())));
    let frame = DataFrame::new(df.height(), columns)?;
    Ok(line(&frame, date, &[actual, name])
        .map_err(|err| rename_operation(err, OP))?
        .title(&format!("{actual}: actual and predicted"))
        .ylabel(actual))
}

/// `err` as raised by `operation` instead of `line`.
fn rename_operation(err: Error, operation: &'static str) -> Error {
    match err {
        Error::InvalidDtype {
            column,
            dtype,
            expected,
            ..
        } => Error::InvalidDtype {
            operation,
            column,
            dtype,
            expected,
        },
        Error::NoData { column, .. } => Error::NoData { operation, column },
        other => other,
    }
}

/// The data of a line chart.
#[derive(Clone, Debug)]
pub(crate) struct LineData {
    scale: Scale,
    series: Vec<Line>,
}

/// One named line, split where values are missing.
#[derive(Clone, Debug)]
struct Line {
    name: String,
    segments: Vec<Vec<(f64, f64)>>,
}

impl LineData {
    /// x spans the data exactly; y gets 4% headroom on each side.
    pub(crate) fn axes(&self) -> (Axis, Axis) {
        let points = || self.series.iter().flat_map(|s| s.segments.iter().flatten());
        let (x_lo, x_hi) = min_max(points().map(|p| p.0));
        let (y_lo, y_hi) = min_max(points().map(|p| p.1));
        let pad = (y_hi - y_lo) * 0.04;
        (
            Axis::new(self.scale, x_lo, x_hi, 9),
            Axis::new(Scale::Number, y_lo - pad, y_hi + pad, 8),
        )
    }

    /// Draws the lines, and a legend when there are several.
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        cc: &mut Canvas<'a, DB>,
        width: u32,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let legend = self.series.len() > 1;
        for (i, line) in self.series.iter().enumerate() {
            let color = color(i);
            let points: usize = line.segments.iter().map(Vec::len).sum();
            // Dense lines read better thin.
            let stroke = if points > width as usize || self.series.len() > 3 {
                1
            } else {
                2
            };
            for (j, segment) in line.segments.iter().enumerate() {
                let thinned = thin(segment, width as usize);
                let drawn = cc.draw_series(LineSeries::new(thinned, color.stroke_width(stroke)))?;
                if legend && j == 0 {
                    drawn.label(line.name.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                    });
                }
            }
        }
        if legend {
            cc.configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
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

/// Runs of consecutive points where both x and y are present and finite.
fn segments(xs: &[Option<f64>], ys: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut segments = Vec::new();
    let mut current = Vec::new();
    for (x, y) in xs.iter().zip(ys) {
        match (x, y) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => current.push((*x, *y)),
            _ => {
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// Keeps the first, lowest, highest and last point of each of `buckets` equal x ranges, in
/// order (M4 decimation): the drawn line looks the same at that width. Unsorted x is kept.
fn thin(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let sorted = points.windows(2).all(|w| w[0].0 <= w[1].0);
    if points.len() <= 4 * buckets || buckets == 0 || !sorted {
        return points.to_vec();
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let width = (x1 - x0) / buckets as f64;
    if width <= 0.0 {
        return points.to_vec();
    }
    let bucket = |x: f64| (((x - x0) / width) as usize).min(buckets - 1);
    let mut out = Vec::with_capacity(4 * buckets);
    let mut start = 0;
    while start < points.len() {
        let b = bucket(points[start].0);
        let mut end = start + 1;
        while end < points.len() && bucket(points[end].0) == b {
            end += 1;
        }
        let chunk = &points[start..end];
        let by_y = |a: &(usize, &(f64, f64)), b: &(usize, &(f64, f64))| a.1.1.total_cmp(&b.1.1);
        let lowest = chunk.iter().enumerate().min_by(by_y).map_or(0, |(i, _)| i);
        let highest = chunk.iter().enumerate().max_by(by_y).map_or(0, |(i, _)| i);
        let mut keep = [0, lowest, highest, chunk.len() - 1];
        keep.sort_unstable();
        let mut previous = None;
        for i in keep {
            if previous != Some(i) {
                out.push(chunk[i]);
                previous = Some(i);
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::chart::svg_has_text;
    use polars::prelude::*;

    #[test]
    fn nulls_split_lines() {
        let xs = [Some(0.0), Some(1.0), Some(2.0), Some(3.0), Some(4.0)];
        let ys = [Some(1.0), None, Some(2.0), Some(f64::NAN), Some(3.0)];
        assert_eq!(
            segments(&xs, &ys),
            [vec![(0.0, 1.0)], vec![(2.0, 2.0)], vec![(4.0, 3.0)]]
        );
    }

    #[test]
    fn thinning_keeps_extremes_and_order() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64))
            .collect();
        let thinned = thin(&points, 100);
        assert!(
            thinned.len() <= 400 && thinned.len() > 100,
            "{}",
            thinned.len()
        );
        assert!(thinned.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(thinned[0], points[0]);
        assert_eq!(thinned.last(), points.last());
        let max = thinned.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert_eq!(max, 999.0);
    }

    #[test]
    fn sp500_line_svg_has_legend_dates_and_is_small() {
        let df = crate::data::sp500().unwrap();
        let svg = line(&df, "Date", &["AAPL", "MSFT"])
            .unwrap()
            .title("t")
            .svg()
            .unwrap();
        assert!(
            svg_has_text(&svg, "AAPL") && svg_has_text(&svg, "MSFT"),
            "legend"
        );
        assert!(
            svg_has_text(&svg, "2000") && svg_has_text(&svg, "2020"),
            "year ticks"
        );
        assert!(svg_has_text(&svg, "Date"), "x label");
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
    }

    #[test]
    fn line_draws_actual_and_predicted_over_dates() {
        // A frame with Date, actual and predicted, as a notebook builds it by hand.
        let df = crate::data::sp500().unwrap();
        let fit = crate::model::ols(&df, "JPM", &["BAC", "WMT"]).unwrap();
        let mut frame = df.select(["Date", "JPM"]).unwrap();
        frame.with_column(fit.predict(&df).unwrap().into()).unwrap();
        let svg = line(&frame, "Date", &["JPM", "predicted"])
            .unwrap()
            .svg()
            .unwrap();
        assert!(
            svg_has_text(&svg, "JPM") && svg_has_text(&svg, "predicted"),
            "legend"
        );
        assert!(svg_has_text(&svg, "2010"), "dates");

        let chart = predicted_vs_actual(&df, "Date", "JPM", &fit.predict(&df).unwrap()).unwrap();
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(&svg, "JPM: actual and predicted"), "title");
        assert!(svg_has_text(&svg, "predicted") && svg_has_text(&svg, "Date"));
    }

    #[test]
    fn predicted_vs_actual_checks_its_inputs() {
        let df =
            df!("d" => [1.0, 2.0, 3.0], "y" => [1.0, 2.0, 3.0], "s" => ["a", "b", "c"]).unwrap();
        let p = Series::new("y".into(), [1.5, 2.0, 2.5]);
        let chart = predicted_vs_actual(&df, "d", "y", &p).unwrap();
        let Kind::Line(data) = chart.kind() else {
            panic!()
        };
        let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["y", "predicted"],
            "a clashing name becomes `predicted`"
        );
        let err = predicted_vs_actual(&df, "d", "y", &p.head(Some(2))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "predicted_vs_actual: predicted should be one value per row of df (as `fit.predict(&df)` returns), but is 2 values for 3 rows"
        );
        let err = predicted_vs_actual(&df, "d", "nope", &p).unwrap_err();
        assert!(
            err.to_string().contains("available columns: d, y, s"),
            "{err}"
        );
        let err = predicted_vs_actual(&df, "d", "s", &p).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("predicted_vs_actual: column `s` has dtype str"),
            "{err}"
        );
        let text = Series::new("t".into(), ["a", "b", "c"]);
        assert!(matches!(
            predicted_vs_actual(&df, "d", "y", &text),
            Err(Error::InvalidDtype { .. })
        ));
        let empty = df.head(Some(0));
        let err = predicted_vs_actual(&empty, "d", "y", &p.head(Some(0))).unwrap_err();
        assert!(matches!(err, Error::NoData { .. }), "{err}");
    }

    #[test]
    fn one_series_names_the_y_axis_and_errors_name_the_problem() {
        let df = df!("x" => [1.0, 2.0, 3.0], "y" => [Some(1.0), None, Some(3.0)], "z" => [None::<f64>, None, None]).unwrap();
        let svg = line(&df, "x", &["y"]).unwrap().svg().unwrap();
        assert!(svg_has_text(&svg, "y"), "y label");
        let err = line(&df, "x", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line: ys should be at least one column name, but is []"
        );
        let err = line(&df, "x", &["z"]).unwrap_err();
        assert!(matches!(err, Error::NoData { .. }), "{err}");
    }
}

//! [`describe`]: pandas' summary table of the numeric columns, with skewness and kurtosis.

use polars::prelude::*;

use rayon::prelude::*;

use super::columns::{labelled_frame, numeric_columns};
use super::moments::Moments;
use crate::dataset::Dataset;
use crate::error::Result;

/// The statistics [`describe`] reports, in row order.
pub(crate) const ROWS: [&str; 10] = [
    "count", "mean", "std", "min", "25%", "50%", "75%", "max", "skew", "kurt",
];

/// Summary statistics of every numeric (float or integer) column of `df`, as pandas'
/// `df.describe()` plus `df.skew()` and `df.kurt()`.
///
/// The result has a first column `statistic` with the rows `count, mean, std, min, 25%, 50%,
/// 75%, max, skew, kurt`, then one `f64` column per numeric column of `df`, in order; other
/// columns are left out. Nulls and NaNs are skipped (`count` is the number of other values).
/// `std` divides by n − 1; quantiles interpolate linearly between order statistics, as numpy
/// and pandas do; `skew` and `kurt` are the bias-corrected sample skewness and excess
/// kurtosis (see [`Moments`]). A statistic without enough values is NaN.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `df` has no numeric column
/// ([`Error::InvalidParameter`](crate::Error::InvalidParameter) if it has no column at all);
/// [`Error::Polars`](crate::Error::Polars) if a numeric column is named `statistic`.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let stats = describe(&sp500()?)?;                 // `Date` is left out
/// assert_eq!(stats.shape(), (10, 21));
/// assert_eq!(stats.column("statistic")?.str()?.get(8), Some("skew"));
/// assert_eq!(stats.column("KO")?.f64()?.get(0), Some(8313.0));
/// # Ok::<(), eddy::Error>(())
/// ```
///
/// A [`SparkFrame`](crate::spark::SparkFrame) is described by one aggregation on the
/// cluster: the same rows, exact but for the quartiles, which are Spark's
/// `percentile_approx` (see [`crate::spark`]).
pub fn describe<D: Dataset + ?Sized>(data: &D) -> Result<DataFrame> {
    data.describe()
}

/// [`describe`] of a polars frame, computed here.
pub(crate) fn describe_frame(df: &DataFrame) -> Result<DataFrame> {
    let numeric: Vec<&Column> = df
        .columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .collect();
    if numeric.is_empty() {
        // The errors every statistic gives for a frame without numbers.
        numeric_columns(df, "describe")?;
    }
    // One copy per column, straight from polars' chunks and in parallel: the quartile
    // selections reorder it, so it is needed anyway, and a rechunk first would be a second.
    let columns = numeric
        .par_iter()
        .map(|c| Ok((c.name().to_string(), column_stats(present_values(c)?))))
        .collect::<Result<Vec<_>>>()?;
    let labels = ROWS.iter().map(|row| row.to_string()).collect();
    labelled_frame("statistic", labels, columns)
}

/// The column's non-missing values (not null, not NaN) as f64, in order, in one pass over its
/// chunks.
fn present_values(column: &Column) -> Result<Vec<f64>> {
    let cast = column.cast(&DataType::Float64)?;
    let ca = cast.f64()?;
    let mut out = Vec::with_capacity(ca.len() - ca.null_count());
    for chunk in ca.downcast_iter() {
        if polars_arrow::array::Array::null_count(chunk) == 0 {
            out.extend(chunk.values().iter().copied().filter(|v| !v.is_nan()));
        } else {
            out.extend(chunk.iter().flatten().copied().filter(|v| !v.is_nan()));
        }
    }
    Ok(out)
}

/// count, mean, std, min, 25 %, 50 %, 75 %, max, skew, kurt of a column's present values.
fn column_stats(mut present: Vec<f64>) -> Vec<f64> {
    let m = Moments::from_slice(&present);
    let quartiles = quantiles(&mut present, &[0.25, 0.5, 0.75]);
    vec![
        m.count() as f64,
        m.mean(),
        m.std(),
        m.min(),
        quartiles[0],
        quartiles[1],
        quartiles[2],
        m.max(),
        m.skew(),
        m.kurt(),
    ]
}

/// The `ps` quantiles (ascending) of NaN-free `values`, interpolated as numpy, by selection
/// (`select_nth_unstable`, O(n) per order statistic) instead of a full sort: the order
/// statistics each quantile needs are selected in ascending order, each in what is left to the
/// right of the previous one. `values` is reordered.
fn quantiles(values: &mut [f64], ps: &[f64]) -> Vec<f64> {
    let Some(last) = values.len().checked_sub(1) else {
        return vec![f64::NAN; ps.len()];
    };
    // Each quantile needs order statistics `below` and `below + 1`: select `below`s in
    // ascending order, each in what is right of the previous; `below + 1` is then the
    // smallest value to its right.
    let mut belows: Vec<usize> = ps
        .iter()
        .map(|p| ((p * last as f64).floor() as usize).min(last))
        .collect();
    belows.sort_unstable();
    belows.dedup();
    let mut order_stats = std::collections::HashMap::new();
    let mut from = 0;
    for &i in &belows {
        if i < from {
            continue;
        }
        let (_, v, right) = values[from..].select_nth_unstable_by(i - from, f64::total_cmp);
        order_stats.insert(i, *v);
        if let Some(next) = right.iter().copied().min_by(f64::total_cmp) {
            order_stats.insert(i + 1, next);
        }
        from = i + 1;
    }
    ps.iter()
        .map(|p| {
            let position = p * last as f64;
            let below = (position.floor() as usize).min(last);
            let above = (below + 1).min(last);
            let (a, b) = (order_stats[&below], order_stats[&above]);
            lerp(a, b, position - below as f64)
        })
        .collect()
}

/// numpy's `_lerp`: exact at both ends.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
/// The `p` quantile of sorted, NaN-free `values` by linear interpolation (numpy's default
/// `linear` method, with its `lerp`); NaN if `values` is empty.
fn quantile_sorted(values: &[f64], p: f64) -> f64 {
    let Some(last) = values.len().checked_sub(1) else {
        return f64::NAN;
    };
    let position = p * last as f64;
    let below = (position.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let t = position - below as f64;
    let (a, b) = (values[below], values[above]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn quantiles_interpolate_as_numpy() {
        let values = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) == [1.75, 2.5, 3.25]
        assert_eq!(quantile_sorted(&values, 0.25), 1.75);
        assert_eq!(quantile_sorted(&values, 0.5), 2.5);
        assert_eq!(quantile_sorted(&values, 0.75), 3.25);
        assert_eq!(quantile_sorted(&[7.0], 0.25), 7.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        // selection gives the same numbers as the sorted path
        let mut shuffled = [9.0, 1.0, 4.0, 7.0, 2.0, 8.0, 3.0, 6.0, 5.0, 10.0, 0.5];
        let mut sorted = shuffled;
        sorted.sort_by(f64::total_cmp);
        let ps = [0.1, 0.25, 0.5, 0.75, 0.99];
        let got = quantiles(&mut shuffled, &ps);
        for (p, g) in ps.iter().zip(got) {
            assert_eq!(g, quantile_sorted(&sorted, *p), "{p}");
        }
        assert!(quantiles(&mut [], &[0.5])[0].is_nan());
    }

    #[test]
    fn nulls_are_skipped_and_text_left_out() {
        let df = df!(
            "s" => ["a", "b", "c", "d"],
            "x" => [Some(1.0), None, Some(3.0), Some(f64::NAN)],
            "n" => [1i32, 2, 3, 4],
        )
        .unwrap();
        let stats = describe(&df).unwrap();
        assert_eq!(stats.get_column_names(), ["statistic", "x", "n"]);
        let x = stats.column("x").unwrap().f64().unwrap();
        assert_eq!(
            (x.get(0), x.get(1), x.get(5)),
            (Some(2.0), Some(2.0), Some(2.0))
        );
        let n = stats.column("n").unwrap().f64().unwrap();
        assert_eq!(
            (n.get(0), n.get(3), n.get(7)),
            (Some(4.0), Some(1.0), Some(4.0))
        );
    }

    #[test]
    fn a_frame_without_numbers_is_an_error() {
        let df = df!("s" => ["a"]).unwrap();
        let err = describe(&df).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("describe: column `s` has dtype str"),
            "{err}"
        );
        let err = describe(&DataFrame::empty()).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    }
}

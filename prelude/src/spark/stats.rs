//! `describe`, `corr` and `ols` of a [`SparkFrame`]: `describe` one aggregation on the
//! cluster, `corr` and `ols` two (the means, then the centred cross-products; Spearman ranks
//! with windows first), finished here with the prelude's code.
//!
//! Missing values are handled as the local functions do: NaN counts as missing
//! (`nanvl(v, NULL)`), `describe` skips missing values per column, `corr` and `ols` use the
//! rows complete in every column they read.

use polars::prelude::*;

use super::frame::SparkFrame;
use crate::error::{Error, Result};
use crate::model::scale::sum as compensated_sum;
use crate::model::{Ols, OlsAccumulator};
use crate::stats::DESCRIBE_ROWS;
use crate::stats::columns::labelled_frame;
use crate::stats::corr::matrix_frame;
use crate::stats::{CorrMethod, Moments};

/// `percentile_approx`'s accuracy for `describe`'s quartiles: the rank of the value returned
/// is within n / ACCURACY of the exact rank (Spark's Greenwald–Khanna bound).
pub const QUANTILE_ACCURACY: u32 = 10_000;

/// A column name as a Spark SQL identifier.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The column as a double, NaN turned into NULL (missing, as the local functions see it).
fn value(name: &str) -> String {
    format!(
        "nanvl(CAST({} AS DOUBLE), CAST(NULL AS DOUBLE))",
        ident(name)
    )
}

/// The column as a double, for rows already known complete (see [`complete_rows`]): without
/// `value`'s NaN test, which would run once per use, (k+1)(k+2)/2 times a row in [`moments`].
fn plain(name: &str) -> String {
    format!("CAST({} AS DOUBLE)", ident(name))
}

fn is_numeric(spark_type: &str) -> bool {
    matches!(
        spark_type,
        "double" | "float" | "int" | "bigint" | "smallint" | "tinyint"
    ) || spark_type.starts_with("decimal")
}

/// The numeric columns of `frame`, in order; the errors `describe(&DataFrame)` gives.
fn numeric_columns(frame: &SparkFrame, operation: &'static str) -> Result<Vec<String>> {
    let dtypes = frame.dtypes()?;
    let numeric: Vec<String> = dtypes
        .iter()
        .filter(|(_, t)| is_numeric(t))
        .map(|(n, _)| n.clone())
        .collect();
    if numeric.is_empty() {
        return Err(match dtypes.first() {
            Some((name, dtype)) => Error::InvalidDtype {
                operation,
                column: name.clone(),
                dtype: dtype.clone(),
                expected: "a frame with at least one numeric (float or integer) column",
            },
            None => Error::InvalidParameter {
                operation,
                name: "frame",
                value: "a frame with no columns".into(),
                rule: "a frame with at least one numeric (float or integer) column",
            },
        });
    }
    Ok(numeric)
}

/// Checks that `wanted` are numeric columns of `frame`.
fn check_columns(frame: &SparkFrame, operation: &'static str, wanted: &[&str]) -> Result<()> {
    let dtypes = frame.dtypes()?;
    for name in wanted {
        match dtypes.iter().find(|(n, _)| n == name) {
            None => {
                return Err(Error::ColumnNotFound {
                    operation,
                    column: name.to_string(),
                    available: dtypes.iter().map(|(n, _)| n.clone()).collect(),
                });
            }
            Some((_, t)) if !is_numeric(t) => {
                return Err(Error::InvalidDtype {
                    operation,
                    column: name.to_string(),
                    dtype: t.clone(),
                    expected: "a numeric (float or integer) column",
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Runs one global aggregation (`select` of aggregate expressions) and returns its one row.
fn aggregate(frame: &SparkFrame, operation: &'static str, exprs: Vec<String>) -> Result<DataFrame> {
    let remote = frame
        .remote()
        .select_expr(exprs.iter().map(String::as_str).collect());
    let row = frame.fetch(operation, remote)?;
    if row.height() != 1 {
        return Err(Error::Spark {
            operation,
            class: None,
            message: format!("the aggregation returned {} rows, not 1", row.height()),
            hint: "this is a bug in eddy's Spark statistics".into(),
        });
    }
    Ok(row)
}

/// The f64 in column `name` of a one-row frame (NaN for null).
fn scalar(row: &DataFrame, name: &str) -> Result<f64> {
    let column = row.column(name)?.cast(&DataType::Float64)?;
    Ok(column.f64()?.get(0).unwrap_or(f64::NAN))
}

/// [`crate::stats::describe`] on the cluster.
pub(crate) fn describe(frame: &SparkFrame) -> Result<DataFrame> {
    const OP: &str = "describe";
    let names = numeric_columns(frame, OP)?;
    // Two aggregations, as for `corr` and `ols` (see `moments`): count, mean, min, max and
    // the quartiles, then the sums of the powers of the deviations from the means, from
    // which the local `Moments` derive std, skew and kurt with the local formulas. Spark's
    // `stddev_samp`, `skewness` and `kurtosis` (three to five buffer fields each, updated with
    // divisions) made the aggregation several times slower.
    let mut exprs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let v = value(name);
        exprs.extend([
            format!("count({v}) AS n{i}"),
            format!("avg({v}) AS mean{i}"),
            format!("min({v}) AS min{i}"),
            format!("percentile_approx({v}, array(0.25, 0.5, 0.75), {QUANTILE_ACCURACY}) AS q{i}"),
            format!("max({v}) AS max{i}"),
        ]);
    }
    let first = aggregate(frame, OP, exprs)?;
    let means = (0..names.len())
        .map(|i| scalar(&first, &format!("mean{i}")))
        .collect::<Result<Vec<_>>>()?;
    // A column without values has a NaN mean: shift by 0 (its sums are null anyway).
    let shifts: Vec<f64> = means
        .iter()
        .map(|m| if m.is_finite() { *m } else { 0.0 })
        .collect();
    let mut exprs = Vec::new();
    for (i, (name, shift)) in names.iter().zip(&shifts).enumerate() {
        let d = less(&value(name), *shift);
        exprs.extend([
            format!("sum({d}) AS s1_{i}"),
            format!("sum({d} * {d}) AS s2_{i}"),
            format!("sum({d} * {d} * {d}) AS s3_{i}"),
            format!("sum({d} * {d} * {d} * {d}) AS s4_{i}"),
        ]);
    }
    let second = bucketed_sums(frame, &exprs)?;
    let mut columns = Vec::with_capacity(names.len());
    for (i, (name, shift)) in names.iter().zip(&shifts).enumerate() {
        let n = scalar(&first, &format!("n{i}"))?;
        let quartiles: Vec<f64> = match first.column(&format!("q{i}"))?.list()?.get_as_series(0) {
            Some(s) => s
                .cast(&DataType::Float64)?
                .f64()?
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect(),
            None => vec![f64::NAN; 3],
        };
        let quartile = |k: usize| quartiles.get(k).copied().unwrap_or(f64::NAN);
        let sum = |p: u32| total(&second, &format!("s{p}_{i}"));
        let moments = Moments::from_shifted_sums(
            n as u64,
            *shift,
            [sum(1)?, sum(2)?, sum(3)?, sum(4)?],
            scalar(&first, &format!("min{i}"))?,
            scalar(&first, &format!("max{i}"))?,
        );
        columns.push((
            name.clone(),
            vec![
                n,
                moments.mean(),
                moments.std(),
                moments.min(),
                quartile(0),
                quartile(1),
                quartile(2),
                moments.max(),
                moments.skew(),
                moments.kurt(),
            ],
        ));
    }
    let labels = DESCRIBE_ROWS.iter().map(|r| r.to_string()).collect();
    labelled_frame("statistic", labels, columns)
}

/// The condition that a row has a value in every one of `names`.
fn complete(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{} IS NOT NULL", value(n)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `frame` restricted to the rows with a value in every one of `names`.
fn complete_rows(frame: &SparkFrame, names: &[String]) -> SparkFrame {
    frame.derived(
        frame
            .remote()
            .filter(spark_connect::functions::expr(&complete(names))),
        "filter complete rows".into(),
    )
}

/// n, the means and the centred cross-products Σ(vᵢ − v̄ᵢ)(vⱼ − v̄ⱼ) (row-major m × m) of the
/// SQL expressions `columns` over all rows of `frame`: the sufficient statistics of
/// [`corr`] and [`ols`], in two aggregations.
///
/// First n and the means, then sums of products of the values less those means, corrected
/// by the sums of the deviations themselves (Σ(a − m̂)(b − m̂) − Σ(a − m̂)Σ(b − m̂)/n is exact
/// for means m̂ off by their rounding), per bucket of rows, the buckets added here. Plain
/// `sum`s are what Spark aggregates fastest: its `covar_pop` and `corr`, one per pair, keep
/// a buffer of four to six fields each, updated with divisions, and were 4–5× slower for
/// 20 columns (210 pairs; docs/spark.md).
fn moments(
    frame: &SparkFrame,
    operation: &'static str,
    columns: &[String],
) -> Result<(f64, Vec<f64>, Vec<f64>)> {
    let m = columns.len();
    let mut exprs = vec!["count(*) AS n".to_string()];
    exprs.extend(
        columns
            .iter()
            .enumerate()
            .map(|(a, c)| format!("avg({c}) AS m{a}")),
    );
    let row = aggregate(frame, operation, exprs)?;
    let n = scalar(&row, "n")?;
    let mean = (0..m)
        .map(|a| scalar(&row, &format!("m{a}")))
        .collect::<Result<Vec<_>>>()?;
    let centred: Vec<String> = columns
        .iter()
        .zip(&mean)
        .map(|(c, m)| less(c, *m))
        .collect();
    let mut exprs = Vec::with_capacity(m * (m + 3) / 2);
    for (a, ca) in centred.iter().enumerate() {
        exprs.push(format!("sum({ca}) AS s{a}"));
        for (b, cb) in centred.iter().enumerate().take(a + 1) {
            exprs.push(format!("sum({ca} * {cb}) AS c{a}_{b}"));
        }
    }
    let parts = bucketed_sums(frame, &exprs)?;
    let deviation = (0..m)
        .map(|a| total(&parts, &format!("s{a}")))
        .collect::<Result<Vec<_>>>()?;
    let mut comoment = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..=a {
            let c = total(&parts, &format!("c{a}_{b}"))? - deviation[a] * deviation[b] / n;
            comoment[a * m + b] = c;
            comoment[b * m + a] = c;
        }
    }
    Ok((n, mean, comoment))
}

/// `expr` less `shift`, the shift as a double literal: Rust's shortest representation that
/// round-trips, which Spark's string-to-double cast reads exactly (NaN and inf included).
fn less(expr: &str, shift: f64) -> String {
    format!("({expr} - CAST('{shift:?}' AS DOUBLE))")
}

/// The buckets of [`bucketed_sums`], and the column that holds a row's bucket.
const BUCKETS: u32 = 256;
const BUCKET: &str = "__eddy_bucket";

/// The sums `exprs` (`"sum(..) AS name"`) of `frame`, one row per bucket of rows; [`total`]
/// adds a sum's buckets.
///
/// Spark adds a partition's doubles one by one: over millions of rows the sums lose digits
/// (OLS coefficients off by 1e-9 at 8M rows). Summed in buckets on the cluster and the
/// buckets added here with compensation, the error is that of n / BUCKETS rows.
fn bucketed_sums(frame: &SparkFrame, exprs: &[String]) -> Result<DataFrame> {
    frame
        .with_column(
            BUCKET,
            &format!("pmod(monotonically_increasing_id(), {BUCKETS})"),
        )
        .group_by(&[BUCKET])
        .agg(&exprs.iter().map(String::as_str).collect::<Vec<_>>())
        .collect()
}

/// The sum `name` of [`bucketed_sums`]' result, its buckets added with compensation.
fn total(parts: &DataFrame, name: &str) -> Result<f64> {
    let column = parts.column(name)?.cast(&DataType::Float64)?;
    Ok(compensated_sum(column.f64()?.iter().flatten()))
}

/// [`crate::stats::corr`] on the cluster.
pub(crate) fn corr(frame: &SparkFrame, method: CorrMethod) -> Result<DataFrame> {
    const OP: &str = "corr";
    let names = numeric_columns(frame, OP)?;
    let complete_rows = complete_rows(frame, &names);
    // The columns the Pearson aggregation reads: the values, or their average ranks.
    let (input, columns): (SparkFrame, Vec<String>) = match method {
        CorrMethod::Pearson => (complete_rows, names.iter().map(|n| plain(n)).collect()),
        CorrMethod::Spearman => {
            // Average ranks (ties share the mean of their ranks), as scipy's rankdata: a
            // window over the whole frame per column, so each is a global sort.
            let ranks: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let v = value(n);
                    format!(
                        "rank() OVER (ORDER BY {v}) + (count(*) OVER (PARTITION BY {v}) - 1) / 2.0 AS r{i}"
                    )
                })
                .collect();
            let ranked = complete_rows.derived(
                complete_rows
                    .remote()
                    .select_expr(ranks.iter().map(String::as_str).collect()),
                "average ranks".into(),
            );
            let columns = (0..names.len())
                .map(|i| format!("CAST(r{i} AS DOUBLE)"))
                .collect();
            (ranked, columns)
        }
        CorrMethod::Kendall => {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "method",
                value: "CorrMethod::Kendall on a SparkFrame".into(),
                rule: "Pearson or Spearman on Spark (Kendall compares all pairs of rows: \
                       collect a sample with `.limit(n).collect()?` and use it locally)",
            });
        }
    };
    let k = names.len();
    let (n, mean, comoment) = moments(&input, OP, &columns)?;
    // A column's variance counts as zero within the rounding of values of its size (a
    // constant column's shifted sums are a few ulps, not exactly 0).
    let spread = |i: usize| comoment[i * k + i] > n * (8.0 * f64::EPSILON * mean[i]).powi(2);
    let mut matrix = vec![vec![f64::NAN; k]; k];
    if n >= 2.0 {
        for i in 0..k {
            matrix[i][i] = if spread(i) { 1.0 } else { f64::NAN };
            for j in 0..i {
                let r = if spread(i) && spread(j) {
                    (comoment[i * k + j] / (comoment[i * k + i] * comoment[j * k + j]).sqrt())
                        .clamp(-1.0, 1.0)
                } else {
                    f64::NAN
                };
                matrix[i][j] = r;
                matrix[j][i] = r;
            }
        }
    }
    matrix_frame(names, matrix)
}

/// [`crate::model::ols`] on the cluster: n, the means and the centred cross-products of the
/// complete rows ([`moments`], plus a count of all rows for the dropped ones), then the fit
/// and its inference here, by [`OlsAccumulator`].
pub(crate) fn ols(frame: &SparkFrame, y: &str, x: &[&str]) -> Result<Ols> {
    const OP: &str = "ols";
    if x.is_empty() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "x",
            value: "an empty list".into(),
            rule: "at least one regressor column (the intercept `const` is added)",
        });
    }
    let mut wanted: Vec<&str> = x.to_vec();
    wanted.push(y);
    check_columns(frame, OP, &wanted)?;
    let names: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
    let columns: Vec<String> = names.iter().map(|n| plain(n)).collect();
    let total = frame.count()? as f64;
    let (n, mean, comoment) = moments(&complete_rows(frame, &names), OP, &columns)?;
    let dropped = (total - n).max(0.0) as usize;
    OlsAccumulator::from_moments(y, x, n, mean, comoment, dropped).fit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sums_keep_what_plain_ones_drop() {
        let values = [1e16, 1.0, -1e16, 0.5];
        assert_eq!(values.iter().sum::<f64>(), 0.5);
        assert_eq!(compensated_sum(values.into_iter()), 1.5);
        assert_eq!(compensated_sum(std::iter::empty()), 0.0);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(
            value("JPM"),
            "nanvl(CAST(`JPM` AS DOUBLE), CAST(NULL AS DOUBLE))"
        );
    }
}

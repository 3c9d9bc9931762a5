//! Feature scaling fitted on one frame and applied to others: [`StandardScaler`] and
//! [`MinMaxScaler`], with scikit-learn's names, formulas and handling of missing values.
//!
//! Fitting ignores nulls and NaNs (counted per column) and transforming keeps them where they
//! were, as scikit-learn's scalers do with NaN; infinities are an error. `transform` returns
//! the whole frame with the fitted columns replaced by their scaled `f64` values and every
//! other column (a date, a label) untouched. The arithmetic is polars' (one expression per
//! column), so no matrix is built.

use polars::prelude::*;

use super::matrix::{check_names, numeric, owned};
use super::report;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// Standardisation, z = (x − mean) / std, as scikit-learn's `StandardScaler`: population
/// standard deviation (divisor n), and a constant column divided by 1.
///
/// ```
/// use eddy::prelude::*;
///
/// let train = df!("Date" => [1, 2, 3, 4], "x" => [1.0, 2.0, 3.0, 4.0])?;
/// let scaler = StandardScaler::fit(&train, &["x"])?;
/// let z = scaler.transform(&train)?;
/// assert_eq!(z.get_column_names(), ["Date", "x"]);                  // Date untouched
/// let z: Vec<f64> = z.column("x")?.f64()?.into_no_null_iter().collect();
/// assert!((z[0] + 1.3416407864998738).abs() < 1e-15);
/// assert_eq!(scaler.mean(), [2.5]);
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StandardScaler {
    columns: Vec<String>,
    mean: Vec<f64>,
    var: Vec<f64>,
    scale: Vec<f64>,
    n_samples_seen: Vec<usize>,
    ignored: Vec<usize>,
}

/// Rescaling to a range, x' = (x − min) / (max − min) · (b − a) + a, as scikit-learn's
/// `MinMaxScaler(feature_range=(a, b))`; a constant column is mapped to `a`.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [2.0, 4.0, 6.0], "y" => [0.0, 5.0, 10.0])?;
/// let scaler = MinMaxScaler::fit(&df, &["x", "y"])?;
/// let out = scaler.transform(&df)?;
/// assert_eq!(out.column("x")?.f64()?.to_vec(), [Some(0.0), Some(0.5), Some(1.0)]);
/// let back = scaler.inverse_transform(&out)?;
/// assert_eq!(back.column("y")?.f64()?.to_vec(), [Some(0.0), Some(5.0), Some(10.0)]);
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MinMaxScaler {
    columns: Vec<String>,
    feature_range: (f64, f64),
    data_min: Vec<f64>,
    data_max: Vec<f64>,
    scale: Vec<f64>,
    min: Vec<f64>,
    ignored: Vec<usize>,
}

/// The non-missing values of each column, and how many were missing.
fn present_values(
    df: &DataFrame,
    columns: &[&str],
    op: &'static str,
) -> Result<Vec<(Vec<f64>, usize)>> {
    check_names(columns, "columns", op)?;
    columns
        .iter()
        .map(|name| {
            let column = numeric(df, name, op)?.cast(&DataType::Float64)?;
            let mut values = Vec::with_capacity(column.len());
            let mut missing = 0;
            for (row, v) in column.f64()?.iter().enumerate() {
                match v {
                    Some(v) if v.is_finite() => values.push(v),
                    Some(v) if v.is_infinite() => {
                        return Err(Error::InvalidParameter {
                            operation: op,
                            name: "df",
                            value: format!("column `{name}` with {v} at row {row}"),
                            rule: "finite values (nulls and NaN are ignored)",
                        });
                    }
                    _ => missing += 1,
                }
            }
            if values.is_empty() {
                return Err(Error::NoData {
                    operation: op,
                    column: name.to_string(),
                });
            }
            Ok((values, missing))
        })
        .collect()
}

/// Neumaier's compensated sum: within a few ulps of the exact sum, as numpy's pairwise sum.
pub(crate) fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0_f64, 0.0_f64);
    for v in values {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

/// `df` with each of `columns` replaced by `f(col, i)`, an `f64` expression.
fn apply(
    df: &DataFrame,
    columns: &[String],
    op: &'static str,
    f: impl Fn(Expr, usize) -> Expr,
) -> Result<DataFrame> {
    for name in columns {
        numeric(df, name, op)?;
    }
    let exprs: Vec<Expr> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| f(col(name.as_str()).cast(DataType::Float64), i).alias(name.as_str()))
        .collect();
    Ok(df.clone().lazy().with_columns(exprs).collect()?)
}

impl StandardScaler {
    /// Learns the mean and standard deviation of each of `columns` of `df`
    /// (`StandardScaler().fit(df[columns])`).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`], [`Error::InvalidDtype`]; [`Error::NoData`] for a column
    /// without values; [`Error::InvalidParameter`] for an empty list or an infinite value.
    pub fn fit(df: &DataFrame, columns: &[&str]) -> Result<StandardScaler> {
        let data = present_values(df, columns, "StandardScaler::fit")?;
        let (mut mean, mut var, mut scale, mut seen, mut ignored) =
            (vec![], vec![], vec![], vec![], vec![]);
        for (values, missing) in data {
            let n = values.len() as f64;
            let m = sum(values.iter().copied()) / n;
            // scikit-learn's two-pass variance with its correction term.
            let correction = sum(values.iter().map(|v| v - m));
            let v =
                (sum(values.iter().map(|v| (v - m) * (v - m))) - correction * correction / n) / n;
            // scikit-learn's _is_constant_feature: a variance within rounding of 0.
            let eps = f64::EPSILON;
            let constant = v <= n * eps * v + (n * m * eps).powi(2);
            mean.push(m);
            var.push(v);
            scale.push(if constant { 1.0 } else { v.sqrt() });
            seen.push(values.len());
            ignored.push(missing);
        }
        Ok(StandardScaler {
            columns: owned(columns),
            mean,
            var,
            scale,
            n_samples_seen: seen,
            ignored,
        })
    }

    /// `df` with the fitted columns standardised, (x − mean) / scale; nulls and NaNs stay.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] or [`Error::InvalidDtype`] for a fitted column of `df`.
    pub fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        apply(df, &self.columns, "StandardScaler::transform", |x, i| {
            (x - lit(self.mean[i])) / lit(self.scale[i])
        })
    }

    /// `df` with the fitted columns mapped back, x · scale + mean.
    ///
    /// # Errors
    ///
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, df: &DataFrame) -> Result<DataFrame> {
        apply(
            df,
            &self.columns,
            "StandardScaler::inverse_transform",
            |x, i| x * lit(self.scale[i]) + lit(self.mean[i]),
        )
    }

    /// The fitted columns' names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The mean of each column (`mean_`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The population variance of each column (`var_`).
    pub fn var(&self) -> &[f64] {
        &self.var
    }

    /// The divisor of each column: its standard deviation, 1 for a constant column (`scale_`).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The number of values fitted on per column, nulls and NaNs left out (`n_samples_seen_`).
    pub fn n_samples_seen(&self) -> &[usize] {
        &self.n_samples_seen
    }
}

impl MinMaxScaler {
    /// Learns the minimum and maximum of each of `columns` of `df`, to map them to [0, 1].
    ///
    /// # Errors
    ///
    /// As [`StandardScaler::fit`].
    pub fn fit(df: &DataFrame, columns: &[&str]) -> Result<MinMaxScaler> {
        Self::fit_range(df, columns, (0.0, 1.0))
    }

    /// As [`fit`](Self::fit), to map the columns to `feature_range` = (a, b).
    ///
    /// # Errors
    ///
    /// As [`StandardScaler::fit`]; [`Error::InvalidParameter`] unless a < b, both finite.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [2.0, 4.0, 6.0])?;
    /// let out = MinMaxScaler::fit_range(&df, &["x"], (-1.0, 1.0))?.transform(&df)?;
    /// assert_eq!(out.column("x")?.f64()?.to_vec(), [Some(-1.0), Some(0.0), Some(1.0)]);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn fit_range(
        df: &DataFrame,
        columns: &[&str],
        feature_range: (f64, f64),
    ) -> Result<MinMaxScaler> {
        const OP: &str = "MinMaxScaler::fit";
        let (a, b) = feature_range;
        if !(a < b && a.is_finite() && b.is_finite()) {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "feature_range",
                value: format!("({a}, {b})"),
                rule: "(a, b) with a < b, both finite",
            });
        }
        let data = present_values(df, columns, OP)?;
        let mut out = MinMaxScaler {
            columns: owned(columns),
            feature_range,
            data_min: vec![],
            data_max: vec![],
            scale: vec![],
            min: vec![],
            ignored: vec![],
        };
        for (values, missing) in data {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = hi - lo;
            // scikit-learn's _handle_zeros_in_scale: a range within rounding of 0 counts as 1.
            let range = if range < 10.0 * f64::EPSILON {
                1.0
            } else {
                range
            };
            let scale = (b - a) / range;
            out.data_min.push(lo);
            out.data_max.push(hi);
            out.scale.push(scale);
            out.min.push(a - lo * scale);
            out.ignored.push(missing);
        }
        Ok(out)
    }

    /// `df` with the fitted columns rescaled, x · scale + min; nulls and NaNs stay.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] or [`Error::InvalidDtype`] for a fitted column of `df`.
    pub fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        apply(df, &self.columns, "MinMaxScaler::transform", |x, i| {
            x * lit(self.scale[i]) + lit(self.min[i])
        })
    }

    /// `df` with the fitted columns mapped back, (x − min) / scale.
    ///
    /// # Errors
    ///
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, df: &DataFrame) -> Result<DataFrame> {
        apply(
            df,
            &self.columns,
            "MinMaxScaler::inverse_transform",
            |x, i| (x - lit(self.min[i])) / lit(self.scale[i]),
        )
    }

    /// The fitted columns' names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The range the columns are mapped to.
    pub fn feature_range(&self) -> (f64, f64) {
        self.feature_range
    }

    /// The minimum of each column (`data_min_`).
    pub fn data_min(&self) -> &[f64] {
        &self.data_min
    }

    /// The maximum of each column (`data_max_`).
    pub fn data_max(&self) -> &[f64] {
        &self.data_max
    }

    /// The factor of each column (`scale_`).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The offset of each column after scaling (`min_`).
    pub fn min(&self) -> &[f64] {
        &self.min
    }
}

fn table(columns: &[String], stats: Vec<(&str, Vec<f64>)>, ignored: &[usize]) -> Result<DataFrame> {
    let mut all = vec![Column::new("column".into(), columns.to_vec())];
    for (name, values) in stats {
        all.push(Column::new(name.into(), values));
    }
    all.push(Column::new(
        "ignored".into(),
        ignored.iter().map(|&v| v as u64).collect::<Vec<_>>(),
    ));
    Ok(DataFrame::new(columns.len(), all)?)
}

fn ignored_note(ignored: &[usize]) -> String {
    let total: usize = ignored.iter().sum();
    if total == 0 {
        "no missing values".into()
    } else {
        format!("{total} nulls/NaNs ignored in fitting (kept as they are by transform)")
    }
}

impl std::fmt::Display for StandardScaler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a table of each column's mean, variance and scale.
impl Render for StandardScaler {
    fn mime_bundle(&self) -> MimeBundle {
        let head = vec![format!(
            "StandardScaler on {} columns: {}",
            self.columns.len(),
            ignored_note(&self.ignored)
        )];
        let stats = vec![
            ("mean", self.mean.clone()),
            ("var", self.var.clone()),
            ("scale", self.scale.clone()),
        ];
        report::bundle(&head, table(&self.columns, stats, &self.ignored))
    }
}

impl std::fmt::Display for MinMaxScaler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a table of each column's minimum, maximum, scale and offset.
impl Render for MinMaxScaler {
    fn mime_bundle(&self) -> MimeBundle {
        let head = vec![format!(
            "MinMaxScaler on {} columns to [{}, {}]: {}",
            self.columns.len(),
            self.feature_range.0,
            self.feature_range.1,
            ignored_note(&self.ignored)
        )];
        let stats = vec![
            ("data_min", self.data_min.clone()),
            ("data_max", self.data_max.clone()),
            ("scale", self.scale.clone()),
            ("min", self.min.clone()),
        ];
        report::bundle(&head, table(&self.columns, stats, &self.ignored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_ignored_in_fit_and_kept_in_transform() {
        let df = df!(
            "x" => [Some(1.0), None, Some(3.0), Some(f64::NAN), Some(5.0)],
            "k" => [7i32, 7, 7, 7, 7],
            "s" => ["a", "b", "c", "d", "e"]
        )
        .unwrap();
        let s = StandardScaler::fit(&df, &["x", "k"]).unwrap();
        assert_eq!(s.n_samples_seen(), [3, 5]);
        assert_eq!(s.mean(), [3.0, 7.0]);
        assert_eq!(s.scale()[1], 1.0, "a constant column is divided by 1");
        let out = s.transform(&df).unwrap();
        let x = out.column("x").unwrap().f64().unwrap();
        assert_eq!(x.get(1), None);
        assert!(x.get(3).unwrap().is_nan());
        assert!((x.get(4).unwrap() - 2.0 / (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(out.column("k").unwrap().f64().unwrap().get(0), Some(0.0));
        assert_eq!(out.column("s").unwrap().dtype(), &DataType::String);
        let back = s.inverse_transform(&out).unwrap();
        assert!((back.column("x").unwrap().f64().unwrap().get(4).unwrap() - 5.0).abs() < 1e-15);
        assert!(s.to_string().contains("2 nulls/NaNs ignored"), "{s}");
        let m = MinMaxScaler::fit(&df, &["x", "k"]).unwrap();
        assert_eq!(m.data_min(), [1.0, 7.0]);
        let out = m.transform(&df).unwrap();
        assert_eq!(out.column("x").unwrap().f64().unwrap().get(2), Some(0.5));
        assert_eq!(out.column("k").unwrap().f64().unwrap().get(2), Some(0.0));
    }

    #[test]
    fn bad_input_is_an_error() {
        let df = df!("x" => [1.0, f64::INFINITY], "n" => [None::<f64>, None], "s" => ["a", "b"])
            .unwrap();
        assert!(StandardScaler::fit(&df, &["x"]).is_err());
        assert!(matches!(
            StandardScaler::fit(&df, &["n"]).unwrap_err(),
            Error::NoData { .. }
        ));
        assert!(matches!(
            StandardScaler::fit(&df, &["s"]).unwrap_err(),
            Error::InvalidDtype { .. }
        ));
        assert!(MinMaxScaler::fit_range(&df!("x" => [1.0]).unwrap(), &["x"], (1.0, 0.0)).is_err());
        let s = StandardScaler::fit(&df!("x" => [1.0, 2.0]).unwrap(), &["x"]).unwrap();
        assert!(s.transform(&df!("y" => [1.0]).unwrap()).is_err());
    }
}

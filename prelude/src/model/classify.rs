//! What the classifiers share: the label column turned into class codes and back, accuracy,
//! and probability tables.
//!
//! A label column is boolean, integer, string or categorical. Its classes are its distinct
//! values in sorted order, as scikit-learn's `classes_` (`false` before `true`, numbers by
//! value, strings by byte order); predictions come back with the label column's dtype and
//! probability tables have one column per class, named by the class, in that order.

use std::collections::HashMap;

use ndarray::Array2;
use polars::prelude::*;

use crate::error::{Error, Result};

/// The classes of a label column and the map from each to its code (its index in `values`).
#[derive(Debug, Clone)]
pub(crate) struct Classes {
    /// The distinct labels, sorted, with the label column's dtype (categoricals as strings).
    values: Series,
    /// The labels as text, the same order.
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Classes {
    /// The classes of column `y` and the code of each row; every row must have a label.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`], [`Error::InvalidDtype`] (floats and other types),
    /// [`Error::MissingValues`] for null labels, [`Error::InvalidParameter`] for fewer than
    /// two classes.
    pub(crate) fn fit(df: &DataFrame, y: &str, op: &'static str) -> Result<(Classes, Vec<usize>)> {
        let labels = label_series(df, y, op)?;
        let values = labels.unique()?.sort(SortOptions::default())?;
        let names = as_text(&values)?
            .into_iter()
            .map(|s| s.unwrap_or_default())
            .collect::<Vec<_>>();
        if names.len() < 2 {
            return Err(Error::InvalidParameter {
                operation: op,
                name: "y",
                value: format!(
                    "column `{y}` with one class ({})",
                    names.first().map_or("none", String::as_str)
                ),
                rule: "a label column with at least two classes",
            });
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let classes = Classes {
            values,
            names,
            index,
        };
        let codes = classes
            .codes(&labels)?
            .into_iter()
            .map(|c| c.unwrap_or(0))
            .collect();
        Ok((classes, codes))
    }

    /// The code of each label of column `y` of `df`; `None` for a label not seen in training.
    pub(crate) fn encode(
        &self,
        df: &DataFrame,
        y: &str,
        op: &'static str,
    ) -> Result<Vec<Option<usize>>> {
        self.codes(&label_series(df, y, op)?)
    }

    fn codes(&self, labels: &Series) -> Result<Vec<Option<usize>>> {
        Ok(as_text(labels)?
            .into_iter()
            .map(|s| s.and_then(|s| self.index.get(&s).copied()))
            .collect())
    }

    /// Labels for `codes`, named `name`, with the label column's dtype.
    pub(crate) fn decode(&self, codes: &[usize], name: &str) -> Result<Series> {
        let idx = IdxCa::from_vec(
            "".into(),
            codes.iter().map(|&c| c as IdxSize).collect::<Vec<_>>(),
        );
        let mut out = self.values.take(&idx)?;
        out.rename(name.into());
        Ok(out)
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The classes as text, sorted.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The classes with the label column's dtype.
    pub(crate) fn values(&self) -> &Series {
        &self.values
    }

    /// The code of the class written `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// One `f64` column per class (named by the class) from an `n × classes` matrix.
    pub(crate) fn proba_frame(&self, proba: &Array2<f64>) -> Result<DataFrame> {
        super::matrix::frame_from_columns(&self.names, proba)
    }

    /// The share of rows of `df` whose label in column `y` equals the predicted code.
    pub(crate) fn accuracy(
        &self,
        df: &DataFrame,
        y: &str,
        predicted: &[usize],
        op: &'static str,
    ) -> Result<f64> {
        let truth = self.encode(df, y, op)?;
        let hits = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| **t == Some(**p))
            .count();
        Ok(hits as f64 / predicted.len() as f64)
    }
}

/// Column `y` of `df` as a label series: boolean, integer or string (categoricals as strings),
/// without nulls.
fn label_series(df: &DataFrame, y: &str, op: &'static str) -> Result<Series> {
    let column = df
        .column(y)
        .map_err(|_| Error::column_not_found(op, y, df))?;
    let dtype = column.dtype();
    let series = match dtype {
        DataType::Boolean | DataType::String => column.as_materialized_series().clone(),
        DataType::Categorical(..) | DataType::Enum(..) => {
            column.cast(&DataType::String)?.take_materialized_series()
        }
        d if d.is_integer() => column.as_materialized_series().clone(),
        _ => {
            return Err(Error::InvalidDtype {
                operation: op,
                column: y.to_string(),
                dtype: dtype.to_string(),
                expected: "a label column (boolean, integer, string or categorical; cast a float \
                           label to an integer)",
            });
        }
    };
    if series.null_count() > 0 {
        let first_row = series
            .is_null()
            .iter()
            .position(|null| null == Some(true))
            .unwrap_or(0);
        return Err(Error::MissingValues {
            operation: op,
            column: y.to_string(),
            count: series.null_count(),
            first_row,
        });
    }
    if series.is_empty() {
        return Err(super::matrix::empty_frame(op));
    }
    Ok(series)
}

/// The values of a label series as text (`true`, `3`, `up`).
fn as_text(series: &Series) -> Result<Vec<Option<String>>> {
    let text = series.cast(&DataType::String)?;
    Ok(text.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

/// The index of the largest value of each row, the first of ties (numpy's `argmax`).
pub(crate) fn argmax_rows(proba: &Array2<f64>) -> Vec<usize> {
    proba
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv { (i, v) } else { (bi, bv) }
                })
                .0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_sorted_and_round_trip() {
        let df = df!(
            "b" => [true, false, true],
            "i" => [3i64, -1, 3],
            "s" => ["up", "down", "flat"],
            "f" => [1.0, 2.0, 3.0],
            "one" => ["a", "a", "a"],
            "n" => [Some("a"), None, Some("b")]
        )
        .unwrap();
        let (c, codes) = Classes::fit(&df, "b", "t").unwrap();
        assert_eq!(c.names(), ["false", "true"]);
        assert_eq!(codes, [1, 0, 1]);
        assert_eq!(c.decode(&codes, "p").unwrap().dtype(), &DataType::Boolean);
        let (c, codes) = Classes::fit(&df, "i", "t").unwrap();
        assert_eq!(c.names(), ["-1", "3"]);
        assert_eq!(codes, [1, 0, 1]);
        assert_eq!(
            c.decode(&[0, 1], "p").unwrap().i64().unwrap().to_vec(),
            [Some(-1), Some(3)]
        );
        let (c, codes) = Classes::fit(&df, "s", "t").unwrap();
        assert_eq!(c.names(), ["down", "flat", "up"]);
        assert_eq!(codes, [2, 0, 1]);
        assert_eq!(c.accuracy(&df, "s", &[2, 0, 0], "t").unwrap(), 2.0 / 3.0);
        assert!(matches!(
            Classes::fit(&df, "f", "t").unwrap_err(),
            Error::InvalidDtype { .. }
        ));
        let err = Classes::fit(&df, "one", "t").unwrap_err();
        assert!(err.to_string().contains("at least two classes"), "{err}");
        assert!(matches!(
            Classes::fit(&df, "n", "t").unwrap_err(),
            Error::MissingValues {
                count: 1,
                first_row: 1,
                ..
            }
        ));
        assert_eq!(
            argmax_rows(&ndarray::array![[0.5, 0.5], [0.2, 0.8]]),
            [0, 1]
        );
    }
}

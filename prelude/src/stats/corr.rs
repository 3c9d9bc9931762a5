//! [`corr()`] (Pearson, Spearman, Kendall tau-b) and [`cov()`]: labelled matrices of the numeric columns.

use polars::prelude::*;

use rayon::prelude::*;

use super::columns::{Values, labelled_frame, numeric_values};
use crate::dataset::Dataset;
use crate::error::Result;

/// The correlation coefficient [`corr()`] computes, as pandas' `method=` argument.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?.select(["KO", "PEP"])?;
/// let rho = corr(&df, CorrMethod::Spearman)?;
/// assert!(rho.column("KO")?.f64()?.get(1).unwrap() > 0.5);
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrMethod {
    /// Pearson's linear correlation coefficient r.
    Pearson,
    /// Spearman's rank correlation ρ: Pearson's r of the ranks (ties get their average rank).
    Spearman,
    /// Kendall's rank correlation tau-b (adjusted for ties), as scipy's `kendalltau`.
    Kendall,
}

/// The correlation matrix of the numeric (float or integer) columns of `df`, as pandas'
/// `df.corr(method=...)`.
///
/// The result has a first column `column` with the names of the numeric columns, then one
/// `f64` column per numeric column: row i, column j is the correlation of columns i and j.
/// Rows with a null or NaN in any numeric column are dropped first (pandas instead uses the
/// complete rows of each pair; the two agree when nothing is missing). A coefficient is NaN
/// if a column is constant or fewer than two rows are left.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `df` has no numeric column
/// ([`Error::InvalidParameter`](crate::Error::InvalidParameter) if it has no column at all);
/// [`Error::Polars`](crate::Error::Polars) if a numeric column is named `column`.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?.select(["AAPL", "MSFT", "KO"])?;
/// let r = corr(&df, CorrMethod::Kendall)?;
/// assert_eq!(r.shape(), (3, 4));
/// assert_eq!(r.column("AAPL")?.f64()?.get(0), Some(1.0));
/// # Ok::<(), eddy::Error>(())
/// ```
///
/// On a [`SparkFrame`](crate::spark::SparkFrame), Pearson is one aggregation on the cluster
/// and Spearman ranks each column with a window over the whole frame first; Kendall is not
/// offered there.
pub fn corr<D: Dataset + ?Sized>(data: &D, method: CorrMethod) -> Result<DataFrame> {
    data.corr(method)
}

/// [`corr`] of a polars frame, computed here.
pub(crate) fn corr_frame(df: &DataFrame, method: CorrMethod) -> Result<DataFrame> {
    let (names, values, compact) = complete_rows(df, "corr")?;
    let columns: Vec<&[f64]> = match &compact {
        Some(c) => c.iter().map(Vec::as_slice).collect(),
        None => values.iter().map(Values::as_slice).collect(),
    };
    let k = columns.len();
    let matrix = match method {
        CorrMethod::Pearson => pearson_matrix(&columns),
        CorrMethod::Spearman => {
            let ranks: Vec<Vec<f64>> = columns.par_iter().map(|c| average_ranks(c)).collect();
            let ranks: Vec<&[f64]> = ranks.iter().map(Vec::as_slice).collect();
            pearson_matrix(&ranks)
        }
        CorrMethod::Kendall => {
            let pairs: Vec<(usize, usize)> =
                (0..k).flat_map(|i| (0..i).map(move |j| (i, j))).collect();
            let taus: Vec<f64> = pairs
                .par_iter()
                .map(|&(i, j)| kendall_tau_b(columns[i], columns[j]))
                .collect();
            let mut matrix = vec![vec![1.0; k]; k];
            for (&(i, j), tau) in pairs.iter().zip(taus) {
                matrix[i][j] = tau;
                matrix[j][i] = tau;
            }
            if columns.first().is_some_and(|c| c.len() < 2) {
                matrix.iter_mut().flatten().for_each(|v| *v = f64::NAN);
            }
            matrix
        }
    };
    matrix_frame(names, matrix)
}

/// Pearson's r of every pair of equally long columns, from one blocked pass of centred
/// cross-products; NaN for a constant column or fewer than 2 rows.
fn pearson_matrix(columns: &[&[f64]]) -> Vec<Vec<f64>> {
    let k = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    if n < 2 {
        return vec![vec![f64::NAN; k]; k];
    }
    let means: Vec<f64> = columns.par_iter().map(|c| mean(c)).collect();
    let cross = centred_cross_products(columns, &means);
    let mut matrix = vec![vec![f64::NAN; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let denominator = (cross[i * k + i] * cross[j * k + j]).sqrt();
            let r = if denominator == 0.0 {
                f64::NAN
            } else if i == j {
                1.0
            } else {
                (cross[i * k + j] / denominator).clamp(-1.0, 1.0)
            };
            matrix[i][j] = r;
            matrix[j][i] = r;
        }
    }
    matrix
}

/// Rows per block of [`centred_cross_products`]: k centred blocks stay in the L2 cache.
const BLOCK: usize = 2048;

/// Σ (xᵢ − x̄ᵢ)(xⱼ − x̄ⱼ) for every pair of columns (row-major k × k, both triangles), in one
/// pass over the data: blocks of rows are centred into a small buffer and multiplied there,
/// in parallel, with per-thread sums added at the end (the sums' order differs from a serial
/// loop by rounding only).
fn centred_cross_products(columns: &[&[f64]], means: &[f64]) -> Vec<f64> {
    let k = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    let mut sums = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .fold(
            || vec![0.0; k * k],
            |mut acc, b| {
                let (lo, hi) = (b * BLOCK, ((b + 1) * BLOCK).min(n));
                let len = hi - lo;
                let mut buffer = vec![0.0; k * len];
                for (c, column) in columns.iter().enumerate() {
                    let m = means[c];
                    for (d, v) in buffer[c * len..(c + 1) * len]
                        .iter_mut()
                        .zip(&column[lo..hi])
                    {
                        *d = v - m;
                    }
                }
                for i in 0..k {
                    let xi = &buffer[i * len..(i + 1) * len];
                    for j in i..k {
                        acc[i * k + j] += dot(xi, &buffer[j * len..(j + 1) * len]);
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![0.0; k * k],
            |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
        );
    for i in 0..k {
        for j in 0..i {
            sums[i * k + j] = sums[j * k + i];
        }
    }
    sums
}

/// The dot product with eight independent sums, which the compiler vectorises.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// The sample covariance matrix (divided by n − 1) of the numeric (float or integer) columns
/// of `df`, as pandas' `df.cov()`.
///
/// Laid out as [`corr()`]'s result: a first column `column` with the names, then one `f64`
/// column per numeric column. Rows with a null or NaN in any numeric column are dropped
/// first; with fewer than two rows left every entry is NaN.
///
/// # Errors
///
/// As [`corr()`].
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 2.0, 3.0], "y" => [2.0, 4.0, 7.0])?;
/// let c = cov(&df)?;
/// assert_eq!(c.column("x")?.f64()?.get(0), Some(1.0));      // var(x)
/// assert_eq!(c.column("y")?.f64()?.get(0), Some(2.5));      // cov(x, y)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cov(df: &DataFrame) -> Result<DataFrame> {
    let (names, values, compact) = complete_rows(df, "cov")?;
    let columns: Vec<&[f64]> = match &compact {
        Some(c) => c.iter().map(Vec::as_slice).collect(),
        None => values.iter().map(Values::as_slice).collect(),
    };
    let k = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    let mut matrix = vec![vec![f64::NAN; k]; k];
    if n >= 2 {
        let means: Vec<f64> = columns.par_iter().map(|c| mean(c)).collect();
        let cross = centred_cross_products(&columns, &means);
        for i in 0..k {
            for j in 0..k {
                matrix[i][j] = cross[i * k + j] / (n as f64 - 1.0);
            }
        }
    }
    matrix_frame(names, matrix)
}

/// The names and values of the numeric columns of `df`, and, if some row has a null or NaN in
/// one of them, copies of the columns without those rows (else `None`: use the values as
/// they are, without a copy).
#[allow(clippy::type_complexity)]
fn complete_rows(
    df: &DataFrame,
    operation: &'static str,
) -> Result<(Vec<String>, Vec<Values>, Option<Vec<Vec<f64>>>)> {
    let (names, values) = numeric_values(df, operation)?;
    let slices: Vec<&[f64]> = values.iter().map(Values::as_slice).collect();
    let compact = slices
        .iter()
        .any(|c| c.iter().any(|v| v.is_nan()))
        .then(|| {
            let keep: Vec<usize> = (0..df.height())
                .filter(|&row| slices.iter().all(|c| !c[row].is_nan()))
                .collect();
            slices
                .iter()
                .map(|c| keep.iter().map(|&row| c[row]).collect())
                .collect()
        });
    Ok((names, values, compact))
}

/// A square matrix labelled by `names`: a `column` column, then one column per name.
pub(crate) fn matrix_frame(names: Vec<String>, matrix: Vec<Vec<f64>>) -> Result<DataFrame> {
    let columns = names.iter().cloned().zip(matrix).collect();
    labelled_frame("column", names, columns)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The ranks 1..=n of NaN-free `values`, ties sharing their average rank.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their average:
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// The number of pairs within runs of equal adjacent values of `sorted` (by `same`).
fn tied_pairs<T>(sorted: &[T], same: impl Fn(&T, &T) -> bool) -> u64 {
    let (mut pairs, mut run) = (0u64, 1u64);
    for i in 1..=sorted.len() {
        if i < sorted.len() && same(&sorted[i - 1], &sorted[i]) {
            run += 1;
        } else {
            pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    pairs
}

/// Sorts `values` (merge sort, stable) and returns the number of inversions (pairs i < j with
/// `values[i] > values[j]`).
fn sort_counting_inversions(values: &mut [f64], buffer: &mut Vec<f64>) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = sort_counting_inversions(&mut values[..mid], buffer)
        + sort_counting_inversions(&mut values[mid..], buffer);
    buffer.clear();
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if values[j] < values[i] {
            swaps += (mid - i) as u64;
            buffer.push(values[j]);
            j += 1;
        } else {
            buffer.push(values[i]);
            i += 1;
        }
    }
    buffer.extend_from_slice(&values[i..mid]);
    buffer.extend_from_slice(&values[j..n]);
    values.copy_from_slice(buffer);
    swaps
}

/// Kendall's tau-b of two equally long NaN-free columns in O(n log n) (Knight's algorithm, as
/// scipy's `kendalltau`); NaN if either is constant or shorter than 2.
fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as u64;
    if n < 2 {
        return f64::NAN;
    }
    let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let x_ties = tied_pairs(&pairs, |a, b| a.0 == b.0);
    let joint_ties = tied_pairs(&pairs, |a, b| a.0 == b.0 && a.1 == b.1);
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buffer = Vec::with_capacity(ys.len());
    let discordant = sort_counting_inversions(&mut ys, &mut buffer);
    let y_ties = tied_pairs(&ys, |a, b| a == b);
    let total = n * (n - 1) / 2;
    if x_ties == total || y_ties == total {
        return f64::NAN;
    }
    let concordant_minus_discordant =
        total as f64 - x_ties as f64 - y_ties as f64 + joint_ties as f64 - 2.0 * discordant as f64;
    let tau = concordant_minus_discordant
        / ((total - x_ties) as f64).sqrt()
        / ((total - y_ties) as f64).sqrt();
    tau.clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kendall's tau-b by counting every pair, O(n²).
    fn kendall_naive(x: &[f64], y: &[f64]) -> f64 {
        let (mut s, mut tx, mut ty, mut total) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let a = (x[i] - x[j]).signum() * if x[i] == x[j] { 0.0 } else { 1.0 };
                let b = (y[i] - y[j]).signum() * if y[i] == y[j] { 0.0 } else { 1.0 };
                s += a * b;
                tx += if a == 0.0 { 1.0 } else { 0.0 };
                ty += if b == 0.0 { 1.0 } else { 0.0 };
                total += 1.0;
            }
        }
        s / ((total - tx) * (total - ty)).sqrt()
    }

    #[test]
    fn kendall_matches_pair_counting_with_ties() {
        let x = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 5.0, 0.5, 3.0];
        let y = [2.0, 1.0, 1.0, 3.0, 5.0, 4.0, 5.0, 2.0, 2.0, 3.0];
        let (fast, naive) = (kendall_tau_b(&x, &y), kendall_naive(&x, &y));
        assert!((fast - naive).abs() < 1e-15, "{fast} vs {naive}");
        assert!((kendall_tau_b(&x, &x) - 1.0).abs() < 1e-15);
        assert!(kendall_tau_b(&x, &[1.0; 10]).is_nan());
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 5.0]),
            [2.5, 4.0, 2.5, 1.0]
        );
    }

    #[test]
    fn rows_with_nulls_are_dropped_and_labels_kept() {
        let df = df!(
            "name" => ["a", "b", "c", "d"],
            "x" => [Some(1.0), Some(2.0), None, Some(3.0)],
            "y" => [Some(2), Some(4), Some(100), Some(6)],
        )
        .unwrap();
        let r = corr(&df, CorrMethod::Pearson).unwrap();
        assert_eq!(r.get_column_names(), ["column", "x", "y"]);
        assert_eq!(r.column("column").unwrap().str().unwrap().get(1), Some("y"));
        let y = r.column("y").unwrap().f64().unwrap();
        assert!((y.get(0).unwrap() - 1.0).abs() < 1e-15);
        let c = cov(&df).unwrap();
        assert_eq!(c.column("y").unwrap().f64().unwrap().get(1), Some(4.0));
    }
}

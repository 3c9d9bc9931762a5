//! Principal component analysis, [`pca`], exact, as scikit-learn's `PCA(n_components)`.
//!
//! Computed here, not by linfa-reduction: the columns are centred, their covariance matrix
//! (p × p, divisor n − 1) is formed once and decomposed exactly by nalgebra's symmetric
//! eigen-solver; the components are its eigenvectors by decreasing eigenvalue. This is exact
//! to rounding for the small dimensions of tabular data (cost O(n·p²) for the covariance plus
//! O(p³), memory O(p²) beyond the data), and scikit-learn's own `covariance_eigh` solver
//! takes the same route for tall tables. linfa-reduction 0.8.1's `Pca` is not used because
//! it estimates a truncated SVD iteratively (LOBPCG, to a tolerance), clamps singular values
//! below 1e-8, and its `explained_variance` divides by the number of components minus one
//! instead of n − 1, while its `explained_variance_ratio` is normalised over the kept
//! components only, so the ratios always sum to 1.
//!
//! Signs follow scikit-learn (`svd_flip` with `u_based_decision=False`): in each component
//! the entry of largest absolute value is positive.

use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::{Array1, Array2, Axis};
use polars::prelude::*;

use super::matrix::{borrowed, check_names, features, frame_from_columns, owned};
use super::report;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// A fitted principal component analysis. Made by [`pca`]; shows as its explained variance
/// and components.
#[derive(Debug, Clone)]
pub struct Pca {
    x: Vec<String>,
    mean: Array1<f64>,
    /// k × p, one component per row.
    components: Array2<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    singular_values: Vec<f64>,
    noise_variance: f64,
    nobs: usize,
    transformed: DataFrame,
}

/// The first `n_components` principal components of the numeric columns `x` of `df`, as
/// scikit-learn's `PCA(n_components).fit(X)`: the components, the variance each explains,
/// and the rows of `df` projected on them ([`Pca::transformed`]).
///
/// The columns are centred, not scaled: scale them first ([`StandardScaler`](super::StandardScaler))
/// for a PCA of correlations.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::MissingValues`] for the
/// columns; [`Error::InvalidParameter`] for an empty list, fewer than 2 rows, or
/// `n_components` outside 1..=min(rows, columns).
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Log)?;
/// let stocks = ["JPM", "BAC", "KO"];
/// let fit = pca(&r, &stocks, 2)?;
/// assert!(fit.explained_variance_ratio()[0] > 0.7);       // one "market factor"
/// assert_eq!(fit.transformed().get_column_names(), ["PC1", "PC2"]);
/// assert_eq!(fit.components()?.shape(), (2, 4));            // `component` + 3 loadings
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn pca(df: &DataFrame, x: &[&str], n_components: usize) -> Result<Pca> {
    const OP: &str = "pca";
    check_names(x, "x", OP)?;
    let mut z = features(df, x, OP)?;
    let (n, p) = z.dim();
    if n < 2 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "df",
            value: report::rows(n),
            rule: "at least 2 rows",
        });
    }
    if n_components == 0 || n_components > n.min(p) {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "n_components",
            value: format!("{n_components} for {n} rows and {p} columns"),
            rule: "between 1 and min(rows, columns)",
        });
    }
    let mean = z.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
    z -= &mean;
    let cov = z.t().dot(&z) / (n as f64 - 1.0);
    let eigen = SymmetricEigen::new(DMatrix::from_fn(p, p, |i, j| cov[(i, j)]));
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    // Rounding can leave tiny negative eigenvalues; a variance is at least 0.
    let all: Vec<f64> = order
        .iter()
        .map(|&i| eigen.eigenvalues[i].max(0.0))
        .collect();
    let total: f64 = all.iter().sum();
    let k = n_components;
    let mut components = Array2::zeros((k, p));
    for (c, &i) in order.iter().take(k).enumerate() {
        let v = eigen.eigenvectors.column(i);
        let largest = (0..p).fold(0, |b, j| if v[j].abs() > v[b].abs() { j } else { b });
        let sign = if v[largest] < 0.0 { -1.0 } else { 1.0 };
        for j in 0..p {
            components[(c, j)] = sign * v[j];
        }
    }
    let explained_variance = all[..k].to_vec();
    let explained_variance_ratio = explained_variance
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    let singular_values = explained_variance
        .iter()
        .map(|v| (v * (n as f64 - 1.0)).sqrt())
        .collect();
    // scikit-learn's noise_variance_: the mean of the discarded eigenvalues.
    let noise_variance = if k < n.min(p) {
        all[k..n.min(p)].iter().sum::<f64>() / (n.min(p) - k) as f64
    } else {
        0.0
    };
    let names = component_names(k);
    let transformed = frame_from_columns(&names, &z.dot(&components.t()))?;
    Ok(Pca {
        x: owned(x),
        mean,
        components,
        explained_variance,
        explained_variance_ratio,
        singular_values,
        noise_variance,
        nobs: n,
        transformed,
    })
}

fn component_names(k: usize) -> Vec<String> {
    (1..=k).map(|i| format!("PC{i}")).collect()
}

impl Pca {
    /// The components: a `component` column (`PC1`, `PC2`…), then one column per feature
    /// holding its loading, one row per component (scikit-learn's `components_`).
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn components(&self) -> Result<DataFrame> {
        let k = self.components.nrows();
        let mut table = frame_from_columns(&self.x, &self.components)?;
        table.insert_column(0, Column::new("component".into(), component_names(k)))?;
        Ok(table)
    }

    /// The variance of the data along each component (`explained_variance_`, divisor n − 1).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }

    /// Each component's share of the total variance of the columns
    /// (`explained_variance_ratio_`).
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }

    /// The singular values of the centred data (`singular_values_`).
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// The mean of the variances along the components left out (`noise_variance_`).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }

    /// The column means subtracted before projecting (`mean_`).
    pub fn mean(&self) -> &[f64] {
        self.mean.as_slice().unwrap_or_default()
    }

    /// The fitted rows projected on the components, columns `PC1`, `PC2`…
    /// (`fit_transform(X)`).
    pub fn transformed(&self) -> &DataFrame {
        &self.transformed
    }

    /// The rows of `df` projected on the components, columns `PC1`, `PC2`… (`transform`).
    ///
    /// # Errors
    ///
    /// As [`pca`] for the columns of `df`.
    pub fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let mut z = features(df, &borrowed(&self.x), "Pca::transform")?;
        z -= &self.mean;
        frame_from_columns(
            &component_names(self.components.nrows()),
            &z.dot(&self.components.t()),
        )
    }

    /// The number of rows fitted on.
    pub fn nobs(&self) -> usize {
        self.nobs
    }
}

impl std::fmt::Display for Pca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a header and a table of each component's explained variance, its ratio, the
/// cumulative ratio and its loadings.
impl Render for Pca {
    fn mime_bundle(&self) -> MimeBundle {
        let cumulative: Vec<f64> = self
            .explained_variance_ratio
            .iter()
            .scan(0.0, |acc, r| {
                *acc += r;
                Some(*acc)
            })
            .collect();
        let head = vec![format!(
            "PCA of {} columns, {} components: {}; {:.2} % of the variance explained",
            self.x.len(),
            self.components.nrows(),
            report::rows(self.nobs),
            100.0 * cumulative.last().copied().unwrap_or(0.0)
        )];
        let table = self.components().and_then(|mut t| {
            t.insert_column(
                1,
                Column::new("explained_variance".into(), self.explained_variance.clone()),
            )?;
            t.insert_column(
                2,
                Column::new("ratio".into(), self.explained_variance_ratio.clone()),
            )?;
            t.insert_column(3, Column::new("cumulative".into(), cumulative))?;
            Ok(t)
        });
        report::bundle(&head, table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn() {
        let df = df!(
            "a" => [2.5, 0.5, 2.2, 1.9, 3.1, 2.3, 2.0, 1.0, 1.5, 1.1],
            "b" => [2.4, 0.7, 2.9, 2.2, 3.0, 2.7, 1.6, 1.1, 1.6, 0.9],
            "c" => [1.0, 0.0, 1.0, 1.0, 2.0, 1.0, 0.0, 0.0, 1.0, 0.0]
        )
        .unwrap();
        let fit = pca(&df, &["a", "b", "c"], 2).unwrap();
        for (got, want) in fit.explained_variance_ratio().iter().zip(RATIO) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        for (got, want) in fit.components.row(0).iter().zip(PC1) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let t = fit.transform(&df).unwrap();
        assert!(t.equals(fit.transformed()));
        let first: f64 = t.column("PC1").unwrap().f64().unwrap().get(0).unwrap();
        assert!((first - SCORE0).abs() < 1e-12, "{first}");
        assert!(pca(&df, &["a", "b"], 3).is_err());
        assert!(pca(&df.slice(0, 1), &["a", "b"], 1).is_err());
    }

    // scikit-learn 1.8, PCA(2, svd_solver="full"): explained_variance_ratio_, components_[0],
    // transform(X)[0, 0].
    const RATIO: [f64; 2] = [0.9209327539450978, 0.05312737328921232];
    const PC1: [f64; 3] = [0.5906223218153365, 0.646189242973659, 0.48332673755813566];
    const SCORE0: f64 = 0.8691601523771157;
}

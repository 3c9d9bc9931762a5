//! k-means clustering, [`kmeans`], run by linfa-clustering and reported as scikit-learn's
//! `KMeans` (`labels_`, `cluster_centers_`, `inertia_`).
//!
//! - **Seeding.** The initial centres are chosen here by scikit-learn's greedy k-means++
//!   (2 + ⌊ln k⌋ candidates per centre, keeping the one that lowers the potential most), from
//!   the prelude's seeded generator, and handed to linfa as precomputed centres: linfa's own
//!   k-means++ needs a `rand` 0.8 generator, which the prelude does not depend on. The best of
//!   `n_init` seedings (lowest inertia) is kept. Centres can also be given
//!   ([`KMeansParams::init`]), to reproduce a run of another library.
//! - **Iterations.** linfa runs Lloyd's algorithm in its "m_k-means" form: each new centre
//!   averages the cluster's rows *and* the old centre, a damped step with the same fixed
//!   points (the cluster means), so a converged run ends where scikit-learn's would from the
//!   same centres. An empty cluster keeps its old centre (scikit-learn moves it to a far row).
//! - **Stopping.** linfa stops when the centres move less than a distance; it is set to
//!   scikit-learn's `tol` (default 1e-4) relative to the data: the squared shift of all
//!   centres below `tol` × the mean variance of the columns.
//! - **Reported values.** After linfa's last step the centres are set to the means of their
//!   clusters (one exact Lloyd step, landing on the fixed point the damped steps approach);
//!   each row's label is then its nearest centre (the first of ties) and the inertia the sum
//!   of squared distances to it, as scikit-learn's `labels_` and `inertia_` (linfa's
//!   `inertia()` is a mean, taken before its last update).

use linfa::prelude::*;
use linfa_clustering::KMeansInit;
use ndarray::{Array1, Array2, Axis};
use polars::prelude::*;

use super::matrix::{borrowed, check_names, features, owned};
use super::report;
use super::rng::SplitMix64;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// The settings of a k-means run, made by [`KMeans::params`].
#[derive(Debug, Clone)]
pub struct KMeansParams {
    k: usize,
    seed: u64,
    n_init: usize,
    max_iter: u64,
    tol: f64,
    init: Option<DataFrame>,
}

/// A fitted k-means clustering. Made by [`kmeans`]; shows as its centres, sizes and inertia.
#[derive(Debug, Clone)]
pub struct KMeans {
    x: Vec<String>,
    centers: Array2<f64>,
    init_centers: Array2<f64>,
    labels: Vec<u32>,
    inertia: f64,
    sizes: Vec<u64>,
    params: KMeansParams,
}

/// k-means clustering of the rows of `df` on the numeric columns `x` into `k` clusters,
/// seeded by `seed` (k-means++, best of 10 seedings), as scikit-learn's
/// `KMeans(k, n_init=10, random_state=seed).fit(X)`.
///
/// The columns are used as they are: scale them first (see
/// [`StandardScaler`](super::StandardScaler)) when their units differ.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::MissingValues`] for the
/// columns; [`Error::InvalidParameter`] for an empty frame or list, `k = 0` or more clusters
/// than rows.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [0.0, 0.1, 0.2, 5.0, 5.1, 5.2], "y" => [0.0, 0.2, 0.1, 5.0, 5.2, 5.1])?;
/// let km = kmeans(&df, &["x", "y"], 2, 42)?;
/// let labels = km.labels();
/// assert_eq!(labels.get(0)?, labels.get(2)?);
/// assert_ne!(labels.get(0)?, labels.get(3)?);
/// assert!((km.inertia() - 0.08).abs() < 1e-12);
/// assert_eq!(km.cluster_centers()?.height(), 2);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn kmeans(df: &DataFrame, x: &[&str], k: usize, seed: u64) -> Result<KMeans> {
    KMeans::params(k).seed(seed).fit(df, x)
}

impl KMeansParams {
    /// The seed of the k-means++ seeding (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many seedings to run, keeping the lowest inertia (default 10).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// The most iterations per run (default 300).
    pub fn max_iter(mut self, max_iter: u64) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// The convergence tolerance, relative to the mean variance of the columns as
    /// scikit-learn's `tol` (default 1e-4).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Starts from these centres (k rows holding the clustering's columns) instead of
    /// k-means++, in one run: scikit-learn's `init=array, n_init=1`.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [0.0, 0.1, 5.0, 5.1])?;
    /// let km = KMeans::params(2).init(&df!("x" => [1.0, 4.0])?).fit(&df, &["x"])?;
    /// assert_eq!(km.labels().u32()?.to_vec(), [Some(0), Some(0), Some(1), Some(1)]);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn init(mut self, centers: &DataFrame) -> Self {
        self.init = Some(centers.clone());
        self
    }

    /// Clusters the rows of `df` on the columns `x`.
    ///
    /// # Errors
    ///
    /// As [`kmeans`]; [`Error::InvalidParameter`] for `n_init = 0`, `max_iter = 0`, a
    /// negative `tol`, or initial centres without k rows; [`Error::Model`] if linfa fails.
    pub fn fit(&self, df: &DataFrame, x: &[&str]) -> Result<KMeans> {
        const OP: &str = "kmeans";
        let bad = |name, value: String, rule| Error::InvalidParameter {
            operation: OP,
            name,
            value,
            rule,
        };
        check_names(x, "x", OP)?;
        let data = features(df, x, OP)?;
        let n = data.nrows();
        if self.k == 0 || self.k > n {
            return Err(bad(
                "k",
                format!("{} for {n} rows", self.k),
                "between 1 and the number of rows",
            ));
        }
        if self.n_init == 0 {
            return Err(bad("n_init", "0".into(), "at least 1"));
        }
        if self.max_iter == 0 {
            return Err(bad("max_iter", "0".into(), "at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(bad("tol", self.tol.to_string(), "finite and ≥ 0"));
        }
        let given = match &self.init {
            Some(init) => {
                let c = features(init, x, OP)?;
                if c.nrows() != self.k {
                    return Err(bad(
                        "init",
                        format!("{} centres", c.nrows()),
                        "one row per cluster (k rows)",
                    ));
                }
                Some(c)
            }
            None => None,
        };
        let mean_var = data.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
        // linfa stops on the Euclidean shift of all centres; scikit-learn on its square.
        let tolerance = (self.tol * mean_var).sqrt().max(f64::MIN_POSITIVE);
        let mut rng = SplitMix64::new(self.seed);
        let runs = if given.is_some() { 1 } else { self.n_init };
        let mut best: Option<(f64, Array2<f64>, Array2<f64>, Vec<u32>)> = None;
        for _ in 0..runs {
            crate::interrupt::check()?;
            let init = match &given {
                Some(c) => c.clone(),
                None => kmeans_plus_plus(&data, self.k, &mut rng),
            };
            let model = linfa_clustering::KMeans::params(self.k)
                .init_method(KMeansInit::Precomputed(init.clone()))
                .n_runs(1)
                .max_n_iterations(self.max_iter)
                .tolerance(tolerance)
                .fit(&DatasetBase::from(data.view()))
                .map_err(|e| Error::Model {
                    operation: OP,
                    reason: e.to_string(),
                })?;
            let centers = cluster_means(&data, model.centroids());
            let (labels, inertia) = assign(&data, &centers);
            if best.as_ref().is_none_or(|b| inertia < b.0) {
                best = Some((inertia, centers, init, labels));
            }
        }
        let Some((inertia, centers, init_centers, labels)) = best else {
            return Err(bad("n_init", "0".into(), "at least 1"));
        };
        let mut sizes = vec![0u64; self.k];
        for &l in &labels {
            sizes[l as usize] += 1;
        }
        Ok(KMeans {
            x: owned(x),
            centers,
            init_centers,
            labels,
            inertia,
            sizes,
            params: self.clone(),
        })
    }
}

/// scikit-learn's greedy k-means++: the first centre uniformly at random, then each next one
/// the best (lowest potential) of 2 + ⌊ln k⌋ rows drawn with probability ∝ D².
fn kmeans_plus_plus(x: &Array2<f64>, k: usize, rng: &mut SplitMix64) -> Array2<f64> {
    let n = x.nrows();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Array2::zeros((k, x.ncols()));
    let first = rng.below(n);
    centers.row_mut(0).assign(&x.row(first));
    let mut closest = sq_distances(x, first);
    let mut potential: f64 = closest.iter().sum();
    for c in 1..k {
        let mut cumulative = Vec::with_capacity(n);
        let mut sum = 0.0;
        for d in closest.iter() {
            sum += d;
            cumulative.push(sum);
        }
        let mut best: Option<(f64, usize, Array1<f64>)> = None;
        for _ in 0..trials {
            let target = rng.uniform() * potential;
            let candidate = cumulative.partition_point(|&s| s < target).min(n - 1);
            let mut d = sq_distances(x, candidate);
            d.zip_mut_with(&closest, |a, b| *a = a.min(*b));
            let pot = d.sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, candidate, d));
            }
        }
        if let Some((pot, candidate, d)) = best {
            centers.row_mut(c).assign(&x.row(candidate));
            closest = d;
            potential = pot;
        }
    }
    centers
}

/// The mean of the rows nearest to each of `centers` (an empty cluster keeps its centre):
/// the last step of Lloyd's algorithm, which puts the centres exactly on the fixed point
/// linfa's damped steps approach.
fn cluster_means(x: &Array2<f64>, centers: &Array2<f64>) -> Array2<f64> {
    let (labels, _) = assign(x, centers);
    let mut sums = Array2::<f64>::zeros(centers.dim());
    let mut counts = vec![0usize; centers.nrows()];
    for (row, &l) in x.rows().into_iter().zip(&labels) {
        let mut s = sums.row_mut(l as usize);
        s += &row;
        counts[l as usize] += 1;
    }
    for (c, mut s) in sums.rows_mut().into_iter().enumerate() {
        if counts[c] == 0 {
            s.assign(&centers.row(c));
        } else {
            s /= counts[c] as f64;
        }
    }
    sums
}

/// Squared Euclidean distances of every row of `x` to row `r`, column by column.
fn sq_distances(x: &Array2<f64>, r: usize) -> Array1<f64> {
    let mut d = Array1::zeros(x.nrows());
    for column in x.columns() {
        let c = column[r];
        d.zip_mut_with(&column, |acc, v| *acc += (v - c) * (v - c));
    }
    d
}

/// Each row's nearest centre (the first of ties) and the sum of squared distances to it.
fn assign(x: &Array2<f64>, centers: &Array2<f64>) -> (Vec<u32>, f64) {
    let n = x.nrows();
    let mut best = vec![(f64::INFINITY, 0u32); n];
    for (c, center) in centers.rows().into_iter().enumerate() {
        let mut d = Array1::<f64>::zeros(n);
        for (column, &m) in x.columns().into_iter().zip(center) {
            d.zip_mut_with(&column, |acc, v| *acc += (v - m) * (v - m));
        }
        for (b, &d) in best.iter_mut().zip(&d) {
            if d < b.0 {
                *b = (d, c as u32);
            }
        }
    }
    let inertia = best.iter().map(|b| b.0).sum();
    (best.into_iter().map(|b| b.1).collect(), inertia)
}

impl KMeans {
    /// The settings for `k` clusters: seed, number of seedings, iterations, tolerance,
    /// initial centres.
    pub fn params(k: usize) -> KMeansParams {
        KMeansParams {
            k,
            seed: 0,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            init: None,
        }
    }

    /// The cluster of each training row (0 to k − 1), named `cluster` (`labels_`).
    pub fn labels(&self) -> Series {
        Series::new("cluster".into(), &self.labels)
    }

    /// The centres: a `cluster` column, then one column per feature (`cluster_centers_`).
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn cluster_centers(&self) -> Result<DataFrame> {
        self.center_table(&self.centers, true)
    }

    /// The initial centres of the kept run (from k-means++ or [`KMeansParams::init`]), to
    /// reproduce it elsewhere: `KMeans(init=…, n_init=1)` in scikit-learn.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn init_centers(&self) -> Result<DataFrame> {
        self.center_table(&self.init_centers, false)
    }

    fn center_table(&self, centers: &Array2<f64>, sizes: bool) -> Result<DataFrame> {
        let mut table = super::matrix::frame_from_columns(&self.x, centers)?;
        let k = centers.nrows() as u32;
        table.insert_column(
            0,
            Column::new("cluster".into(), (0..k).collect::<Vec<u32>>()),
        )?;
        if sizes {
            table.insert_column(1, Column::new("size".into(), self.sizes.clone()))?;
        }
        Ok(table)
    }

    /// The sum of squared distances of the training rows to their centre (`inertia_`).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// The nearest centre of each row of `df`, named `cluster`.
    ///
    /// # Errors
    ///
    /// As [`kmeans`] for the columns of `df`.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let x = features(df, &borrowed(&self.x), "KMeans::predict")?;
        let (labels, _) = assign(&x, &self.centers);
        Ok(Series::new("cluster".into(), labels))
    }
}

impl std::fmt::Display for KMeans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a header (k, rows, inertia, seeding) and the centres with their sizes.
impl Render for KMeans {
    fn mime_bundle(&self) -> MimeBundle {
        let seeding = if self.params.init.is_some() {
            "given initial centres".to_string()
        } else {
            format!(
                "k-means++, best of {}, seed {}",
                self.params.n_init, self.params.seed
            )
        };
        let head = vec![format!(
            "k-means with k = {} on {} columns: {}, inertia {:.6e} ({seeding})",
            self.params.k,
            self.x.len(),
            report::rows(self.labels.len()),
            self.inertia
        )];
        report::bundle(&head, self.cluster_centers())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> DataFrame {
        let mut rng = SplitMix64::new(3);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (cx, cy) in [(0.0, 0.0), (4.0, 1.0), (1.0, 5.0)] {
            for _ in 0..50 {
                a.push(cx + rng.uniform() - 0.5);
                b.push(cy + rng.uniform() - 0.5);
            }
        }
        df!("a" => a, "b" => b).unwrap()
    }

    #[test]
    fn finds_the_blobs_and_repeats_with_a_seed() {
        let df = blobs();
        let km = KMeans::params(3)
            .seed(1)
            .tol(1e-12)
            .fit(&df, &["a", "b"])
            .unwrap();
        let labels: Vec<u32> = km.labels().u32().unwrap().into_no_null_iter().collect();
        for blob in labels.chunks(50) {
            assert!(blob.iter().all(|&l| l == blob[0]), "{blob:?}");
        }
        assert_eq!(km.sizes, [50, 50, 50]);
        // The inertia is the sum of squared distances to the cluster means.
        let x = features(&df, &["a", "b"], "t").unwrap();
        let mut expected = 0.0;
        for blob in 0..3 {
            let rows = x.slice(ndarray::s![blob * 50..(blob + 1) * 50, ..]);
            let mean = rows.mean_axis(Axis(0)).unwrap();
            expected += rows
                .rows()
                .into_iter()
                .map(|r| (&r - &mean).mapv(|v| v * v).sum())
                .sum::<f64>();
        }
        assert!(
            (km.inertia() - expected).abs() < 1e-9 * expected,
            "{} vs {expected}",
            km.inertia()
        );
        let again = KMeans::params(3)
            .seed(1)
            .tol(1e-12)
            .fit(&df, &["a", "b"])
            .unwrap();
        assert_eq!(again.labels, km.labels);
        assert_eq!(km.predict(&df).unwrap(), km.labels());
        assert!(km.to_string().contains("inertia"));
    }

    #[test]
    fn bad_settings_are_errors() {
        let df = blobs();
        assert!(kmeans(&df, &["a"], 0, 1).is_err());
        assert!(kmeans(&df.slice(0, 2), &["a"], 3, 1).is_err());
        assert!(
            KMeans::params(2)
                .init(&df.slice(0, 3))
                .fit(&df, &["a"])
                .is_err()
        );
        assert!(kmeans(&df, &["zz"], 2, 1).is_err());
    }
}

//! Random forest classifier, [`random_forest`]: bagged trees whose splits are found by
//! linfa-trees (no other crate), as scikit-learn's `RandomForestClassifier` and Spark
//! MLlib's `RandomForestClassifier`.
//!
//! Each tree is grown as [`decision_tree`](super::decision_tree) grows one, node by node with
//! a one-split linfa `DecisionTree` per node (see the [`tree`](super::tree) module for why
//! and for how its splits differ from scikit-learn's), on
//!
//! - a **bootstrap sample**: n rows drawn with replacement, passed to linfa as the distinct
//!   rows weighted by how often each was drawn (scikit-learn does the same with sample
//!   weights);
//! - a **random subset of the features at every split**, `max_features` of them (default
//!   √p), as scikit-learn and MLlib: linfa's split search is run on those columns only.
//!
//! The forest's probabilities are the mean of its trees' (soft voting, as scikit-learn; MLlib
//! also averages). The rows a tree did not draw give the out-of-bag accuracy,
//! [`RandomForest::oob_score`], scikit-learn's `oob_score_`. The random draws come from one
//! seed (the SplitMix64 generator), so a seed gives the same forest on any machine and with
//! any number of threads, but not the forest scikit-learn grows with the same seed. The trees
//! are grown on all cores.

use ndarray::Array2;
use polars::prelude::*;

use super::classify::{Classes, argmax_rows};
use super::matrix::{borrowed, features, owned};
use super::report;
use super::rng::SplitMix64;
use super::tree::{DecisionTreeParams, Sample, Tree, grow, importance_table, prepare, ranks};
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// How many features, drawn at random for each split, a forest's split chooses from
/// (scikit-learn's `max_features`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFeatures {
    /// `max(1, int(√p))`, as scikit-learn's `"sqrt"`: the default.
    Sqrt,
    /// `max(1, int(log2(p)))`.
    Log2,
    /// All p features (plain bagging).
    All,
    /// This many (at most p).
    Count(usize),
    /// This share of p, `max(1, int(share · p))`.
    Fraction(f64),
}

/// The settings of a random forest, made by [`RandomForest::params`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomForestParams {
    n_estimators: usize,
    max_features: MaxFeatures,
    bootstrap: bool,
    seed: u64,
    tree: DecisionTreeParams,
}

/// A fitted random forest classifier. Made by [`random_forest`]; shows as its size,
/// out-of-bag accuracy and feature importances.
#[derive(Debug, Clone)]
pub struct RandomForest {
    y: String,
    x: Vec<String>,
    classes: Classes,
    trees: Vec<Tree>,
    nobs: usize,
    oob_score: Option<f64>,
    params: RandomForestParams,
    n_features: usize,
}

/// A random forest of `n_estimators` trees classifying the label column `y` on the numeric
/// columns `x`, seeded by `seed`: each tree is grown to full depth on a bootstrap sample of
/// the rows, each split chosen by linfa among √p features drawn for it. As scikit-learn's
/// `RandomForestClassifier(n_estimators, random_state=seed, oob_score=True)`.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::MissingValues`] for the
/// columns; [`Error::InvalidParameter`] for an empty frame or list, a label with one class,
/// `y` among the features or `n_estimators = 0`; [`Error::Interrupted`] if the cell is
/// stopped.
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Simple)?;
/// let df = r.lazy().with_column(col("JPM").gt(lit(0.0)).alias("up")).collect()?;
/// let (train, test) = train_test_split(&df, 0.2)?;
/// let x = ["BAC", "AAPL", "KO", "XOM", "MSFT"];
/// let forest = random_forest(&train, "up", &x, 20, 42)?;
/// assert!(forest.score(&test)? > 0.6);
/// assert!(forest.oob_score().unwrap() > 0.6);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn random_forest(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    n_estimators: usize,
    seed: u64,
) -> Result<RandomForest> {
    RandomForest::params()
        .n_estimators(n_estimators)
        .seed(seed)
        .fit(df, y, x)
}

impl Default for RandomForestParams {
    fn default() -> Self {
        RandomForestParams {
            n_estimators: 100,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            seed: 0,
            tree: DecisionTreeParams::default(),
        }
    }
}

impl MaxFeatures {
    fn of(self, p: usize, op: &'static str) -> Result<usize> {
        let m = match self {
            MaxFeatures::Sqrt => (p as f64).sqrt() as usize,
            MaxFeatures::Log2 => (p as f64).log2() as usize,
            MaxFeatures::All => p,
            MaxFeatures::Count(m) => m,
            MaxFeatures::Fraction(f) => {
                if !(f > 0.0 && f <= 1.0) {
                    return Err(Error::InvalidParameter {
                        operation: op,
                        name: "max_features",
                        value: format!("Fraction({f})"),
                        rule: "a fraction in (0, 1]",
                    });
                }
                (f * p as f64) as usize
            }
        };
        if let MaxFeatures::Count(m) = self {
            if m == 0 || m > p {
                return Err(Error::InvalidParameter {
                    operation: op,
                    name: "max_features",
                    value: format!("Count({m}) of {p} features"),
                    rule: "between 1 and the number of features",
                });
            }
        }
        Ok(m.clamp(1, p))
    }
}

impl RandomForestParams {
    /// The number of trees (default 100).
    pub fn n_estimators(mut self, n: usize) -> Self {
        self.n_estimators = n;
        self
    }

    /// How many features each split chooses from (default [`MaxFeatures::Sqrt`]).
    pub fn max_features(mut self, max_features: MaxFeatures) -> Self {
        self.max_features = max_features;
        self
    }

    /// Whether each tree gets a bootstrap sample (default `true`) or every row once.
    pub fn bootstrap(mut self, bootstrap: bool) -> Self {
        self.bootstrap = bootstrap;
        self
    }

    /// The seed of the random draws (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The settings of each tree (depth, split and leaf sizes, criterion).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let params = RandomForest::params()
    ///     .tree(DecisionTree::params().max_depth(Some(8)).criterion(Criterion::Entropy));
    /// # let _ = params;
    /// ```
    pub fn tree(mut self, tree: DecisionTreeParams) -> Self {
        self.tree = tree;
        self
    }

    /// Grows the forest of `y` on `x` in `df`.
    ///
    /// # Errors
    ///
    /// As [`random_forest`], and for the tree settings as
    /// [`DecisionTreeParams::fit`](super::DecisionTreeParams::fit).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("a" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    ///              "b" => [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
    ///              "y" => [0, 0, 0, 0, 1, 1, 1, 1])?;
    /// let forest = RandomForest::params().n_estimators(25).max_features(MaxFeatures::All)
    ///     .seed(7).fit(&df, "y", &["a", "b"])?;
    /// assert_eq!(forest.score(&df)?, 1.0);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn fit(&self, df: &DataFrame, y: &str, x: &[&str]) -> Result<RandomForest> {
        const OP: &str = "random_forest";
        self.tree.check(OP)?;
        if self.n_estimators == 0 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "n_estimators",
                value: "0".into(),
                rule: "at least 1",
            });
        }
        let (classes, codes, data) = prepare(df, y, x, OP)?;
        let m = self.max_features.of(x.len(), OP)?;
        let ranks = ranks(&data);
        let (n, k) = (data.nrows(), classes.len());
        let mut master = SplitMix64::new(self.seed);
        let seeds: Vec<u64> = (0..self.n_estimators).map(|_| master.next_u64()).collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(self.n_estimators);
        let job = Job {
            data: &data,
            ranks: &ranks,
            codes: &codes,
            n_classes: k,
            m,
            params: self,
        };
        let results: Vec<Result<Grown>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let job = &job;
                    let seeds = &seeds;
                    std::thread::Builder::new()
                        .name(format!("random_forest-{t}"))
                        .stack_size(64 << 20)
                        .spawn_scoped(scope, move || job.run(seeds, t, threads))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|_| {
                        Err(Error::Model {
                            operation: OP,
                            reason: "a tree-growing thread panicked".into(),
                        })
                    }),
                    Err(e) => Err(Error::Model {
                        operation: OP,
                        reason: format!("cannot start a thread: {e}"),
                    }),
                })
                .collect()
        });
        let mut trees: Vec<Option<Tree>> = vec![None; self.n_estimators];
        let mut oob = Array2::<f64>::zeros((n, k));
        for grown in results {
            let grown = grown?;
            for (i, tree) in grown.trees {
                trees[i] = Some(tree);
            }
            oob += &grown.oob;
        }
        let voted: Vec<usize> = (0..n).filter(|&i| oob.row(i).sum() > 0.0).collect();
        let oob_score = (!voted.is_empty()).then(|| {
            let best = argmax_rows(&oob.select(ndarray::Axis(0), &voted));
            let hits = voted
                .iter()
                .zip(best)
                .filter(|(i, b)| codes[**i] == *b)
                .count();
            hits as f64 / voted.len() as f64
        });
        Ok(RandomForest {
            y: y.to_string(),
            x: owned(x),
            classes,
            trees: trees.into_iter().flatten().collect(),
            nobs: n,
            oob_score,
            params: *self,
            n_features: m,
        })
    }
}

/// What the threads share.
struct Job<'a> {
    data: &'a Array2<f64>,
    ranks: &'a Array2<f64>,
    codes: &'a [usize],
    n_classes: usize,
    m: usize,
    params: &'a RandomForestParams,
}

/// One thread's trees (with their index) and its out-of-bag probability sums.
struct Grown {
    trees: Vec<(usize, Tree)>,
    oob: Array2<f64>,
}

impl Job<'_> {
    /// Grows trees `first`, `first + step`, … of the forest.
    fn run(&self, seeds: &[u64], first: usize, step: usize) -> Result<Grown> {
        const OP: &str = "random_forest";
        let (n, p) = self.data.dim();
        let mut out = Grown {
            trees: Vec::new(),
            oob: Array2::zeros((n, self.n_classes)),
        };
        let mut drawn = vec![0u32; n];
        for i in (first..seeds.len()).step_by(step) {
            crate::interrupt::check()?;
            let mut rng = SplitMix64::new(seeds[i]);
            drawn.iter_mut().for_each(|d| *d = 0);
            if self.params.bootstrap {
                for _ in 0..n {
                    drawn[rng.below(n)] += 1;
                }
            } else {
                drawn.iter_mut().for_each(|d| *d = 1);
            }
            let rows: Vec<usize> = (0..n).filter(|&r| drawn[r] > 0).collect();
            let weights: Vec<f64> = rows.iter().map(|&r| f64::from(drawn[r])).collect();
            let sample = Sample {
                rows: &rows,
                weights: &weights,
            };
            let m = self.m;
            let draw = || {
                let mut features = if m == p {
                    (0..p).collect()
                } else {
                    rng.choose(p, m)
                };
                features.sort_unstable();
                features
            };
            let tree = grow(
                self.data,
                self.ranks,
                self.codes,
                self.n_classes,
                &sample,
                &self.params.tree,
                draw,
                OP,
            )?;
            for r in (0..n).filter(|&r| drawn[r] == 0) {
                let mut row = out.oob.row_mut(r);
                row.iter_mut()
                    .zip(tree.leaf(self.data, r))
                    .for_each(|(o, p)| *o += p);
            }
            out.trees.push((i, tree));
        }
        Ok(out)
    }
}

impl RandomForest {
    /// The settings: number of trees, features per split, bootstrap, seed, tree settings.
    pub fn params() -> RandomForestParams {
        RandomForestParams::default()
    }

    /// The classes, sorted, with the label column's dtype (scikit-learn's `classes_`).
    pub fn classes(&self) -> &Series {
        self.classes.values()
    }

    /// The number of trees.
    pub fn n_estimators(&self) -> usize {
        self.trees.len()
    }

    /// The accuracy on the training rows, each predicted by the trees that did not draw it
    /// (scikit-learn's `oob_score_`); `None` without bootstrap or if every row was drawn by
    /// every tree.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }

    /// `feature` and `importance`: the trees' importances averaged and normalised to sum to
    /// 1, as `feature_importances_`.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn feature_importances(&self) -> Result<DataFrame> {
        let mut total = vec![0.0; self.x.len()];
        for tree in &self.trees {
            total
                .iter_mut()
                .zip(tree.importances())
                .for_each(|(t, v)| *t += v);
        }
        let sum: f64 = total.iter().sum();
        if sum > 0.0 {
            total.iter_mut().for_each(|v| *v /= sum);
        }
        importance_table(&self.x, &total)
    }

    /// The mean of the trees' class probabilities for each row of `df`: one column per
    /// class, named by the class (`predict_proba`).
    ///
    /// # Errors
    ///
    /// As [`random_forest`] for the feature columns of `df`.
    pub fn predict_proba(&self, df: &DataFrame) -> Result<DataFrame> {
        let proba = self.proba(df, "RandomForest::predict_proba")?;
        self.classes.proba_frame(&proba)
    }

    /// The most probable class of each row of `df`, named `predicted`, with the label
    /// column's dtype.
    ///
    /// # Errors
    ///
    /// As [`random_forest`] for the feature columns of `df`.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let proba = self.proba(df, "RandomForest::predict")?;
        self.classes.decode(&argmax_rows(&proba), "predicted")
    }

    /// The accuracy on `df` (scikit-learn's `score`).
    ///
    /// # Errors
    ///
    /// As [`random_forest`] for the columns of `df`.
    pub fn score(&self, df: &DataFrame) -> Result<f64> {
        const OP: &str = "RandomForest::score";
        let proba = self.proba(df, OP)?;
        self.classes.accuracy(df, &self.y, &argmax_rows(&proba), OP)
    }

    fn proba(&self, df: &DataFrame, op: &'static str) -> Result<Array2<f64>> {
        let x = features(df, &borrowed(&self.x), op)?;
        let mut proba = Array2::zeros((x.nrows(), self.classes.len()));
        for tree in &self.trees {
            tree.add_proba(&x, &mut proba);
        }
        proba /= self.trees.len() as f64;
        Ok(proba)
    }
}

impl std::fmt::Display for RandomForest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a header (trees, features per tree, out-of-bag accuracy) and the feature
/// importances.
impl Render for RandomForest {
    fn mime_bundle(&self) -> MimeBundle {
        let depths: Vec<usize> = self.trees.iter().map(Tree::depth).collect();
        let leaves: usize = self.trees.iter().map(Tree::n_leaves).sum();
        let head = vec![
            format!(
                "Random forest of {} trees (linfa splits on {} of {} features each, {}, seed {}) \
                 for {}: {} classes, {}",
                self.trees.len(),
                self.n_features,
                self.x.len(),
                if self.params.bootstrap {
                    "bootstrap samples"
                } else {
                    "every row"
                },
                self.params.seed,
                self.y,
                self.classes.len(),
                report::rows(self.nobs)
            ),
            format!(
                "depth up to {}, {:.1} leaves per tree on average; out-of-bag accuracy {}",
                depths.iter().max().copied().unwrap_or(0),
                leaves as f64 / self.trees.len().max(1) as f64,
                self.oob_score
                    .map_or("n/a".to_string(), |s| format!("{s:.4}"))
            ),
        ];
        report::bundle(&head, self.feature_importances())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DataFrame {
        // Two informative features and two noise features, 300 rows, seeded.
        let mut rng = SplitMix64::new(11);
        let n = 300;
        let mut cols = vec![Vec::with_capacity(n); 4];
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let v: Vec<f64> = (0..4).map(|_| rng.uniform() * 2.0 - 1.0).collect();
            y.push(i32::from(
                v[0] + 0.5 * v[1] + 0.3 * (rng.uniform() - 0.5) > 0.0,
            ));
            for (c, x) in cols.iter_mut().zip(v) {
                c.push(x);
            }
        }
        df!("a" => &cols[0], "b" => &cols[1], "c" => &cols[2], "d" => &cols[3], "y" => y).unwrap()
    }

    #[test]
    fn seeded_forests_repeat_and_learn() {
        let df = data();
        let x = ["a", "b", "c", "d"];
        let f1 = random_forest(&df, "y", &x, 30, 5).unwrap();
        let f2 = random_forest(&df, "y", &x, 30, 5).unwrap();
        let p1 = f1.predict_proba(&df).unwrap();
        assert!(p1.equals(&f2.predict_proba(&df).unwrap()));
        assert_eq!(f1.oob_score(), f2.oob_score());
        let oob = f1.oob_score().unwrap();
        assert!(oob > 0.8, "{oob}");
        let imp = f1.feature_importances().unwrap();
        let imp: Vec<f64> = imp
            .column("importance")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert!(imp[0] > imp[2] && imp[0] > imp[3], "{imp:?}");
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let other = random_forest(&df, "y", &x, 30, 6).unwrap();
        assert!(!p1.equals(&other.predict_proba(&df).unwrap()));
        assert!(f1.to_string().contains("out-of-bag accuracy"));
    }

    #[test]
    fn bad_settings_are_errors() {
        let df = data();
        assert!(random_forest(&df, "y", &["a"], 0, 1).is_err());
        assert_eq!(MaxFeatures::Sqrt.of(19, "t").unwrap(), 4);
        assert_eq!(MaxFeatures::Log2.of(19, "t").unwrap(), 4);
        assert!(MaxFeatures::Count(5).of(4, "t").is_err());
        assert!(MaxFeatures::Fraction(0.0).of(4, "t").is_err());
        assert!(
            RandomForest::params()
                .tree(DecisionTree::params().min_samples_split(1))
                .fit(&df, "y", &["a"])
                .is_err()
        );
    }

    use super::super::DecisionTree;
}

//! Decision tree classifier, [`decision_tree`], as scikit-learn's `DecisionTreeClassifier`:
//! every split is found by linfa-trees, the tree around the splits is the prelude's own.
//!
//! **How it is grown.** Node by node, from the root: linfa fits a one-split `DecisionTree`
//! (depth 1) on the rows of the node, which gives the best split of that node, and the rows
//! are partitioned here for the next nodes. Why not one call to linfa for the whole tree:
//! linfa-trees 0.8.1 scans the whole training set at every node (so deep trees cost
//! O(n) per node and feature rather than O(rows of the node)), it decides whether two values
//! are tied by comparing a row with its neighbour in the *whole* training set rather than in
//! the node, so in inner nodes it never considers the split after a group of tied values
//! unless the group's last row happens to be in the node (discrete features such as flags
//! or prices on a tick grid lose most of their splits), and it cannot draw features per
//! split, which a random forest needs. A one-split fit on the node's own rows has none of
//! these problems, and the split itself (impurity, candidate thresholds, minimum leaf weight,
//! minimum decrease) is still linfa's.
//!
//! Where the result differs from scikit-learn's:
//!
//! - Among equally good splits linfa keeps the first feature in column order; scikit-learn
//!   visits the features in a random order. linfa computes impurities in `f32`.
//! - linfa treats values closer than 1e-5 as equal, which on data such as daily returns
//!   (gaps of 1e-5 and less) would hide split points: the splits are therefore searched on
//!   each feature's ranks (0, 1, 2… over its distinct values), which give the same
//!   partitions at every real gap. Thresholds are then set on the original scale halfway
//!   between the largest value sent left and the smallest sent right: scikit-learn's rule.
//! - A node becomes a leaf when it is pure, holds fewer than `min_samples_split` rows, is at
//!   `max_depth`, or when its best split lowers the impurity by less than
//!   `min_impurity_decrease` (default 1e-5, linfa's, which must be positive;
//!   scikit-learn's default is 0 and weighs the decrease by the node's share of the rows,
//!   linfa does not).
//! - Leaf probabilities are the weighted class shares of the training rows in the leaf; the
//!   feature importances are the total weighted impurity decrease per feature, normalised
//!   to sum to 1 (scikit-learn's `feature_importances_`). Predictions are the most probable
//!   class, the first of ties, as scikit-learn's.

use linfa::prelude::*;
use linfa_trees::SplitQuality;
use ndarray::{Array1, Array2, ShapeBuilder};
use polars::prelude::*;

use super::classify::{Classes, argmax_rows};
use super::logistic::label_among_features;
use super::matrix::{borrowed, check_names, features, owned};
use super::report;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// How a split's quality is measured (scikit-learn's `criterion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Criterion {
    /// Gini impurity, 1 − Σ pₖ² (the default).
    #[default]
    Gini,
    /// Entropy, −Σ pₖ log pₖ.
    Entropy,
}

/// The settings of a decision tree, made by [`DecisionTree::params`]; also the settings of
/// each tree of a [`RandomForest`](super::RandomForest).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionTreeParams {
    criterion: Criterion,
    max_depth: Option<usize>,
    min_samples_split: usize,
    min_samples_leaf: usize,
    min_impurity_decrease: f64,
}

/// A fitted decision tree classifier. Made by [`decision_tree`]; shows as its size and
/// feature importances.
#[derive(Debug, Clone)]
pub struct DecisionTree {
    y: String,
    x: Vec<String>,
    classes: Classes,
    tree: Tree,
    nobs: usize,
    params: DecisionTreeParams,
}

/// A decision tree classifier of the label column `y` (boolean, integer or string, any
/// number of classes) on the numeric columns `x`, grown to full depth (Gini impurity), as
/// scikit-learn's `DecisionTreeClassifier().fit(X, y)`; see the module documentation for how
/// linfa's tree differs.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::MissingValues`] for the
/// columns; [`Error::InvalidParameter`] for an empty frame or list, a label with one class,
/// or `y` among the features.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
///              "z" => [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
///              "c" => ["lo", "lo", "lo", "hi", "hi", "hi"])?;
/// let tree = decision_tree(&df, "c", &["x", "z"])?;
/// assert_eq!(tree.n_leaves(), 2);
/// assert_eq!(tree.predict(&df!("x" => [3.4, 3.6], "z" => [0.0, 0.0])?)?.str()?.get(1), Some("hi"));
/// assert_eq!(tree.feature_importances()?.column("importance")?.f64()?.get(0), Some(1.0));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn decision_tree(df: &DataFrame, y: &str, x: &[&str]) -> Result<DecisionTree> {
    DecisionTree::params().fit(df, y, x)
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        DecisionTreeParams {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_impurity_decrease: 1e-5,
        }
    }
}

impl DecisionTreeParams {
    /// The split quality measure (default [`Criterion::Gini`]).
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// The deepest a leaf may be (the root is at depth 0); `None` (the default) grows until
    /// the leaves are pure or too small to split.
    pub fn max_depth(mut self, max_depth: Option<usize>) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// The fewest rows a node needs to be split (default 2).
    pub fn min_samples_split(mut self, n: usize) -> Self {
        self.min_samples_split = n;
        self
    }

    /// The least weight of rows (their number, or their bootstrap count in a forest) each
    /// side of a split must keep (default 1).
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }

    /// The least impurity decrease a split must bring (default 1e-5, linfa's; unweighted by
    /// the node's share of the rows, unlike scikit-learn's).
    pub fn min_impurity_decrease(mut self, decrease: f64) -> Self {
        self.min_impurity_decrease = decrease;
        self
    }

    /// Fits the tree of `y` on `x` in `df`.
    ///
    /// # Errors
    ///
    /// As [`decision_tree`]; [`Error::InvalidParameter`] for `min_samples_split < 2`,
    /// `min_samples_leaf < 1`, `max_depth = Some(0)` or a `min_impurity_decrease` that is
    /// not positive; [`Error::Model`] if linfa fails.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [0, 1, 0, 1])?;
    /// let stump = DecisionTree::params().max_depth(Some(1)).fit(&df, "y", &["x"])?;
    /// assert_eq!(stump.depth(), 1);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn fit(&self, df: &DataFrame, y: &str, x: &[&str]) -> Result<DecisionTree> {
        const OP: &str = "decision_tree";
        self.check(OP)?;
        let (classes, codes, data) = prepare(df, y, x, OP)?;
        let ranks = ranks(&data);
        let n = data.nrows();
        let rows: Vec<usize> = (0..n).collect();
        let weights = vec![1.0; n];
        let sample = Sample {
            rows: &rows,
            weights: &weights,
        };
        let p = x.len();
        let tree = grow(
            &data,
            &ranks,
            &codes,
            classes.len(),
            &sample,
            self,
            || (0..p).collect(),
            OP,
        )?;
        Ok(DecisionTree {
            y: y.to_string(),
            x: owned(x),
            classes,
            tree,
            nobs: n,
            params: *self,
        })
    }

    pub(crate) fn check(&self, op: &'static str) -> Result<()> {
        let bad = |name, value: String, rule| {
            Err(Error::InvalidParameter {
                operation: op,
                name,
                value,
                rule,
            })
        };
        if self.min_samples_split < 2 {
            return bad(
                "min_samples_split",
                self.min_samples_split.to_string(),
                "at least 2",
            );
        }
        if self.min_samples_leaf < 1 {
            return bad("min_samples_leaf", "0".into(), "at least 1");
        }
        if self.max_depth == Some(0) {
            return bad("max_depth", "Some(0)".into(), "at least 1, or None");
        }
        if !(self.min_impurity_decrease > 0.0 && self.min_impurity_decrease.is_finite()) {
            return bad(
                "min_impurity_decrease",
                self.min_impurity_decrease.to_string(),
                "positive and finite (linfa needs > 0; use 1e-12 for almost none)",
            );
        }
        Ok(())
    }
}

/// The classes and codes of `y` and the matrix of `x`, checked, for the tree models.
pub(crate) fn prepare(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    op: &'static str,
) -> Result<(Classes, Vec<usize>, Array2<f64>)> {
    check_names(x, "x", op)?;
    if x.contains(&y) {
        return Err(label_among_features(op, y));
    }
    let (classes, codes) = Classes::fit(df, y, op)?;
    let data = features(df, x, op)?;
    Ok((classes, codes, data))
}

/// Each column's dense ranks (0 for its smallest value, +1 at each larger distinct value),
/// as `f64`, column-major.
pub(crate) fn ranks(x: &Array2<f64>) -> Array2<f64> {
    let (n, p) = x.dim();
    let mut ranks = Array2::<f64>::zeros((n, p).f());
    let mut order: Vec<usize> = (0..n).collect();
    for j in 0..p {
        let column = x.column(j);
        order.sort_unstable_by(|&a, &b| column[a].total_cmp(&column[b]));
        let mut rank = 0.0;
        for (k, &i) in order.iter().enumerate() {
            if k > 0 && column[i] != column[order[k - 1]] {
                rank += 1.0;
            }
            ranks[(i, j)] = rank;
        }
    }
    ranks
}

/// The rows one tree is grown on, with their weights (bootstrap counts in a forest).
pub(crate) struct Sample<'a> {
    pub(crate) rows: &'a [usize],
    pub(crate) weights: &'a [f64],
}

/// A grown tree, in the prelude's form: thresholds on the original scale, class
/// probabilities at the leaves.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    /// Per feature of the full matrix, normalised to sum to 1 (all 0 for a single leaf).
    importances: Vec<f64>,
    depth: usize,
    n_leaves: usize,
}

#[derive(Debug, Clone)]
enum Node {
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    Leaf {
        proba: Vec<f64>,
    },
}

/// A node waiting to be split: its rows with their weights, and its depth.
struct Pending {
    id: usize,
    rows: Vec<(usize, f64)>,
    depth: usize,
}

/// Grows one tree node by node: each node's best split is found by linfa (a depth-1
/// `DecisionTree` fitted on the node's rows, on the ranks of the features `draw` picks for
/// that node), and the rows are partitioned here. Thresholds are set on the scale of `x`,
/// leaf probabilities and importances from the sample's weighted rows.
pub(crate) fn grow(
    x: &Array2<f64>,
    ranks: &Array2<f64>,
    codes: &[usize],
    n_classes: usize,
    sample: &Sample<'_>,
    params: &DecisionTreeParams,
    mut draw: impl FnMut() -> Vec<usize>,
    op: &'static str,
) -> Result<Tree> {
    let k = n_classes;
    let class_weights = |rows: &[(usize, f64)]| {
        let mut w = vec![0.0; k];
        for &(r, weight) in rows {
            w[codes[r]] += weight;
        }
        w
    };
    let impurity = |w: &[f64]| {
        let total: f64 = w.iter().sum();
        let value = if total <= 0.0 {
            0.0
        } else {
            match params.criterion {
                Criterion::Gini => 1.0 - w.iter().map(|c| (c / total).powi(2)).sum::<f64>(),
                Criterion::Entropy => -w
                    .iter()
                    .filter(|&&c| c > 0.0)
                    .map(|c| c / total * (c / total).ln())
                    .sum::<f64>(),
            }
        };
        (total, value)
    };
    let stump = linfa_trees::DecisionTree::params()
        .split_quality(match params.criterion {
            Criterion::Gini => SplitQuality::Gini,
            Criterion::Entropy => SplitQuality::Entropy,
        })
        .max_depth(Some(1))
        .min_weight_split(params.min_samples_split as f32)
        .min_weight_leaf(params.min_samples_leaf as f32)
        .min_impurity_decrease(params.min_impurity_decrease);

    let mut importances = vec![0.0; x.ncols()];
    let mut nodes = vec![Node::Leaf { proba: vec![] }];
    let mut stack = vec![Pending {
        id: 0,
        rows: sample
            .rows
            .iter()
            .copied()
            .zip(sample.weights.iter().copied())
            .collect(),
        depth: 0,
    }];
    while let Some(node) = stack.pop() {
        crate::interrupt::check()?;
        let weights = class_weights(&node.rows);
        let leaf = |w: &[f64]| {
            let total: f64 = w.iter().sum();
            Node::Leaf {
                proba: w
                    .iter()
                    .map(|c| {
                        if total > 0.0 {
                            c / total
                        } else {
                            1.0 / k as f64
                        }
                    })
                    .collect(),
            }
        };
        let pure = weights.iter().filter(|&&w| w > 0.0).count() <= 1;
        if pure
            || node.rows.len() < params.min_samples_split
            || params.max_depth.is_some_and(|d| node.depth >= d)
        {
            nodes[node.id] = leaf(&weights);
            continue;
        }
        let features = draw();
        let records = Array2::from_shape_fn((node.rows.len(), features.len()).f(), |(i, j)| {
            ranks[(node.rows[i].0, features[j])]
        });
        let targets: Array1<usize> = node.rows.iter().map(|&(r, _)| codes[r]).collect();
        let row_weights: Array1<f32> = node.rows.iter().map(|&(_, w)| w as f32).collect();
        let fitted = stump
            .fit(&DatasetBase::new(records, targets).with_weights(row_weights))
            .map_err(|e| Error::Model {
                operation: op,
                reason: e.to_string(),
            })?;
        // linfa leaves the chosen split in the root even when it prunes the two leaves
        // (same majority class on both sides); a root with no split has a decrease of 0.
        let (local, rank, decrease) = fitted.root_node().split();
        if decrease <= 0.0 {
            nodes[node.id] = leaf(&weights);
            continue;
        }
        let feature = features[local];
        let (mut left, mut right) = (Vec::new(), Vec::new());
        let (mut max_left, mut min_right) = (f64::NEG_INFINITY, f64::INFINITY);
        for &(r, w) in &node.rows {
            let value = x[(r, feature)];
            if ranks[(r, feature)] <= rank {
                max_left = max_left.max(value);
                left.push((r, w));
            } else {
                min_right = min_right.min(value);
                right.push((r, w));
            }
        }
        if left.is_empty() || right.is_empty() {
            nodes[node.id] = leaf(&weights);
            continue;
        }
        let (wt, it) = impurity(&weights);
        let (wl, il) = impurity(&class_weights(&left));
        let (wr, ir) = impurity(&class_weights(&right));
        importances[feature] += wt * it - wl * il - wr * ir;
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::Leaf { proba: vec![] });
        nodes.push(Node::Leaf { proba: vec![] });
        nodes[node.id] = Node::Split {
            feature,
            threshold: midpoint(max_left, min_right),
            left: l,
            right: r,
        };
        stack.push(Pending {
            id: r,
            rows: right,
            depth: node.depth + 1,
        });
        stack.push(Pending {
            id: l,
            rows: left,
            depth: node.depth + 1,
        });
    }
    let total: f64 = importances.iter().sum();
    if total > 0.0 {
        importances.iter_mut().for_each(|v| *v /= total);
    }
    let (depth, n_leaves) = size(&nodes);
    Ok(Tree {
        nodes,
        importances,
        depth,
        n_leaves,
    })
}

/// Halfway between the largest value sent left and the smallest sent right; the left one
/// where the halfway point rounds to the right one (scikit-learn's rule for adjacent floats).
fn midpoint(left: f64, right: f64) -> f64 {
    match (left.is_finite(), right.is_finite()) {
        (true, true) => {
            let mid = left / 2.0 + right / 2.0;
            if mid >= right || mid < left {
                left
            } else {
                mid
            }
        }
        (true, false) => left,
        (false, true) => right - right.abs().max(1.0) * f64::EPSILON,
        (false, false) => 0.0,
    }
}

/// The depth (root at 0) and the number of leaves.
fn size(nodes: &[Node]) -> (usize, usize) {
    let (mut depth, mut leaves) = (0, 0);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((id, d)) = stack.pop() {
        match nodes[id] {
            Node::Split { left, right, .. } => {
                stack.push((left, d + 1));
                stack.push((right, d + 1));
            }
            Node::Leaf { .. } => {
                leaves += 1;
                depth = depth.max(d);
            }
        }
    }
    (depth, leaves)
}

impl Tree {
    /// Adds this tree's class probabilities for each row of `x` to `out` (n × classes).
    pub(crate) fn add_proba(&self, x: &Array2<f64>, out: &mut Array2<f64>) {
        for (i, mut row) in out.rows_mut().into_iter().enumerate() {
            let proba = self.leaf(x, i);
            row.iter_mut().zip(proba).for_each(|(o, p)| *o += p);
        }
    }

    /// The class probabilities of the leaf row `i` of `x` falls in.
    pub(crate) fn leaf(&self, x: &Array2<f64>, i: usize) -> &[f64] {
        let mut id = 0;
        loop {
            match &self.nodes[id] {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    id = if x[(i, *feature)] <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
                Node::Leaf { proba } => return proba,
            }
        }
    }

    pub(crate) fn importances(&self) -> &[f64] {
        &self.importances
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    pub(crate) fn n_leaves(&self) -> usize {
        self.n_leaves
    }

    /// The rules of the tree as indented text, as scikit-learn's `export_text`.
    fn text(&self, names: &[String], classes: &[String]) -> String {
        let mut out = String::new();
        let mut stack = vec![(0usize, 0usize, None::<String>)];
        while let Some((id, depth, rule)) = stack.pop() {
            let indent = "|   ".repeat(depth.saturating_sub(1));
            if let Some(rule) = rule {
                out.push_str(&format!("{indent}|--- {rule}\n"));
            }
            match &self.nodes[id] {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let name = &names[*feature];
                    stack.push((*right, depth + 1, Some(format!("{name} >  {threshold:.6}"))));
                    stack.push((*left, depth + 1, Some(format!("{name} <= {threshold:.6}"))));
                }
                Node::Leaf { proba } => {
                    let best =
                        (0..proba.len()).fold(0, |b, k| if proba[k] > proba[b] { k } else { b });
                    let indent = "|   ".repeat(depth);
                    out.push_str(&format!("{indent}|--- class: {}\n", classes[best]));
                }
            }
        }
        out
    }
}

impl DecisionTree {
    /// The settings: criterion, depth and size limits.
    pub fn params() -> DecisionTreeParams {
        DecisionTreeParams::default()
    }

    /// The classes, sorted, with the label column's dtype (scikit-learn's `classes_`).
    pub fn classes(&self) -> &Series {
        self.classes.values()
    }

    /// The depth of the deepest leaf (the root is at depth 0), as `get_depth()`.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The number of leaves, as `get_n_leaves()`.
    pub fn n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }

    /// `feature` and `importance` (the share of the total impurity decrease brought by the
    /// splits on that feature, weighted by the rows they split), as `feature_importances_`.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn feature_importances(&self) -> Result<DataFrame> {
        importance_table(&self.x, self.tree.importances())
    }

    /// The tree's rules as indented text, as scikit-learn's `export_text(tree)`.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => ["a", "a", "b", "b"])?;
    /// assert!(decision_tree(&df, "y", &["x"])?.export_text().starts_with("|--- x <= 2.5"));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn export_text(&self) -> String {
        self.tree.text(&self.x, self.classes.names())
    }

    /// The probability of each class for each row of `df` (the class shares of the leaf it
    /// falls in): one column per class, named by the class (`predict_proba`).
    ///
    /// # Errors
    ///
    /// As [`decision_tree`] for the feature columns of `df`.
    pub fn predict_proba(&self, df: &DataFrame) -> Result<DataFrame> {
        let proba = self.proba(df, "DecisionTree::predict_proba")?;
        self.classes.proba_frame(&proba)
    }

    /// The most probable class of each row of `df`, named `predicted`, with the label
    /// column's dtype.
    ///
    /// # Errors
    ///
    /// As [`decision_tree`] for the feature columns of `df`.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let proba = self.proba(df, "DecisionTree::predict")?;
        self.classes.decode(&argmax_rows(&proba), "predicted")
    }

    /// The accuracy on `df` (scikit-learn's `score`).
    ///
    /// # Errors
    ///
    /// As [`decision_tree`] for the columns of `df`.
    pub fn score(&self, df: &DataFrame) -> Result<f64> {
        const OP: &str = "DecisionTree::score";
        let proba = self.proba(df, OP)?;
        self.classes.accuracy(df, &self.y, &argmax_rows(&proba), OP)
    }

    fn proba(&self, df: &DataFrame, op: &'static str) -> Result<Array2<f64>> {
        let x = features(df, &borrowed(&self.x), op)?;
        let mut proba = Array2::zeros((x.nrows(), self.classes.len()));
        self.tree.add_proba(&x, &mut proba);
        Ok(proba)
    }
}

/// A `feature | importance` frame.
pub(crate) fn importance_table(names: &[String], importances: &[f64]) -> Result<DataFrame> {
    Ok(DataFrame::new(
        names.len(),
        vec![
            Column::new("feature".into(), names.to_vec()),
            Column::new("importance".into(), importances.to_vec()),
        ],
    )?)
}

impl std::fmt::Display for DecisionTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a header (criterion, depth, leaves) and the feature importances.
impl Render for DecisionTree {
    fn mime_bundle(&self) -> MimeBundle {
        let head = vec![format!(
            "Decision tree ({:?}) of {} on {} features: {} classes, {}; depth {}, {} leaves",
            self.params.criterion,
            self.y,
            self.x.len(),
            self.classes.len(),
            report::rows(self.nobs),
            self.depth(),
            self.n_leaves()
        )];
        report::bundle(&head, self.feature_importances())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_dense_and_thresholds_are_on_the_original_scale() {
        let x = ndarray::array![[0.5], [0.1], [0.5], [0.3]];
        assert_eq!(ranks(&x).column(0).to_vec(), [2.0, 0.0, 2.0, 1.0]);
        // Values 1e-7 apart: linfa alone would treat them as equal (its tolerance is 1e-5).
        let x: Vec<f64> = (0..8).map(|i| 0.01 + i as f64 * 1e-7).collect();
        let df = df!("x" => x, "y" => [0, 0, 0, 0, 1, 1, 1, 1]).unwrap();
        let tree = decision_tree(&df, "y", &["x"]).unwrap();
        assert_eq!(tree.n_leaves(), 2);
        assert_eq!(tree.score(&df).unwrap(), 1.0);
        let Node::Split { threshold, .. } = tree.tree.nodes[0] else {
            panic!("a split")
        };
        assert!((threshold - (0.01 + 3.5e-7)).abs() < 1e-15, "{threshold}");
        assert_eq!(midpoint(1.0, 1.0 + f64::EPSILON), 1.0);
    }

    #[test]
    fn probabilities_and_importances_match_scikit_learn() {
        // scikit-learn 1.8: DecisionTreeClassifier(max_depth=2).fit(X, y) on these rows:
        //   export_text: a <= 2.25, then b <= 0.5 on the left;
        //   predict_proba(X)[:, 0] = [1, 1, 0, 0, 0, 0, 0, 0];
        //   feature_importances_ = [0.55555556, 0.44444444] (5/9 and 4/9).
        let df = df!(
            "a" => [1.0, 2.0, 3.0, 1.5, 2.5, 3.2, 4.0, 5.0],
            "b" => [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0],
            "y" => [0, 0, 1, 1, 1, 1, 1, 1]
        )
        .unwrap();
        let tree = DecisionTree::params()
            .max_depth(Some(2))
            .fit(&df, "y", &["a", "b"])
            .unwrap();
        let p = tree.predict_proba(&df).unwrap();
        let p0: Vec<f64> = p
            .column("0")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(p0, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let imp = tree.feature_importances().unwrap();
        let imp: Vec<f64> = imp
            .column("importance")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert!((imp[0] - 5.0 / 9.0).abs() < 1e-12, "{imp:?}");
        let text = tree.export_text();
        assert!(
            text.starts_with("|--- a <= 2.250000\n|   |--- b <= 0.500000"),
            "{text}"
        );
        assert_eq!((tree.depth(), tree.n_leaves()), (2, 3));
    }

    #[test]
    fn a_split_with_the_same_majority_on_both_sides_is_kept() {
        // linfa prunes a split whose two leaves predict the same class, but leaves the split
        // in the root: the tree must still split here, as scikit-learn's
        // DecisionTreeClassifier(min_samples_leaf=5) does (x <= 4.5, left shares 3/5, 2/5).
        let x: Vec<f64> = (0..12).map(f64::from).collect();
        let y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let df = df!("x" => x, "y" => y).unwrap();
        let tree = DecisionTree::params()
            .min_samples_leaf(5)
            .fit(&df, "y", &["x"])
            .unwrap();
        assert_eq!(tree.n_leaves(), 2, "{}", tree.export_text());
        assert!(
            tree.export_text().starts_with("|--- x <= 4.500000"),
            "{}",
            tree.export_text()
        );
        let p = tree.predict_proba(&df).unwrap();
        assert_eq!(p.column("1").unwrap().f64().unwrap().get(0), Some(0.4));
    }
}

//! Models, the fitting stage: [`ols()`], ordinary least squares as statsmodels' `OLS(y, X).fit()`,
//! and machine learning models as scikit-learn's.
//!
//! Names and numbers follow statsmodels: an intercept named `const` (as `add_constant`),
//! `params`, `bse`, `tvalues`, `pvalues`, `conf_int(alpha)`, `rsquared`, `fvalue`, `llf`,
//! `aic`, `bic`… and a [`Summary`] laid out as `results.summary()`. Coefficient tables are
//! labelled `DataFrame`s, so they show as tables.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let fit = ols(&sp500()?, "JPM", &["BAC", "KO"])?;
//! assert_eq!(fit.exog_names(), ["const", "BAC", "KO"]);
//! assert!(fit.rsquared() > 0.0 && fit.rsquared() < 1.0);
//! assert!(fit.summary().to_string().contains("Durbin-Watson"));
//! # Ok::<(), eddy::Error>(())
//! ```
//!
//! Machine learning in the style of scikit-learn and Spark MLlib, through linfa, DataFrame in
//! and DataFrame out: classifiers [`logistic`], [`gaussian_nb`], [`decision_tree`],
//! [`random_forest`] (`predict`, `predict_proba`, `score`), clustering [`kmeans`], [`pca`],
//! and the scalers [`StandardScaler`] and [`MinMaxScaler`]. Columns are named; a label column
//! is boolean, integer or string, and predictions come back with its dtype. Each model's
//! module says where linfa's algorithm differs from scikit-learn's and what is done about it.
//! The frame is copied once into the ndarray 0.16 matrix linfa needs (polars itself speaks
//! ndarray 0.17); nulls, NaNs and infinities are an error naming the column, never dropped
//! silently.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let r = returns(&sp500()?, ReturnKind::Simple)?;
//! let df = r.lazy().with_column(col("JPM").gt(lit(0.0)).alias("up")).collect()?;
//! let (train, test) = train_test_split(&df, 0.2)?;
//! let x = ["BAC", "AAPL", "KO", "XOM"];
//! let fit = logistic(&train, "up", &x)?;
//! assert!(fit.score(&test)? > 0.7);
//! assert_eq!(fit.predict(&test)?.dtype(), &DataType::Boolean);
//! # Ok::<(), eddy::Error>(())
//! ```

#[doc(hidden)]
pub mod accumulator;
mod classify;
#[doc(hidden)]
pub mod forest;
#[doc(hidden)]
pub mod kmeans;
#[doc(hidden)]
pub mod logistic;
mod matrix;
#[doc(hidden)]
pub mod naive_bayes;
#[doc(hidden)]
pub mod ols;
#[doc(hidden)]
pub mod pca;
#[doc(hidden)]
pub mod penalized;
mod report;
mod rng;
#[doc(hidden)]
pub mod scale;
mod summary;
#[doc(hidden)]
pub mod tree;

pub use accumulator::OlsAccumulator;
pub use forest::{MaxFeatures, RandomForest, RandomForestParams, random_forest};
pub use kmeans::{KMeans, KMeansParams, kmeans};
pub use logistic::{Logistic, LogisticParams, logistic};
pub use naive_bayes::{GaussianNb, GaussianNbParams, gaussian_nb};
pub use ols::{Ols, ols};
pub use pca::{Pca, pca};
pub use penalized::{
    CvPath, Folds, Penalized, Penalty, cross_validate, elastic_net, lasso, logspace, ridge,
    train_test_split,
};
pub use scale::{MinMaxScaler, StandardScaler};
pub use summary::Summary;
pub use tree::{Criterion, DecisionTree, DecisionTreeParams, decision_tree};

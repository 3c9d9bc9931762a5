//! Everything a cell has in scope: `use eddy::prelude::*;`.
//!
//! polars' prelude (`DataFrame`, `col`, `lit`, `df!`…), then eddy's functions and traits.
//! `eddy::Error` and `eddy::Result` are not re-exported here, so `Result` keeps meaning the
//! standard one in cells.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let df: DataFrame = sp500()?;
//! let _chart: Chart = line(&df, "Date", &["KO"])?;
//! # Ok::<(), eddy::Error>(())
//! ```

#[doc(no_inline)]
pub use polars::prelude::*;

#[doc(no_inline)]
pub use crate::data::{
    Cleaned, NullPolicy, OutlierRule, ReturnKind, fill_nulls, outliers, read_prices, returns,
    sp500, to_long, to_wide,
};
#[doc(no_inline)]
pub use crate::display::{
    DisplayHandle, EvcxrDisplay, Html, MimeBundle, Progress, Render, display, progress,
};
#[doc(no_inline)]
pub use crate::model::{
    Criterion, DecisionTree, DecisionTreeParams, GaussianNb, GaussianNbParams, KMeans,
    KMeansParams, Logistic, LogisticParams, MaxFeatures, MinMaxScaler, Pca, RandomForest,
    RandomForestParams, StandardScaler, decision_tree, gaussian_nb, kmeans, logistic, pca,
    random_forest,
};
#[doc(no_inline)]
pub use crate::model::{
    CvPath, Folds, Ols, OlsAccumulator, Penalized, Penalty, Summary, cross_validate, elastic_net,
    lasso, logspace, ols, ridge, train_test_split,
};
#[doc(no_inline)]
pub use crate::plot::{
    Chart, Png, heatmap, hist, hist_kde, line, predicted_vs_actual, qqplot, residplot, scatter,
    scatter_fit,
};
pub use crate::spark::{JoinHow, Spark, SparkFrame, spark, spark_default};
#[doc(no_inline)]
pub use crate::stats::{
    Alternative, Bandwidth, Cdf, CorrMethod, Kde, Moments, TestResult, chi2_contingency, chisquare,
    corr, cov, describe, gaussian_kde, jarque_bera, ks_2samp, kstest, pearsonr, ttest_1samp,
    ttest_ind, ttest_rel,
};
pub use crate::store::{Consistency, Store};
#[doc(no_inline)]
pub use crate::stream::{
    Batches, IntoQuotes, Market, ParquetSink, Quote, RunningStream, Span, Speed, State, Stream,
    StreamState, StreamStats, Trigger, create_topic, replay_to_kafka,
};

/// Calendar dates, as in `NaiveDate::from_ymd_opt(2020, 1, 1)` to compare with a `Date` column.
#[doc(no_inline)]
pub use chrono::NaiveDate;

//! [`TestResult`], what every hypothesis test returns, and the [`Alternative`] hypothesis.

use std::fmt;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::display::{MimeBundle, Render};

/// The alternative hypothesis, as scipy's `alternative=` argument.
///
/// ```
/// use eddy::prelude::*;
///
/// let x = Series::new("x".into(), [0.3, 0.9, 1.2, 0.8, 1.1]);
/// let greater = ttest_1samp(&x, 0.0, Alternative::Greater)?;
/// let two_sided = ttest_1samp(&x, 0.0, Alternative::TwoSided)?;
/// assert!((2.0 * greater.pvalue - two_sided.pvalue).abs() < 1e-15);
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Alternative {
    /// The statistic differs from its null value in either direction (`'two-sided'`).
    #[default]
    TwoSided,
    /// The statistic is below its null value (`'less'`).
    Less,
    /// The statistic is above its null value (`'greater'`).
    Greater,
}

/// The outcome of a hypothesis test: the statistic, its p-value and, where the test has one,
/// the degrees of freedom. `name` is scipy's result class, e.g. `TtestResult`.
///
/// Shows as scipy prints it, `TtestResult(statistic=…, pvalue=…, df=…)`, and in notebooks as
/// a small table.
///
/// ```
/// use eddy::prelude::*;
///
/// let x = Series::new("x".into(), [1.0, 2.0, 3.0, 4.0]);
/// let res = ttest_1samp(&x, 2.5, Alternative::TwoSided)?;
/// assert_eq!((res.statistic, res.pvalue, res.df), (0.0, 1.0, Some(3.0)));
/// assert_eq!(res.to_string(), "TtestResult(statistic=0.0, pvalue=1.0, df=3.0)");
/// assert!(res.mime_bundle().get("text/html").unwrap().contains("<td>TtestResult</td>"));
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// The test statistic (t, r, χ²…).
    pub statistic: f64,
    /// The p-value under the null hypothesis.
    pub pvalue: f64,
    /// The degrees of freedom of the reference distribution, if it has one the user sees.
    pub df: Option<f64>,
    /// scipy's name for the result, e.g. `TtestResult`.
    pub name: &'static str,
}

impl fmt::Display for TestResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}(statistic={:?}, pvalue={:?}",
            self.name, self.statistic, self.pvalue
        )?;
        if let Some(df) = self.df {
            write!(f, ", df={df:?}")?;
        }
        write!(f, ")")
    }
}

/// Its [`Display`](fmt::Display) line as text, and a table of test, statistic, p-value and df
/// as HTML.
impl Render for TestResult {
    fn mime_bundle(&self) -> MimeBundle {
        let df = self.df.map_or(String::new(), |df| format!("<td>{df}</td>"));
        let df_head = if self.df.is_some() { "<th>df</th>" } else { "" };
        let html = format!(
            "<table class=\"eddy-test-result\"><thead><tr><th>test</th><th>statistic</th>\
             <th>pvalue</th>{df_head}</tr></thead><tbody><tr><td>{}</td><td>{}</td><td>{}</td>\
             {df}</tr></tbody></table>",
            self.name, self.statistic, self.pvalue
        );
        MimeBundle::new(self.to_string()).with("text/html", html)
    }
}

/// The p-value of `t` under a Student t distribution with `df` degrees of freedom.
pub(super) fn t_pvalue(t: f64, df: f64, alternative: Alternative) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let Ok(dist) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    match alternative {
        Alternative::Less => dist.cdf(t),
        Alternative::Greater => dist.sf(t),
        Alternative::TwoSided => (2.0 * dist.cdf(-t.abs())).min(1.0),
    }
}

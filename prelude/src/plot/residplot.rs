//! [`residplot`]: the residuals of a least-squares fit against its fitted values.

use super::axis::Scale;
use super::chart::{Chart, Kind};
use super::scatter::{LineStyle, RefLine, ScatterData, finite_pairs};
use crate::error::{Error, Result};
use crate::model::Ols;

/// The residuals of `fit` against its fitted values, with a dashed line at zero: the first
/// check of a linear model, as statsmodels' `plot_regress_exog` panel or seaborn's `residplot`
/// (without its smoother). A funnel shape suggests heteroscedasticity, a curve a missing term.
///
/// One point per row the fit used ([`Ols::fittedvalues`], [`Ols::resid`]). The title names the
/// model, e.g. `Residuals vs fitted: JPM ~ BAC + C`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] if the fit has no residuals (a fit from sufficient statistics,
/// [`OlsAccumulator::fit`](crate::model::OlsAccumulator::fit): see
/// [`Ols::has_residuals`]).
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = ols(&sp500()?, "JPM", &["BAC", "WMT"])?;
/// let svg = residplot(&fit)?.svg()?;
/// assert!(svg.contains("Residuals vs fitted: JPM ~ BAC + WMT") && svg.contains("residuals"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn residplot(fit: &Ols) -> Result<Chart> {
    const OP: &str = "residplot";
    if !fit.has_residuals() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "fit",
            value: "a fit from sufficient statistics, which keeps no residuals".into(),
            rule: "a fit with residuals (made by `ols(&df, y, &x)`, not `OlsAccumulator::fit`)",
        });
    }
    let fitted = fit.fittedvalues();
    let resid = fit.resid();
    let points = finite_pairs(fitted.f64()?.iter(), resid.f64()?.iter());
    if points.is_empty() {
        return Err(Error::NoData {
            operation: OP,
            column: "resid".into(),
        });
    }
    let data = ScatterData::new(Scale::Number, points, "residuals").with_line(RefLine {
        label: None,
        intercept: 0.0,
        slope: 0.0,
        style: LineStyle::Zero,
    });
    let model = model_name(fit);
    Ok(Chart::new(
        Kind::Scatter(data),
        format!("residuals vs fitted of {model}"),
        Some("fitted values".into()),
        Some("residuals".into()),
    )
    .title(&format!("Residuals vs fitted: {model}")))
}

/// `y ~ x1 + x2`, or `y ~ k regressors` when the names would make a long title.
pub(crate) fn model_name(fit: &Ols) -> String {
    let regressors: Vec<&str> = fit
        .exog_names()
        .iter()
        .map(String::as_str)
        .filter(|name| *name != "const")
        .collect();
    let joined = regressors.join(" + ");
    if joined.chars().count() <= 40 {
        format!("{} ~ {joined}", fit.endog_name())
    } else {
        format!("{} ~ {} regressors", fit.endog_name(), regressors.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OlsAccumulator, ols};
    use crate::plot::chart::svg_has_text;
    use polars::prelude::*;

    #[test]
    fn one_point_per_row_and_a_zero_line() {
        let df = crate::data::sp500().unwrap();
        let fit = ols(&df, "JPM", &["BAC", "C"]).err();
        // `C` is not a column of the bundled data: the error lists the ones that are.
        assert!(
            fit.unwrap()
                .to_string()
                .contains("available columns: Date, AAPL")
        );
        let fit = ols(&df, "JPM", &["BAC", "WMT", "XOM"]).unwrap();
        let chart = residplot(&fit).unwrap();
        let Kind::Scatter(data) = chart.kind() else {
            panic!()
        };
        assert_eq!(data.points().len() as f64, fit.nobs());
        assert_eq!(data.lines()[0].slope, 0.0);
        assert_eq!(data.lines()[0].style, LineStyle::Zero);
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(
            &svg,
            "Residuals vs fitted: JPM ~ BAC + WMT + XOM"
        ));
        assert!(svg_has_text(&svg, "fitted values") && svg_has_text(&svg, "residuals"));
    }

    #[test]
    fn fits_without_residuals_are_refused() {
        let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [1.0, 3.0, 2.0, 5.0]).unwrap();
        let mut acc = OlsAccumulator::new("y", &["x"]);
        acc.update(&df).unwrap();
        let fit = acc.fit().unwrap();
        let err = residplot(&fit).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("residplot: fit should be a fit with residuals"),
            "{err}"
        );
    }
}

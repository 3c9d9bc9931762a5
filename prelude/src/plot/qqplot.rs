//! [`qqplot`]: the quantiles of a sample against those of the normal distribution.

use polars::prelude::{DataType, Series};
use statrs::distribution::{ContinuousCDF, Normal};

use super::axis::Scale;
use super::chart::{Chart, Kind};
use super::scatter::{LineStyle, RefLine, ScatterData, short};
use crate::error::{Error, Result};

/// A normal Q-Q plot of `x`, as statsmodels' `qqplot(x, line="s")`: the sorted sample
/// against the standard normal quantiles at the plotting positions, with the standardised
/// reference line.
///
/// - The i-th smallest value (i = 1…n) is drawn at the standard normal quantile of
///   `(i − a) / (n + 1 − 2a)` with `a = 0`, that is `i / (n + 1)`: statsmodels' default
///   plotting positions (`ProbPlot(x, a=0)`), computed with statrs' `Normal::inverse_cdf`.
/// - The line is statsmodels' `line="s"`: `y = mean(x) + std(x)·z` with the population
///   standard deviation (`np.std`, ddof = 0), i.e. the 45° line of the standardised sample.
///   Points on it are what a normal sample would give; heavy tails bend away at both ends, as
///   daily returns do.
///
/// Nulls and non-finite values are left out. The title reads `Normal Q-Q plot of name`.
///
/// # Errors
///
/// [`Error::InvalidDtype`] if `x` is not numeric, [`Error::NoData`] if no finite value is
/// left, [`Error::InvalidParameter`] for a single value.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = ols(&sp500()?, "JPM", &["BAC", "WMT"])?;
/// let svg = qqplot(&fit.resid())?.svg()?;
/// assert!(svg.contains("Normal Q-Q plot of resid") && svg.contains("theoretical quantiles"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn qqplot(x: &Series) -> Result<Chart> {
    const OP: &str = "qqplot";
    let name = x.name().to_string();
    if !x.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation: OP,
            column: name,
            dtype: x.dtype().to_string(),
            expected: "a numeric series",
        });
    }
    let cast = x.cast(&DataType::Float64)?;
    let values: Vec<f64> = cast
        .f64()?
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Err(Error::NoData {
            operation: OP,
            column: name,
        });
    }
    if values.len() < 2 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the number of finite values",
            value: "1".into(),
            rule: "at least 2 for quantiles to compare",
        });
    }
    let qq = QuantilePairs::normal(values);
    let label = format!(
        "normal line \"s\": {} + {}·z",
        like(qq.mean, qq.std),
        short(qq.std)
    );
    let n = qq.points.len();
    let data = ScatterData::new(Scale::Number, qq.points, &name).with_line(RefLine {
        label: Some(label),
        intercept: qq.mean,
        slope: qq.std,
        style: LineStyle::Fit,
    });
    Ok(Chart::new(
        Kind::Scatter(data),
        format!("normal Q-Q plot of {name}, n = {n}"),
        Some("theoretical quantiles (standard normal)".into()),
        Some("sample quantiles".into()),
    )
    .title(&format!("Normal Q-Q plot of {name}")))
}

/// `v` with as many decimals as `scale` shows with 4 significant digits, so a mean of
/// `1e-13` next to a std of 10.32 reads `0`.
fn like(v: f64, scale: f64) -> String {
    if !(scale.is_finite() && scale > 0.0) || v.abs() >= scale {
        return short(v);
    }
    let decimals = (3.0 - scale.log10().floor()).max(0.0) as usize;
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    match text.as_str() {
        "-0" | "0" => "0".into(),
        _ => text.replacen('-', "−", 1),
    }
}

/// Theoretical and sample quantiles, and the sample's mean and population std.
#[derive(Clone, Debug)]
struct QuantilePairs {
    /// `(z_i, x_(i))`, increasing.
    points: Vec<(f64, f64)>,
    mean: f64,
    std: f64,
}

impl QuantilePairs {
    /// Sorts finite `values` (at least one) and pairs them with normal quantiles of `i / (n + 1)`.
    fn normal(mut values: Vec<f64>) -> QuantilePairs {
        values.sort_by(f64::total_cmp);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        let normal = Normal::standard();
        let points = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (normal.inverse_cdf((i + 1) as f64 / (n + 1.0)), v))
            .collect();
        QuantilePairs { points, mean, std }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::chart::svg_has_text;
    use polars::prelude::NamedFrom;

    #[test]
    fn matches_statsmodels_probplot() {
        // import numpy as np, statsmodels.api as sm
        // x = np.array([3.0, -1.0, 2.5, 0.0, 7.0, 1.0])
        // pp = sm.ProbPlot(x)               # a = 0, the default of sm.qqplot
        // pp.theoretical_quantiles   -> z below;  pp.sample_quantiles -> sorted x
        // np.mean(x), np.std(x)      -> the line "s"
        let qq = QuantilePairs::normal(vec![3.0, -1.0, 2.5, 0.0, 7.0, 1.0]);
        let z = [
            -1.067_570_523_878_141_4,
            -0.565_948_821_932_863_1,
            -0.180_012_369_792_705_1,
            0.180_012_369_792_704_96,
            0.565_948_821_932_863_1,
            1.067_570_523_878_141_2,
        ];
        let sorted = [-1.0, 0.0, 1.0, 2.5, 3.0, 7.0];
        for ((got_z, got_x), (want_z, want_x)) in qq.points.iter().zip(z.iter().zip(sorted)) {
            assert!((got_z - want_z).abs() < 1e-9, "{got_z} vs {want_z}");
            assert_eq!(*got_x, want_x);
        }
        assert!((qq.mean - 2.083_333_333_333_333_5).abs() < 1e-12);
        assert!((qq.std - 2.588_704_094_501_511).abs() < 1e-12, "{}", qq.std);
    }

    #[test]
    fn residuals_of_a_fit_with_labels_and_legend() {
        let df = crate::data::sp500().unwrap();
        let fit = crate::model::ols(&df, "JPM", &["BAC", "WMT"]).unwrap();
        let chart = qqplot(&fit.resid()).unwrap();
        let Kind::Scatter(data) = chart.kind() else {
            panic!()
        };
        assert_eq!(data.points().len() as f64, fit.nobs());
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(&svg, "Normal Q-Q plot of resid"));
        assert!(svg_has_text(&svg, "sample quantiles"));
        let legend = format!(
            "line &quot;s&quot;: 0 + {}·z",
            short(fit.resid().std(0).unwrap())
        );
        assert!(svg.contains(&legend), "legend {legend}");
        assert_eq!(like(0.000_438_2, 0.023_48), "0.00044");
        assert_eq!(like(-0.004, 0.023_48), "−0.004");
    }

    #[test]
    fn bad_series_are_errors() {
        let text = Series::new("t".into(), ["a", "b"]);
        assert!(matches!(qqplot(&text), Err(Error::InvalidDtype { .. })));
        let none = Series::new("e".into(), [None::<f64>, Some(f64::NAN)]);
        let err = qqplot(&none).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("qqplot: column `e` has no finite"),
            "{err}"
        );
        let one = Series::new("o".into(), [1.0]);
        assert!(matches!(qqplot(&one), Err(Error::InvalidParameter { .. })));
    }
}

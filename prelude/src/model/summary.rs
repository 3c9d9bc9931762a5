//! [`Summary`]: statsmodels' `summary()` of an [`Ols`] fit, as text and HTML.

use std::fmt;

use super::ols::Ols;
use crate::display::{MimeBundle, Render, escape_html};

/// The width of statsmodels' summary text.
const WIDTH: usize = 78;

/// The condition number above which the notes warn of multicollinearity, as statsmodels.
const LARGE_CONDITION_NUMBER: f64 = 1000.0;

/// statsmodels' `results.summary()` of an [`Ols`] fit: a header block (dependent variable,
/// R², F statistic, log-likelihood, AIC, BIC, observations, degrees of freedom), the
/// coefficient table, the residual diagnostics (Omnibus, Durbin-Watson, Jarque-Bera, skew,
/// kurtosis, condition number) and the notes. Shows as HTML tables, prints as text.
///
/// ```
/// use eddy::prelude::*;
///
/// let summary = ols(&sp500()?, "JPM", &["BAC", "KO"])?.summary();
/// let text = summary.to_string();
/// assert!(text.contains("OLS Regression Results") && text.contains("Durbin-Watson"));
/// assert!(summary.mime_bundle().get("text/html").is_some());
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Summary {
    title: &'static str,
    /// (left label, left value, right label, right value) rows of the header block.
    header: Vec<[String; 4]>,
    /// Term name and its six formatted numbers.
    coefs: Vec<(String, [String; 6])>,
    diagnostics: Vec<[String; 4]>,
    notes: Vec<String>,
}

/// statsmodels' `%#.4g`-like number: four significant digits, scientific if very large or small.
fn g4(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0.000".into();
    }
    let exponent = x.abs().log10().floor() as i32;
    if (-4..4).contains(&exponent) {
        format!("{:.*}", (3 - exponent) as usize, x)
    } else {
        format!("{x:.3e}")
    }
}

impl Summary {
    pub(super) fn new(fit: &Ols) -> Self {
        let (jb, jb_p, skew, kurtosis) = fit.jarque_bera();
        let (omni, omni_p) = fit.omnibus();
        let header = vec![
            row(
                "Dep. Variable:",
                fit.endog_name(),
                "R-squared:",
                fixed(fit.rsquared(), 3),
            ),
            row(
                "Model:",
                "OLS",
                "Adj. R-squared:",
                fixed(fit.rsquared_adj(), 3),
            ),
            row("Method:", "Least Squares", "F-statistic:", g4(fit.fvalue())),
            row(
                "No. Observations:",
                &fit.nobs().to_string(),
                "Prob (F-statistic):",
                g4(fit.f_pvalue()),
            ),
            row(
                "Df Residuals:",
                &fit.df_resid().to_string(),
                "Log-Likelihood:",
                g4(fit.llf()),
            ),
            row(
                "Df Model:",
                &fit.df_model().to_string(),
                "AIC:",
                g4(fit.aic()),
            ),
            row("Covariance Type:", "nonrobust", "BIC:", g4(fit.bic())),
        ];
        let (lower, upper) = fit.bounds(0.05).unwrap_or_else(|_| {
            (
                vec![f64::NAN; fit.params().len()],
                vec![f64::NAN; fit.params().len()],
            )
        });
        let coefs = (0..fit.params().len())
            .map(|i| {
                (
                    fit.exog_names()[i].clone(),
                    [
                        fixed(fit.params()[i], 4),
                        fixed(fit.bse()[i], 3),
                        fixed(fit.tvalues()[i], 3),
                        fixed(fit.pvalues()[i], 3),
                        fixed(lower[i], 3),
                        fixed(upper[i], 3),
                    ],
                )
            })
            .collect();
        let diagnostics = vec![
            row(
                "Omnibus:",
                &fixed(omni, 3),
                "Durbin-Watson:",
                fixed(fit.durbin_watson(), 3),
            ),
            row(
                "Prob(Omnibus):",
                &fixed(omni_p, 3),
                "Jarque-Bera (JB):",
                g4(jb),
            ),
            row("Skew:", &fixed(skew, 3), "Prob(JB):", g4(jb_p)),
            row(
                "Kurtosis:",
                &fixed(kurtosis, 3),
                "Cond. No.",
                g4(fit.condition_number()),
            ),
        ];
        let mut notes = vec![
            "Standard Errors assume that the covariance matrix of the errors is correctly specified."
                .to_string(),
        ];
        if fit.condition_number() > LARGE_CONDITION_NUMBER {
            notes.push(format!(
                "The condition number is large, {}. This might indicate that there are\nstrong multicollinearity or other numerical problems.",
                g4(fit.condition_number())
            ));
        }
        if !fit.has_residuals() {
            notes.push(
                "Fitted from sufficient statistics (XᵀX, Xᵀy, yᵀy, n): the residual diagnostics need the residuals and are not available."
                    .to_string(),
            );
        }
        if fit.dropped() > 0 {
            notes.push(format!(
                "{} rows with a null or NaN in {} or a regressor were dropped.",
                fit.dropped(),
                fit.endog_name()
            ));
        }
        Summary {
            title: "OLS Regression Results",
            header,
            coefs,
            diagnostics,
            notes,
        }
    }
}

fn fixed(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

fn row(l: &str, lv: &str, r: &str, rv: String) -> [String; 4] {
    [l.to_string(), lv.to_string(), r.to_string(), rv]
}

/// Writes two label/value cells side by side, as statsmodels' header tables.
fn write_pairs(f: &mut fmt::Formatter<'_>, rows: &[[String; 4]]) -> fmt::Result {
    for [l, lv, r, rv] in rows {
        let left = format!(
            "{l}{lv:>width$}",
            width = 38usize.saturating_sub(l.len()).max(lv.len() + 1)
        );
        let right = format!(
            "{r}{rv:>width$}",
            width = 37usize.saturating_sub(r.len()).max(rv.len() + 1)
        );
        writeln!(f, "{left}   {right}")?;
    }
    Ok(())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let double = "=".repeat(WIDTH);
        writeln!(f, "{:^WIDTH$}", self.title)?;
        writeln!(f, "{double}")?;
        write_pairs(f, &self.header)?;
        writeln!(f, "{double}")?;
        let name_width = self
            .coefs
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0)
            .max(WIDTH - 6 * 11);
        let heads = ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"];
        write!(f, "{:name_width$}", "")?;
        for head in heads {
            write!(f, " {head:>10}")?;
        }
        writeln!(f)?;
        writeln!(f, "{}", "-".repeat(WIDTH))?;
        for (name, values) in &self.coefs {
            write!(f, "{name:<name_width$}")?;
            for value in values {
                write!(f, " {value:>10}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "{double}")?;
        write_pairs(f, &self.diagnostics)?;
        writeln!(f, "{double}")?;
        writeln!(f)?;
        writeln!(f, "Notes:")?;
        for (i, note) in self.notes.iter().enumerate() {
            writeln!(f, "[{}] {note}", i + 1)?;
        }
        Ok(())
    }
}

impl Summary {
    /// The summary as HTML: three tables (header, coefficients, diagnostics) and the notes,
    /// as statsmodels' `summary()._repr_html_()`.
    pub fn to_html(&self) -> String {
        let mut html = String::from("<div class=\"eddy-summary\">\n");
        let pairs = |html: &mut String, caption: Option<&str>, rows: &[[String; 4]]| {
            html.push_str("<table class=\"simpletable\">\n");
            if let Some(caption) = caption {
                html.push_str(&format!("<caption>{}</caption>\n", escape_html(caption)));
            }
            for cells in rows {
                html.push_str("<tr>");
                for (i, cell) in cells.iter().enumerate() {
                    let tag = if i % 2 == 0 { "th" } else { "td" };
                    html.push_str(&format!("<{tag}>{}</{tag}>", escape_html(cell)));
                }
                html.push_str("</tr>\n");
            }
            html.push_str("</table>\n");
        };
        pairs(&mut html, Some(self.title), &self.header);
        html.push_str("<table class=\"simpletable\">\n<tr><td></td>");
        for head in ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"] {
            html.push_str(&format!("<th>{}</th>", escape_html(head)));
        }
        html.push_str("</tr>\n");
        for (name, values) in &self.coefs {
            html.push_str(&format!("<tr><th>{}</th>", escape_html(name)));
            for value in values {
                html.push_str(&format!("<td>{}</td>", escape_html(value)));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>\n");
        pairs(&mut html, None, &self.diagnostics);
        html.push_str("<p>Notes:");
        for (i, note) in self.notes.iter().enumerate() {
            html.push_str(&format!("<br/>[{}] {}", i + 1, escape_html(note)));
        }
        html.push_str("</p>\n</div>\n");
        html
    }
}

/// Shows as HTML tables, with the text layout as `text/plain`.
///
/// ```
/// use eddy::prelude::*;
///
/// let bundle = ols(&sp500()?, "JPM", &["KO"])?.summary().mime_bundle();
/// assert!(bundle.text().contains("Cond. No."));
/// assert!(bundle.get("text/html").unwrap().contains("<table"));
/// # Ok::<(), eddy::Error>(())
/// ```
impl Render for Summary {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(self.to_string()).with("text/html", self.to_html())
    }
}

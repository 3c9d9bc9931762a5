//! [`Render`] for polars' `DataFrame`, `Series`, `Column` and `LazyFrame`.
//!
//! A frame shows as an HTML table (column names, a dtype row, the first and last five rows
//! of a long frame around a `…` row, numbers right-aligned) with a pandas-style shape line,
//! and as polars' own text table for `text/plain`.

use std::fmt::Write;

use polars::prelude::*;

use super::html::escape_html;
use super::mime::{MimeBundle, Render};

/// Frames with more rows than this show their head and tail only.
const MAX_ROWS: usize = 10;
/// Rows shown at each end of a long frame.
const EDGE_ROWS: usize = 5;
/// Frames with more columns than this show their first and last `EDGE_COLS` only.
const MAX_COLS: usize = 30;
/// Columns shown at each end of a wide frame.
const EDGE_COLS: usize = 15;
/// Longer strings are cut, with `…`.
const MAX_STR_CHARS: usize = 100;

/// ```
/// use eddy::prelude::*;
///
/// let df = df!("symbol" => ["AAPL", "MSFT"], "price" => [126.0, 234.5])?;
/// let bundle = df.mime_bundle();
/// let html = bundle.get("text/html").unwrap();
/// assert!(html.contains(">symbol</th>"));
/// assert!(html.contains("2 rows × 2 columns"));
/// assert!(bundle.text().contains("shape: (2, 2)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Render for DataFrame {
    fn mime_bundle(&self) -> MimeBundle {
        let (rows, cols) = self.shape();
        let shape = format!("{} × {}", plural(rows, "row"), plural(cols, "column"));
        MimeBundle::new(format!("{self}")).with("text/html", frame_html(self, &shape))
    }
}

/// ```
/// use eddy::prelude::*;
///
/// let s = Series::new("price".into(), [1.5, 2.5, 3.5]);
/// let bundle = s.mime_bundle();
/// assert!(bundle.get("text/html").unwrap().contains("<p>3 rows</p>"));
/// assert!(bundle.text().contains("shape: (3,)"));
/// ```
impl Render for Series {
    fn mime_bundle(&self) -> MimeBundle {
        let df = self.clone().into_frame();
        MimeBundle::new(format!("{self}"))
            .with("text/html", frame_html(&df, &plural(self.len(), "row")))
    }
}

impl Render for Column {
    fn mime_bundle(&self) -> MimeBundle {
        self.as_materialized_series().mime_bundle()
    }
}

/// A `LazyFrame` shows its (unoptimized) query plan; nothing is executed.
///
/// ```
/// use eddy::prelude::*;
///
/// let lf = df!("a" => [1, 2, 3])?.lazy().filter(col("a").gt(lit(1)));
/// let text = lf.mime_bundle().text().to_string();
/// assert!(text.starts_with("naive plan:"));
/// assert!(text.contains("FILTER"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Render for LazyFrame {
    fn mime_bundle(&self) -> MimeBundle {
        match self.describe_plan() {
            Ok(plan) => {
                let text = format!(
                    "naive plan: (run `.explain(true)` to see the optimized plan, `.collect()` to execute)\n\n{plan}"
                );
                let html = format!(
                    "<div><p><b>LazyFrame</b>, naive plan (not executed; <code>.collect()</code> runs it)</p><pre>{}</pre></div>",
                    escape_html(&plan)
                );
                MimeBundle::new(text).with("text/html", html)
            }
            Err(err) => MimeBundle::new(format!("LazyFrame (plan unavailable: {err})")),
        }
    }
}

/// `n row`/`n rows`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Indices of the rows (or columns) to show, `None` marking the `…` gap.
fn visible(len: usize, max: usize, edge: usize) -> Vec<Option<usize>> {
    if len <= max {
        (0..len).map(Some).collect()
    } else {
        (0..edge)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((len - edge..len).map(Some))
            .collect()
    }
}

/// True for dtypes whose cells read best right-aligned.
fn right_aligned(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric() || dtype.is_temporal() || matches!(dtype, DataType::Decimal(..))
}

/// One cell's text: strings unquoted and cut, everything else as polars prints it.
fn cell_text(value: &AnyValue<'_>) -> String {
    let text = match value.get_str() {
        Some(s) => s.to_string(),
        None => value.to_string(),
    };
    if text.chars().count() > MAX_STR_CHARS {
        let cut: String = text.chars().take(MAX_STR_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The HTML table for `df`, followed by `shape` (e.g. `8313 rows × 21 columns`).
pub(crate) fn frame_html(df: &DataFrame, shape: &str) -> String {
    let columns = df.columns();
    let col_idx = visible(columns.len(), MAX_COLS, EDGE_COLS);
    let row_idx = visible(df.height(), MAX_ROWS, EDGE_ROWS);
    let align = |c: &Column| {
        if right_aligned(c.dtype()) {
            "right"
        } else {
            "left"
        }
    };

    let mut html = String::from(
        "<div class=\"eddy-frame\">\n<table class=\"dataframe\" style=\"table-layout:auto;white-space:nowrap\">\n<thead>\n<tr>",
    );
    for idx in &col_idx {
        match idx {
            Some(i) => {
                let c = &columns[*i];
                let _ = write!(
                    html,
                    "<th style=\"text-align:{}\">{}</th>",
                    align(c),
                    escape_html(c.name())
                );
            }
            None => html.push_str("<th>…</th>"),
        }
    }
    html.push_str("</tr>\n<tr class=\"dtype\">");
    for idx in &col_idx {
        match idx {
            Some(i) => {
                let c = &columns[*i];
                let _ = write!(
                    html,
                    "<td style=\"text-align:{}\"><i>{}</i></td>",
                    align(c),
                    escape_html(&c.dtype().to_string())
                );
            }
            None => html.push_str("<td></td>"),
        }
    }
    html.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &row_idx {
        html.push_str("<tr>");
        for idx in &col_idx {
            match (row, idx) {
                (Some(r), Some(i)) => {
                    let c = &columns[*i];
                    let text = c
                        .get(*r)
                        .map(|v| cell_text(&v))
                        .unwrap_or_else(|err| format!("<{err}>"));
                    let _ = write!(
                        html,
                        "<td style=\"text-align:{}\">{}</td>",
                        align(c),
                        escape_html(&text)
                    );
                }
                _ => html.push_str("<td>…</td>"),
            }
        }
        html.push_str("</tr>\n");
    }
    let _ = write!(
        html,
        "</tbody>\n</table>\n<p>{}</p>\n</div>",
        escape_html(shape)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_frames_show_head_gap_and_tail() {
        let df = crate::data::sp500().unwrap();
        let html = df.mime_bundle().get("text/html").unwrap().to_string();
        assert!(html.contains("<p>8313 rows × 21 columns</p>"), "{html}");
        assert!(html.contains("<th style=\"text-align:right\">Date</th>"));
        assert!(html.contains("<i>date</i>") && html.contains("<i>f64</i>"));
        assert!(html.contains(">1990-01-02<") && html.contains(">2022-12-28<"));
        assert!(!html.contains(">1990-01-09<"), "the sixth row is elided");
        // Header, dtype row, 5 + 1 + 5 body rows.
        assert_eq!(html.matches("<tr").count(), 2 + 11);
        assert_eq!(html.matches("<td>…</td>").count(), 21);
        assert!(df.mime_bundle().text().contains("shape: (8_313, 21)"));
    }

    #[test]
    fn short_frames_show_every_row_and_escape_cells() {
        let df = df!("name" => ["<script>", "a & b"], "n" => [1i64, 2]).unwrap();
        let html = df.mime_bundle().get("text/html").unwrap().to_string();
        assert!(
            html.contains("<td style=\"text-align:left\">&lt;script&gt;</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td style=\"text-align:left\">a &amp; b</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td style=\"text-align:right\">2</td>"),
            "{html}"
        );
        assert!(!html.contains('…'));
        assert!(html.contains("<p>2 rows × 2 columns</p>"));
    }

    #[test]
    fn wide_frames_elide_middle_columns() {
        let columns: Vec<Column> = (0..40)
            .map(|i| Column::new(format!("c{i}").into(), [i as f64]))
            .collect();
        let df = DataFrame::new(1, columns).unwrap();
        let html = df.mime_bundle().get("text/html").unwrap().to_string();
        assert!(html.contains(">c14<") && !html.contains(">c15<") && html.contains(">c25<"));
        assert!(html.contains("<th>…</th>"));
        assert!(html.contains("1 row × 40 columns"));
    }

    #[test]
    fn nulls_and_long_strings() {
        let long = "x".repeat(300);
        let df = df!("s" => [Some(long.as_str()), None]).unwrap();
        let html = df.mime_bundle().get("text/html").unwrap().to_string();
        assert!(html.contains(&format!(">{}…<", "x".repeat(100))));
        assert!(html.contains(">null<"));
    }

    #[test]
    fn series_and_column_render_as_one_column_tables() {
        let s = Series::new("x".into(), [1.0, 2.0]);
        let html = s.mime_bundle().get("text/html").unwrap().to_string();
        assert!(html.contains(">x</th>") && html.contains("<p>2 rows</p>"));
        let c = Column::from(s);
        assert_eq!(
            c.mime_bundle(),
            Series::new("x".into(), [1.0, 2.0]).mime_bundle()
        );
    }

    #[test]
    fn lazy_frames_show_the_plan_without_running() {
        let lf = crate::data::sp500()
            .unwrap()
            .lazy()
            .select([col("AAPL").mean()]);
        let bundle = lf.mime_bundle();
        assert!(bundle.text().contains("naive plan"), "{}", bundle.text());
        assert!(bundle.get("text/html").unwrap().contains("<pre>"));
    }
}

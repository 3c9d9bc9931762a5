//! How the fitted models of this module show: a header of lines, then their main table, as
//! text and as HTML.

use polars::prelude::DataFrame;

use crate::display::{MimeBundle, Render, escape_html};
use crate::error::Result;

/// `lines` as paragraphs, then `table` (its own HTML rendering), in one bundle.
pub(crate) fn bundle(lines: &[String], table: Result<DataFrame>) -> MimeBundle {
    let head_text = lines.join("\n");
    let head_html: String = lines
        .iter()
        .map(|l| format!("<p style=\"margin:0.2em 0\">{}</p>", escape_html(l)))
        .collect();
    match table {
        Ok(table) => {
            let inner = table.mime_bundle();
            MimeBundle::new(format!("{head_text}\n{}", inner.text())).with(
                "text/html",
                format!("{head_html}{}", inner.get("text/html").unwrap_or_default()),
            )
        }
        Err(e) => MimeBundle::new(format!("{head_text}\n(table unavailable: {e})"))
            .with("text/html", head_html),
    }
}

/// `"n rows"`, or `"1 row"`.
pub(crate) fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

//! Small HTML helpers: escaping text for HTML, and stripping tags for a text/plain fallback.

/// Escapes `&`, `<`, `>`, `"` and `'` so that `text` shows literally inside HTML.
///
/// ```
/// assert_eq!(eddy::display::escape_html("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of an HTML fragment: tags removed, the five basic entities decoded.
pub(crate) fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => in_tag = true,
            (true, '>') => in_tag = false,
            (false, c) => text.push(c),
            (true, _) => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_then_strip_round_trips() {
        let text = "if a < b && c > 'd' then \"e\"";
        assert_eq!(strip_tags(&format!("<td>{}</td>", escape_html(text))), text);
    }

    #[test]
    fn strip_tags_keeps_text_between_tags() {
        assert_eq!(strip_tags("<p>a <b>bold</b> move</p>"), "a bold move");
    }
}

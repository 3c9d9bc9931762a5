//! [`MimeBundle`] and the [`Render`] trait: how a value describes itself to a notebook.

use std::fmt;

/// The MIME type every bundle has.
pub const TEXT_PLAIN: &str = "text/plain";

/// One value's representations, keyed by MIME type, in insertion order.
///
/// A bundle always has `text/plain` (the first entry), so every front end can show
/// something; richer types (`text/html`, `image/svg+xml`, `image/png` as base64) come after.
///
/// ```
/// use eddy::display::MimeBundle;
///
/// let bundle = MimeBundle::new("3 apples").with("text/html", "<b>3</b> apples");
/// assert_eq!(bundle.text(), "3 apples");
/// assert_eq!(bundle.get("text/html"), Some("<b>3</b> apples"));
/// assert_eq!(bundle.mime_types().collect::<Vec<_>>(), ["text/plain", "text/html"]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MimeBundle {
    entries: Vec<(String, String)>,
}

impl MimeBundle {
    /// A bundle with only `text/plain`.
    pub fn new(text: impl Into<String>) -> Self {
        MimeBundle {
            entries: vec![(TEXT_PLAIN.to_string(), text.into())],
        }
    }

    /// Adds (or replaces) the representation for `mime`.
    pub fn with(mut self, mime: &str, content: impl Into<String>) -> Self {
        self.insert(mime, content.into());
        self
    }

    /// Adds (or replaces) the representation for `mime`, in place.
    pub fn insert(&mut self, mime: &str, content: String) {
        match self.entries.iter_mut().find(|(m, _)| m == mime) {
            Some(entry) => entry.1 = content,
            None => self.entries.push((mime.to_string(), content)),
        }
    }

    /// The representation for `mime`, if the bundle has one.
    pub fn get(&self, mime: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(m, _)| m == mime)
            .map(|(_, content)| content.as_str())
    }

    /// The `text/plain` representation.
    pub fn text(&self) -> &str {
        self.get(TEXT_PLAIN).unwrap_or_default()
    }

    /// The MIME types, in order.
    pub fn mime_types(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(m, _)| m.as_str())
    }

    /// `(mime, content)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(m, c)| (m.as_str(), c.as_str()))
    }

    /// The bundle as a JSON object `{mime: content}`, as Jupyter's `data` field.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.iter()
                .map(|(m, c)| (m.to_string(), serde_json::Value::String(c.to_string())))
                .collect(),
        )
    }
}

impl fmt::Debug for MimeBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Contents can be megabytes of SVG: show sizes, not bodies.
        let mut map = f.debug_map();
        for (mime, content) in self.iter() {
            if mime == TEXT_PLAIN {
                map.entry(&mime, &content);
            } else {
                map.entry(&mime, &format_args!("<{} bytes>", content.len()));
            }
        }
        map.finish()
    }
}

/// A value that can show itself richly in a notebook.
///
/// Implemented by `DataFrame`, `Series`, `Column`, `LazyFrame`, [`Chart`](crate::plot::Chart),
/// [`Png`](crate::plot::Png), [`Html`] and [`Progress`](crate::display::Progress). A cell whose
/// last expression is `Render` shows its bundle; [`display`](crate::display::display) shows
/// one at any time.
///
/// ```
/// use eddy::prelude::*;
///
/// struct Greeting(&'static str);
/// impl Render for Greeting {
///     fn mime_bundle(&self) -> MimeBundle {
///         MimeBundle::new(format!("hello, {}", self.0))
///             .with("text/html", format!("<i>hello, {}</i>", self.0))
///     }
/// }
/// assert_eq!(Greeting("world").mime_bundle().text(), "hello, world");
/// ```
pub trait Render {
    /// The value's representations; `text/plain` is always present.
    fn mime_bundle(&self) -> MimeBundle;
}

/// A bundle shows itself, so a ready-made bundle can be passed to [`display`](crate::display::display).
impl Render for MimeBundle {
    fn mime_bundle(&self) -> MimeBundle {
        self.clone()
    }
}

impl<T: Render + ?Sized> Render for &T {
    fn mime_bundle(&self) -> MimeBundle {
        (**self).mime_bundle()
    }
}

impl<T: Render + ?Sized> Render for Box<T> {
    fn mime_bundle(&self) -> MimeBundle {
        (**self).mime_bundle()
    }
}

impl<T: Render + ?Sized> Render for std::sync::Arc<T> {
    fn mime_bundle(&self) -> MimeBundle {
        (**self).mime_bundle()
    }
}

/// `Ok` shows the value; `Err` shows the error's message as text.
impl<T: Render, E: fmt::Display> Render for Result<T, E> {
    fn mime_bundle(&self) -> MimeBundle {
        match self {
            Ok(value) => value.mime_bundle(),
            Err(err) => MimeBundle::new(format!("Error: {err}")),
        }
    }
}

/// A piece of HTML to show as is, e.g. with [`display`](crate::display::display).
///
/// ```
/// use eddy::prelude::*;
///
/// let note = Html::new("<b>done</b>");
/// assert_eq!(note.mime_bundle().get("text/html"), Some("<b>done</b>"));
/// assert_eq!(note.mime_bundle().text(), "done");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Html {
    html: String,
}

impl Html {
    /// Wraps `html`; its text/plain form is the HTML with tags removed.
    pub fn new(html: impl Into<String>) -> Self {
        Html { html: html.into() }
    }

    /// The HTML source.
    pub fn as_str(&self) -> &str {
        &self.html
    }
}

impl Render for Html {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(super::html::strip_tags(&self.html)).with("text/html", self.html.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_and_keeps_order() {
        let mut bundle = MimeBundle::new("a").with("text/html", "<p>a</p>");
        bundle.insert(TEXT_PLAIN, "b".into());
        bundle.insert("image/png", "AAAA".into());
        assert_eq!(
            bundle.iter().collect::<Vec<_>>(),
            [
                ("text/plain", "b"),
                ("text/html", "<p>a</p>"),
                ("image/png", "AAAA")
            ]
        );
        assert_eq!(
            bundle.to_json(),
            serde_json::json!({"text/plain": "b", "text/html": "<p>a</p>", "image/png": "AAAA"})
        );
    }

    #[test]
    fn results_show_the_value_or_the_error() {
        let ok: Result<Html, String> = Ok(Html::new("<b>x</b>"));
        assert_eq!(ok.mime_bundle().get("text/html"), Some("<b>x</b>"));
        let err: Result<Html, String> = Err("no such file".into());
        assert_eq!(err.mime_bundle().text(), "Error: no such file");
        assert_eq!(err.mime_bundle().get("text/html"), None);
    }

    #[test]
    fn debug_hides_large_bodies() {
        let bundle = MimeBundle::new("x").with("image/svg+xml", "<svg/>");
        assert_eq!(
            format!("{bundle:?}"),
            r#"{"text/plain": "x", "image/svg+xml": <6 bytes>}"#
        );
    }
}

//! MIME bundles: the engine's `{mime: text}` maps and the display socket's JSON turned into
//! jupyter-protocol's typed `Media`, with JSON MIME types sent as JSON, not as strings.

use std::collections::BTreeMap;

use jupyter_protocol::{Media, MediaType};
use serde_json::{Map, Value};

/// Whether a MIME type carries JSON (`application/json`, `application/*+json`).
pub fn is_json_mime(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A bundle from `{mime: text}` as the engine returns it.
pub fn from_text_map(data: &BTreeMap<String, String>) -> Media {
    let mut content = Vec::with_capacity(data.len());
    for (mime, text) in data {
        content.push(media_type(mime, Value::String(text.clone())));
    }
    Media::new(content)
}

/// A bundle from a JSON object `{mime: text or JSON}` as the display socket sends it.
pub fn from_json_map(data: &Map<String, Value>) -> Media {
    Media::new(
        data.iter()
            .map(|(mime, value)| media_type(mime, value.clone()))
            .collect(),
    )
}

/// One MIME entry. JSON MIME types given as text are parsed; anything jupyter-protocol's typed
/// variants refuse is kept verbatim as `MediaType::Other`, so nothing is ever lost.
fn media_type(mime: &str, value: Value) -> MediaType {
    let value = match value {
        Value::String(text) if is_json_mime(mime) => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        other => other,
    };
    let mut one = Map::new();
    one.insert(mime.to_string(), value.clone());
    match serde_json::from_value::<Media>(Value::Object(one)) {
        Ok(mut media) if media.content.len() == 1 => media
            .content
            .pop()
            .unwrap_or_else(|| MediaType::Other((mime.to_string(), value))),
        _ => MediaType::Other((mime.to_string(), value)),
    }
}

/// The `text/plain` entry of a bundle, if any.
pub fn plain_text(data: &BTreeMap<String, String>) -> Option<&str> {
    data.get("text/plain").map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(media: &Media) -> Value {
        serde_json::to_value(media).expect("serializes")
    }

    #[test]
    fn text_and_json_mimes() {
        let mut data = BTreeMap::new();
        data.insert("text/plain".to_string(), "42".to_string());
        data.insert("text/html".to_string(), "<b>42</b>".to_string());
        data.insert("application/json".to_string(), r#"{"a": 1}"#.to_string());
        data.insert(
            "application/vnd.vegalite.v5+json".to_string(),
            r#"{"mark": "bar"}"#.to_string(),
        );
        data.insert("application/x-weird".to_string(), "raw".to_string());
        let v = wire(&from_text_map(&data));
        assert_eq!(v["text/plain"], json!("42"));
        assert_eq!(v["text/html"], json!("<b>42</b>"));
        assert_eq!(v["application/json"], json!({"a": 1}));
        assert_eq!(
            v["application/vnd.vegalite.v5+json"],
            json!({"mark": "bar"})
        );
        assert_eq!(v["application/x-weird"], json!("raw"));
    }

    #[test]
    fn bad_json_and_bad_table_are_kept_verbatim() {
        let mut data = BTreeMap::new();
        data.insert("application/json".to_string(), "{oops".to_string());
        data.insert(
            "application/vnd.dataresource+json".to_string(),
            r#"{"x": 1}"#.to_string(),
        );
        let v = wire(&from_text_map(&data));
        assert_eq!(v["application/json"], json!("{oops"));
        assert_eq!(v["application/vnd.dataresource+json"], json!({"x": 1}));
    }

    #[test]
    fn json_map_accepts_values_and_strings() {
        let data = json!({"image/png": "iVBOR", "application/json": {"k": [1, 2]}});
        let v = wire(&from_json_map(data.as_object().expect("object")));
        assert_eq!(v["image/png"], json!("iVBOR"));
        assert_eq!(v["application/json"], json!({"k": [1, 2]}));
    }
}

//! A small, strict JSON reader for one flat object, keeping the raw text of numbers.
//!
//! Why not serde_json: without its `float_roundtrip` feature (not enabled in eddy's build)
//! it may read a float one unit in the last place off, and a quote must come back exactly as
//! it was written. Numbers here are checked against JSON's grammar and converted by Rust's
//! correctly rounded `str::parse`. Only the keys asked for are kept; other values are checked
//! and skipped. `NaN`, `Infinity` and `-Infinity` (which Python's `json.dumps` writes) are
//! read as such so the reason can say "price is NaN".

use std::borrow::Cow;

/// One value of a wanted key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Str(Cow<'a, str>),
    /// The number's text, valid JSON number syntax.
    Num(&'a str),
    /// `NaN`, `Infinity` or `-Infinity`.
    NonFinite(&'static str),
    /// `true`, `false`, `null`, `an array`, `an object`.
    Other(&'static str),
}

impl Field<'_> {
    /// `a string ("abc")`, `a number (4)`, `null`…, for messages.
    pub fn describe(&self) -> String {
        match self {
            Field::Str(s) => format!("a string (\"{s}\")"),
            Field::Num(n) => format!("a number ({n})"),
            Field::NonFinite(n) => n.to_string(),
            Field::Other(b @ ("true" | "false")) => format!("a boolean ({b})"),
            Field::Other(kind) => kind.to_string(),
        }
    }
}

/// Why a payload is not a JSON object: `NotJson(message)` or `NotObject(kind)` (valid JSON
/// of another kind, e.g. `an array`).
#[derive(Debug, PartialEq)]
pub(crate) enum ReadError {
    NotJson(String),
    NotObject(&'static str),
}

/// Reads `text` as one JSON object and returns the values of `keys` (`None` where absent;
/// the last one if a key repeats).
pub(crate) fn read_object<'a, const N: usize>(
    text: &'a str,
    keys: [&str; N],
) -> Result<[Option<Field<'a>>; N], ReadError> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        i: 0,
    };
    r.ws();
    match r.peek() {
        Some(b'{') => {}
        None => return Err(ReadError::NotJson("empty message".into())),
        Some(_) => {
            // Valid JSON of another kind, or not JSON at all?
            let kind = r.value(0)?;
            r.ws();
            if r.peek().is_some() {
                return Err(r.error("the end of the message"));
            }
            return Err(ReadError::NotObject(kind));
        }
    }
    r.i += 1;
    let mut out: [Option<Field<'a>>; N] = std::array::from_fn(|_| None);
    r.ws();
    if r.peek() == Some(b'}') {
        r.i += 1;
    } else {
        loop {
            r.ws();
            if r.peek() != Some(b'"') {
                return Err(r.error("a key in double quotes"));
            }
            let key = r.string()?;
            r.ws();
            r.expect(b':')?;
            r.ws();
            match keys.iter().position(|k| *k == key) {
                Some(slot) => out[slot] = Some(r.field()?),
                None => {
                    r.value(0)?;
                }
            }
            r.ws();
            match r.peek() {
                Some(b',') => r.i += 1,
                Some(b'}') => {
                    r.i += 1;
                    break;
                }
                _ => return Err(r.error("',' or '}'")),
            }
        }
    }
    r.ws();
    if r.peek().is_some() {
        return Err(r.error("the end of the message after the object"));
    }
    Ok(out)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
}

/// Nesting deeper than this is refused (no stack overflow on hostile input).
const MAX_DEPTH: usize = 128;

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn error(&self, expected: &str) -> ReadError {
        let found = match self.text[self.i..].chars().next() {
            Some(c) => format!("{c:?}"),
            None => "the end".into(),
        };
        ReadError::NotJson(format!(
            "not JSON: expected {expected} at byte {}, found {found}",
            self.i
        ))
    }

    fn expect(&mut self, b: u8) -> Result<(), ReadError> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(&format!("'{}'", b as char)))
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        if self.bytes[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// A value we keep.
    fn field(&mut self) -> Result<Field<'a>, ReadError> {
        match self.peek() {
            Some(b'"') => Ok(Field::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                if self.literal("-Infinity") {
                    return Ok(Field::NonFinite("-Infinity"));
                }
                Ok(Field::Num(self.number()?))
            }
            Some(b'N') if self.literal("NaN") => Ok(Field::NonFinite("NaN")),
            Some(b'I') if self.literal("Infinity") => Ok(Field::NonFinite("Infinity")),
            _ => Ok(Field::Other(self.value(0)?)),
        }
    }

    /// Checks and skips any value; returns its kind.
    fn value(&mut self, depth: usize) -> Result<&'static str, ReadError> {
        if depth > MAX_DEPTH {
            return Err(ReadError::NotJson(format!(
                "not JSON we read: nested deeper than {MAX_DEPTH} levels"
            )));
        }
        match self.peek() {
            Some(b'"') => {
                self.string()?;
                Ok("a string")
            }
            Some(b'-' | b'0'..=b'9') => {
                if self.literal("-Infinity") {
                    return Ok("-Infinity");
                }
                self.number()?;
                Ok("a number")
            }
            Some(b't') if self.literal("true") => Ok("true"),
            Some(b'f') if self.literal("false") => Ok("false"),
            Some(b'n') if self.literal("null") => Ok("null"),
            Some(b'N') if self.literal("NaN") => Ok("NaN"),
            Some(b'I') if self.literal("Infinity") => Ok("Infinity"),
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok("an array");
                }
                loop {
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok("an array");
                        }
                        _ => return Err(self.error("',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok("an object");
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("a key in double quotes"));
                    }
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok("an object");
                        }
                        _ => return Err(self.error("',' or '}'")),
                    }
                }
            }
            _ => Err(self.error("a value")),
        }
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as its text.
    fn number(&mut self) -> Result<&'a str, ReadError> {
        let start = self.i;
        let digits = |r: &mut Reader<'_>| {
            let s = r.i;
            while let Some(b'0'..=b'9') = r.peek() {
                r.i += 1;
            }
            r.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.error("a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("a digit in the exponent"));
            }
        }
        Ok(&self.text[start..self.i])
    }

    /// A string at `"`, unescaped (borrowed when it has no escapes).
    fn string(&mut self) -> Result<Cow<'a, str>, ReadError> {
        self.i += 1; // the opening quote
        let start = self.i;
        loop {
            match self.peek() {
                None => return Err(self.error("the closing '\"' of a string")),
                Some(b'"') => {
                    let s = &self.text[start..self.i];
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.error("no control character in a string")),
                Some(_) => self.i += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.i]);
        loop {
            match self.peek() {
                None => return Err(self.error("the closing '\"' of a string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.literal("\\u") {
                                    return Err(self.error("the second half of a surrogate pair"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error("a low surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let Some(c) = char::from_u32(code) else {
                                return Err(self.error("a valid \\u escape"));
                            };
                            out.push(c);
                            continue;
                        }
                        _ => {
                            return Err(
                                self.error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)")
                            );
                        }
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(c) if c < 0x20 => return Err(self.error("no control character in a string")),
                Some(_) => {
                    // Copy one whole UTF-8 character.
                    let ch = self.text[self.i..].chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ReadError> {
        let Some(h) = self.text.get(self.i..self.i + 4) else {
            return Err(self.error("four hex digits"));
        };
        let v = u32::from_str_radix(h, 16).map_err(|_| self.error("four hex digits"))?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("four hex digits"));
        }
        self.i += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<[Option<Field<'_>>; 2], ReadError> {
        read_object(s, ["a", "b"])
    }

    #[test]
    fn keeps_wanted_keys_and_skips_the_rest() {
        let [a, b] = read(
            r#" { "x": [1, {"y": [true, null]}], "a": "h\u00e9\n\ud83d\ude00", "b": -1.5e3 } "#,
        )
        .unwrap();
        assert_eq!(a, Some(Field::Str("hé\n😀".into())));
        assert_eq!(b, Some(Field::Num("-1.5e3")));
        assert_eq!(read("{}").unwrap(), [None, None]);
        let [a, _] = read(r#"{"a": 1, "a": NaN}"#).unwrap();
        assert_eq!(a, Some(Field::NonFinite("NaN")));
        let [a, b] = read(r#"{"a": [], "b": false}"#).unwrap();
        assert_eq!(
            (a.unwrap().describe(), b.unwrap().describe()),
            ("an array".into(), "a boolean (false)".into())
        );
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{'a':1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":\"x\ny\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":tru}",
            "{\"a\":1} x",
            "{\"a\":\"\\ud800\"}",
            "[1,",
            "nope",
        ] {
            assert!(
                matches!(read(bad), Err(ReadError::NotJson(_))),
                "{bad:?}: {:?}",
                read(bad)
            );
        }
        assert_eq!(read("[1, 2]"), Err(ReadError::NotObject("an array")));
        assert_eq!(read(" 42 "), Err(ReadError::NotObject("a number")));
        assert_eq!(read("null"), Err(ReadError::NotObject("null")));
        let deep = "[".repeat(1000);
        assert!(matches!(read(&deep), Err(ReadError::NotJson(m)) if m.contains("nested deeper")));
        let Err(ReadError::NotJson(m)) = read("{\"a\" 1}") else {
            panic!()
        };
        assert_eq!(m, "not JSON: expected ':' at byte 5, found '1'");
    }
}

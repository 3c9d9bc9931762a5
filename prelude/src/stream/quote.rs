//! [`Quote`]: one price message, its JSON wire form, and the checks that send a malformed
//! message to the dead-letter topic instead of a batch ([`Malformed`]).
//!
//! The wire form is a JSON object `{"symbol": "JPM", "ts": 1672185600000, "price": 141.2}`:
//!
//! - `symbol`: a non-empty string; it is also the message key.
//! - `ts`: the event time. eddy's producers write **milliseconds since the Unix epoch (UTC)**
//!   as an integer; readers also accept a fractional number of milliseconds (floored) and an
//!   ISO 8601 string (`2022-12-28`, `2022-12-28T15:30:00.250`, `2022-12-28 15:30:00Z`,
//!   `2022-12-28T15:30:00+01:00`; without an offset it is UTC).
//! - `price`: a finite, positive number.
//!
//! Other fields are ignored. Anything else is malformed, with one of the codes of
//! [`Malformed::code`].

use std::borrow::Cow;
use std::fmt;

use super::json::{Field, ReadError, read_object};

/// How far ahead of the consumer's clock an event time may be before the quote is
/// dead-lettered as `future_ts`: one day, unless the stream sets
/// [`max_future`](crate::stream::Stream::max_future).
pub const DEFAULT_MAX_FUTURE_MS: i64 = 86_400_000;

/// One quote: a symbol's price at an event time (`ts`, milliseconds since the Unix epoch, UTC).
///
/// The wire form is a JSON object `{"symbol": "JPM", "ts": 1672185600000, "price": 141.2}`:
///
/// - `symbol`: a non-empty string; it is also the message key.
/// - `ts`: the event time. eddy's producers write **milliseconds since the Unix epoch (UTC)**
///   as an integer; readers also accept a fractional number of milliseconds (floored) and an
///   ISO 8601 string (`2022-12-28`, `2022-12-28T15:30:00.250`, `2022-12-28 15:30:00Z`,
///   `2022-12-28T15:30:00+01:00`; without an offset it is UTC).
/// - `price`: a finite, positive number, read exactly (correctly rounded).
///
/// Other fields are ignored. Anything else is [`Malformed`], with one of the codes of
/// [`Malformed::code`].
///
/// ```
/// use eddy::stream::Quote;
///
/// let q = Quote::new("JPM", 1_672_185_600_000, 141.2);
/// let json = q.to_json();
/// assert_eq!(json, r#"{"symbol":"JPM","ts":1672185600000,"price":141.2}"#);
/// assert_eq!(Quote::parse(json.as_bytes())?, q);
/// let bad = Quote::parse(br#"{"symbol":"JPM","ts":1,"price":-3}"#).unwrap_err();
/// assert_eq!(bad.code(), "invalid_price");
/// # Ok::<(), eddy::stream::Malformed>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The instrument, e.g. `JPM`; also the Kafka message key.
    pub symbol: String,
    /// Event time in milliseconds since the Unix epoch (UTC).
    pub ts: i64,
    /// The price.
    pub price: f64,
}

impl Quote {
    /// A quote of `symbol` at `ts` (ms since the epoch) for `price`.
    pub fn new(symbol: &str, ts: i64, price: f64) -> Quote {
        Quote {
            symbol: symbol.to_string(),
            ts,
            price,
        }
    }

    /// The JSON wire form, `{"symbol":…,"ts":<ms>,"price":…}`; prices are written in the
    /// shortest form that reads back to the same `f64`.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(64);
        write_json(&mut out, &self.symbol, self.ts, self.price);
        // serde_json writes valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Reads and checks a message payload (see [`Quote`] for the rules), with
    /// the default limit on future event times measured from the current clock.
    ///
    /// # Errors
    ///
    /// [`Malformed`], whose [`code`](Malformed::code) and [`reason`](Malformed::reason) say
    /// what is wrong.
    pub fn parse(payload: &[u8]) -> Result<Quote, Malformed> {
        let wire = parse_wire(payload, now_ms(), DEFAULT_MAX_FUTURE_MS)?;
        Ok(Quote {
            symbol: wire.symbol.into_owned(),
            ts: wire.ts,
            price: wire.price,
        })
    }
}

/// Appends `{"symbol":…,"ts":…,"price":…}` to `out`.
pub(crate) fn write_json(out: &mut Vec<u8>, symbol: &str, ts: i64, price: f64) {
    #[derive(serde::Serialize)]
    struct Wire<'a> {
        symbol: &'a str,
        ts: i64,
        price: f64,
    }
    // Writing to a Vec cannot fail, and the struct has no maps with non-string keys.
    let _ = serde_json::to_writer(out, &Wire { symbol, ts, price });
}

/// Why a message is not a quote: a short machine-readable [`code`](Malformed::code) and a
/// sentence for people ([`reason`](Malformed::reason)). Both go into the dead-letter message's
/// headers `error` and `reason`.
///
/// ```
/// use eddy::stream::Quote;
///
/// let err = Quote::parse(br#"{"symbol":"KO","ts":1}"#).unwrap_err();
/// assert_eq!(err.code(), "missing_field");
/// assert_eq!(err.reason(), "missing field `price`");
/// assert_eq!(Quote::parse(b"hello").unwrap_err().code(), "not_json");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    code: &'static str,
    reason: String,
}

impl Malformed {
    fn new(code: &'static str, reason: impl Into<String>) -> Malformed {
        Malformed {
            code,
            reason: reason.into(),
        }
    }

    /// One of `not_json` (empty, not JSON, or not a JSON object), `missing_field`,
    /// `wrong_type` (e.g. a price given as a string), `invalid_price` (NaN, infinite, zero or
    /// negative), `invalid_ts` (a string that is not a time, or out of range) and `future_ts`
    /// (more than the stream's `max_future` ahead of the consumer's clock).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What is wrong, naming the field and the value.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.reason)
    }
}

impl std::error::Error for Malformed {}

/// A checked quote borrowing its symbol from the payload when it can.
#[derive(Debug)]
pub(crate) struct WireQuote<'a> {
    pub symbol: Cow<'a, str>,
    pub ts: i64,
    pub price: f64,
}

/// The current time in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reads and checks one payload; `now` and `max_future` in ms.
pub(crate) fn parse_wire(
    payload: &[u8],
    now: i64,
    max_future: i64,
) -> Result<WireQuote<'_>, Malformed> {
    let text = std::str::from_utf8(payload).map_err(|e| {
        Malformed::new(
            "not_json",
            format!("not JSON: not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let [symbol, ts, price] = match read_object(text, ["symbol", "ts", "price"]) {
        Ok(fields) => fields,
        Err(ReadError::NotJson(message)) => return Err(Malformed::new("not_json", message)),
        Err(ReadError::NotObject(kind)) => {
            return Err(Malformed::new(
                "not_json",
                format!("not a JSON object with symbol, ts and price, but {kind}"),
            ));
        }
    };
    check(symbol, ts, price, now, max_future)
}

/// Applies the rules to the fields read.
fn check<'a>(
    symbol: Option<Field<'a>>,
    ts: Option<Field<'a>>,
    price: Option<Field<'a>>,
    now: i64,
    max_future: i64,
) -> Result<WireQuote<'a>, Malformed> {
    let symbol = match symbol {
        None => return Err(missing("symbol")),
        Some(Field::Str(s)) if s.is_empty() => {
            return Err(Malformed::new(
                "wrong_type",
                "symbol should be a non-empty string, but is \"\"",
            ));
        }
        Some(Field::Str(s)) => s,
        Some(other) => {
            return Err(Malformed::new(
                "wrong_type",
                format!("symbol should be a string, but is {}", other.describe()),
            ));
        }
    };
    let out_of_range = |v: &str| {
        Malformed::new(
            "invalid_ts",
            format!("ts {v} is out of range for milliseconds since 1970"),
        )
    };
    let ts = match ts {
        None => return Err(missing("ts")),
        Some(Field::Num(n)) if !n.contains(['.', 'e', 'E']) => {
            n.parse::<i64>().map_err(|_| out_of_range(n))?
        }
        Some(Field::Num(n)) => match n.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() < 9.0e15 => v.floor() as i64,
            _ => return Err(out_of_range(n)),
        },
        Some(Field::NonFinite(n)) => {
            return Err(Malformed::new("invalid_ts", format!("ts is {n}, not a time")));
        }
        Some(Field::Str(s)) => parse_iso_ms(&s).ok_or_else(|| {
            Malformed::new(
                "invalid_ts",
                format!(
                    "ts \"{s}\" is not a time (write milliseconds since 1970 or ISO 8601, e.g. 2022-12-28T15:30:00Z)"
                ),
            )
        })?,
        Some(other) => {
            return Err(Malformed::new(
                "wrong_type",
                format!(
                    "ts should be milliseconds since 1970 or an ISO 8601 string, but is {}",
                    other.describe()
                ),
            ));
        }
    };
    let price = match price {
        None => return Err(missing("price")),
        // Rust's parse is correctly rounded: the price is exactly the one written.
        Some(Field::Num(n)) => n.parse::<f64>().unwrap_or(f64::NAN),
        Some(Field::NonFinite(n)) => {
            return Err(Malformed::new("invalid_price", format!("price is {n}")));
        }
        Some(other) => {
            return Err(Malformed::new(
                "wrong_type",
                format!("price should be a number, but is {}", other.describe()),
            ));
        }
    };
    check_values(ts, price, now, max_future)?;
    Ok(WireQuote { symbol, ts, price })
}

/// The rules on values, shared by the JSON reader and the embedded replay: a positive, finite
/// price and an event time at most `max_future` ms after `now`.
pub(crate) fn check_values(
    ts: i64,
    price: f64,
    now: i64,
    max_future: i64,
) -> Result<(), Malformed> {
    if ts > now.saturating_add(max_future) {
        return Err(Malformed::new(
            "future_ts",
            format!(
                "ts {} is {} ahead of the consumer's clock (more than the {} allowed)",
                format_ms(ts),
                human_ms(ts - now),
                human_ms(max_future)
            ),
        ));
    }
    if !price.is_finite() || price <= 0.0 {
        return Err(Malformed::new(
            "invalid_price",
            format!("price should be positive and finite, but is {price}"),
        ));
    }
    Ok(())
}

/// A missing value in a row of a quotes frame (the embedded replay's `missing_field`).
pub(crate) fn missing(field: &str) -> Malformed {
    Malformed::new("missing_field", format!("missing field `{field}`"))
}

/// `2022-12-28T15:30:00.250` for ms since the epoch.
pub(crate) fn format_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        None => format!("{ms} ms"),
    }
}

/// A duration in ms, roughly, for messages: `3 s`, `2.5 h`, `975 days`.
fn human_ms(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.0} days", s / 86_400.0)
    }
}

/// ISO 8601 (a date, a naive date-time as UTC, or with `Z` or an offset) as ms since the epoch.
pub(crate) fn parse_iso_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let with_t = s.replacen(' ', "T", 1);
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&with_t) {
        return Some(t.timestamp_millis());
    }
    let naive = with_t.strip_suffix('Z').unwrap_or(&with_t);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Kafka's default partitioner for keyed messages (Java's `Utils.murmur2`, as librdkafka's
/// `murmur2_random`): the partition of `key` among `partitions`.
pub(crate) fn partition_for(key: &[u8], partitions: i32) -> i32 {
    if partitions <= 1 {
        return 0;
    }
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// MurmurHash2 as Kafka's Java client computes it (seed 0x9747b28c).
pub(crate) fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = 0x9747_b28c ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn parse(s: &str) -> Result<WireQuote<'_>, Malformed> {
        parse_wire(s.as_bytes(), NOW, DEFAULT_MAX_FUTURE_MS)
    }

    fn code(s: &str) -> &'static str {
        parse(s).map(|_| "ok").unwrap_or_else(|m| m.code())
    }

    #[test]
    fn reads_valid_quotes_in_every_ts_form() {
        let q = parse(r#"{"symbol":"JPM","ts":1672185600000,"price":141.2,"extra":[1,{"a":2}]}"#)
            .unwrap();
        assert_eq!(
            (q.symbol.as_ref(), q.ts, q.price),
            ("JPM", 1_672_185_600_000, 141.2)
        );
        let day = 1_672_185_600_000; // 2022-12-28T00:00:00Z
        for ts in [
            r#""2022-12-28""#,
            r#""2022-12-28T00:00:00""#,
            r#""2022-12-28 00:00:00Z""#,
            r#""2022-12-28T01:00:00+01:00""#,
            r#""2022-12-28T00:00""#,
            "1672185600000.9",
        ] {
            let msg = format!(r#"{{"symbol":"A","ts":{ts},"price":1}}"#);
            assert_eq!(parse(&msg).unwrap().ts, day, "{msg}");
        }
        let msg = r#"{"symbol":"A","ts":"2022-12-28T00:00:00.250Z","price":1}"#;
        assert_eq!(parse(msg).unwrap().ts, day + 250);
        // An escaped symbol is read into an owned string.
        assert_eq!(
            parse(r#"{"symbol":"A\u00e9","ts":1,"price":2}"#)
                .unwrap()
                .symbol,
            "Aé"
        );
    }

    #[test]
    fn classifies_every_kind_of_malformed_message() {
        let cases = [
            ("", "not_json"),
            ("   ", "not_json"),
            ("hello", "not_json"),
            (r#"{"symbol":"A","ts":1,"price":1"#, "not_json"),
            ("[1,2,3]", "not_json"),
            ("42", "not_json"),
            (r#"{"ts":1,"price":1}"#, "missing_field"),
            (r#"{"symbol":"A","price":1}"#, "missing_field"),
            (r#"{"symbol":"A","ts":1}"#, "missing_field"),
            (r#"{"symbol":7,"ts":1,"price":1}"#, "wrong_type"),
            (r#"{"symbol":"","ts":1,"price":1}"#, "wrong_type"),
            (r#"{"symbol":null,"ts":1,"price":1}"#, "wrong_type"),
            (r#"{"symbol":"A","ts":true,"price":1}"#, "wrong_type"),
            (r#"{"symbol":"A","ts":1,"price":"1.5"}"#, "wrong_type"),
            (r#"{"symbol":"A","ts":1,"price":[1]}"#, "wrong_type"),
            (r#"{"symbol":"A","ts":1,"price":null}"#, "wrong_type"),
            (r#"{"symbol":"A","ts":1,"price":NaN}"#, "invalid_price"),
            (r#"{"symbol":"A","ts":1,"price":Infinity}"#, "invalid_price"),
            (
                r#"{"symbol":"A","ts":1,"price":-Infinity}"#,
                "invalid_price",
            ),
            (r#"{"symbol":"A","ts":1,"price":-3.5}"#, "invalid_price"),
            (r#"{"symbol":"A","ts":1,"price":0}"#, "invalid_price"),
            (r#"{"symbol":"A","ts":"yesterday","price":1}"#, "invalid_ts"),
            (r#"{"symbol":"A","ts":NaN,"price":1}"#, "invalid_ts"),
            (r#"{"symbol":"A","ts":1e300,"price":1}"#, "invalid_ts"),
            (
                r#"{"symbol":"A","ts":18446744073709551615,"price":1}"#,
                "invalid_ts",
            ),
            (r#"{"symbol":"A","ts":"2999-01-01","price":1}"#, "future_ts"),
            (
                r#"{"symbol":"A","ts":32503680000000,"price":1}"#,
                "future_ts",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(code(msg), want, "{msg}: {:?}", parse(msg).err());
        }
        // Just under the limit is fine; the reasons name the field and value.
        let soon = format!(r#"{{"symbol":"A","ts":{},"price":1}}"#, NOW + 3_600_000);
        assert_eq!(code(&soon), "ok");
        let reason = |s: &str| parse(s).err().unwrap().reason().to_string();
        assert_eq!(
            reason(r#"{"symbol":"A","ts":1,"price":"1.5"}"#),
            "price should be a number, but is a string (\"1.5\")"
        );
        assert_eq!(
            reason(r#"{"symbol":"A","ts":1,"price":NaN}"#),
            "price is NaN"
        );
        assert_eq!(
            reason(r#"{"symbol":"A","ts":1,"price":-3.5}"#),
            "price should be positive and finite, but is -3.5"
        );
        assert!(
            reason(r#"{"symbol":"A","ts":"2999-01-01","price":1}"#)
                .starts_with("ts 2999-01-01T00:00:00.000 is ")
        );
        assert!(
            reason("hello").starts_with("not JSON: "),
            "{}",
            reason("hello")
        );
        assert!(
            reason("[1]").contains("not a JSON object"),
            "{}",
            reason("[1]")
        );
        // A NaN inside a string is not touched.
        assert_eq!(code(r#"{"symbol":"NaN","ts":1,"price":2}"#), "ok");
    }

    #[test]
    fn json_round_trips_exactly() {
        for price in [0.264, 141.2, 1e-7, 123_456.789_012_345, f64::MIN_POSITIVE] {
            let q = Quote::new("BRK.B", -86_400_000, price);
            let json = q.to_json();
            let back = parse_wire(json.as_bytes(), NOW, DEFAULT_MAX_FUTURE_MS).unwrap();
            assert_eq!(
                (back.symbol.as_ref(), back.ts, back.price),
                ("BRK.B", q.ts, price)
            );
        }
    }

    #[test]
    fn murmur2_matches_kafkas_java_client() {
        // The vectors of Kafka's UtilsTest.testMurmur2 (clients/src/test/.../UtilsTest.java).
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, want) in cases {
            assert_eq!(murmur2(key), want, "{}", String::from_utf8_lossy(key));
        }
        // `Utils.toPositive(Utils.murmur2(key)) % 3`, run with kafka-clients 4.1.1.
        assert_eq!(murmur2(b"JPM"), 1_998_068_534);
        assert_eq!(partition_for(b"JPM", 3), 2);
        assert_eq!(partition_for(b"XOM", 3), 0);
        assert_eq!(partition_for(b"JPM", 1), 0);
    }
}

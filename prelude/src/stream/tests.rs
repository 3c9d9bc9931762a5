//! Tests of the whole stream on the embedded source: windows and state against a batch
//! computation with polars' `group_by`, running streams, setup errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use polars::prelude::*;

use super::*;
use crate::display::Render;
use crate::error::Error;

pub(crate) const DAY: Duration = Duration::from_secs(86_400);
pub(crate) const DAY_MS: i64 = 86_400_000;

/// A few symbols of the bundled prices, `days` trading days, as sorted quotes.
pub(crate) fn sample(symbols: &[&str], days: usize) -> DataFrame {
    let mut names = vec!["Date"];
    names.extend_from_slice(symbols);
    crate::sp500()
        .unwrap()
        .select(names)
        .unwrap()
        .head(Some(days))
}

/// `ts` of a frame as ms.
pub(crate) fn ts_ms(frame: &DataFrame) -> Vec<i64> {
    let ts = frame.column("ts").unwrap().to_physical_repr();
    ts.i64().unwrap().iter().map(|t| t.unwrap()).collect()
}

/// The windowed aggregate as a batch computation: for every calendar day `e` from the
/// first quote's day + 1 to the last's + 1, the quotes with `e − length ≤ ts < e`, grouped by
/// symbol (mean, sum, count), sorted; empty windows left out.
pub(crate) fn expected_windows(quotes: &DataFrame, length_days: i64) -> Vec<DataFrame> {
    let ts = ts_ms(quotes);
    let first = ts.iter().min().unwrap().div_euclid(DAY_MS) * DAY_MS;
    let last = ts.iter().max().unwrap().div_euclid(DAY_MS) * DAY_MS;
    let mut out = Vec::new();
    let mut end = first + DAY_MS;
    while end <= last + DAY_MS {
        let lo = end - length_days * DAY_MS;
        let ts_col = quotes.column("ts").unwrap().to_physical_repr();
        let t = ts_col.i64().unwrap();
        let mask: BooleanChunked = t.iter().map(|v| v.map(|v| v >= lo && v < end)).collect();
        let rows = quotes.filter(&mask).unwrap();
        if rows.height() > 0 {
            out.push(window_aggregate(rows.lazy()));
        }
        end += DAY_MS;
    }
    out
}

/// The aggregation both sides use.
pub(crate) fn aggs() -> [Expr; 3] {
    [
        col("price").mean().alias("mean"),
        col("price").sum().alias("sum"),
        len().alias("n"),
    ]
}

fn window_aggregate(rows: LazyFrame) -> DataFrame {
    rows.group_by([col("symbol")])
        .agg(aggs())
        .sort(["symbol"], SortMultipleOptions::default())
        .collect()
        .unwrap()
}

/// The running state as a batch computation: after each trading day, per symbol the count,
/// sum and last price of every quote so far.
pub(crate) fn expected_states(quotes: &DataFrame) -> Vec<DataFrame> {
    let mut days: Vec<i64> = ts_ms(quotes);
    days.dedup();
    days.into_iter()
        .map(|d| {
            quotes
                .clone()
                .lazy()
                .filter(
                    col("ts").lt_eq(lit(d).cast(DataType::Datetime(TimeUnit::Milliseconds, None))),
                )
                .group_by([col("symbol")])
                .agg([
                    len().cast(DataType::Float64).alias("count"),
                    col("price").sum().alias("sum"),
                    col("price").last().alias("last"),
                ])
                .sort(["symbol"], SortMultipleOptions::default())
                .collect()
                .unwrap()
        })
        .collect()
}

/// The stream side of `expected_states`.
pub(crate) fn running_state(stream: Stream) -> Stream {
    stream.update_state_by_key("symbol", |_symbol, rows, state| {
        if rows.height() > 0 {
            let price = rows.column("price")?.f64()?;
            state.add("count", rows.height() as f64);
            state.add("sum", price.sum().unwrap_or(0.0));
            state.set("last", price.get(rows.height() - 1).unwrap_or(f64::NAN));
        }
        Ok(())
    })
}

/// Frames equal within float rounding (sums of different orders).
pub(crate) fn assert_frames_close(got: &DataFrame, want: &DataFrame, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: {got}\nvs\n{want}");
    assert_eq!(got.get_column_names(), want.get_column_names(), "{what}");
    for (g, w) in got.columns().iter().zip(want.columns()) {
        if w.dtype() == &DataType::Float64 {
            let (g, w) = (g.f64().unwrap(), w.f64().unwrap());
            for (a, b) in g.iter().zip(w.iter()) {
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{what}: {a} vs {b}"
                );
            }
        } else {
            assert!(
                g.cast(w.dtype())
                    .unwrap()
                    .as_materialized_series()
                    .equals(w.as_materialized_series()),
                "{what}: column {}: {g:?} vs {w:?}",
                w.name()
            );
        }
    }
}

#[test]
fn windows_equal_a_batch_group_by() {
    let wide = sample(&["JPM", "KO", "XOM"], 40);
    let quotes = (&wide).into_quotes().unwrap();
    let got: Vec<DataFrame> = Stream::replay(&wide)
        .partitions(3)
        .window(DAY * 5, DAY)
        .reduce_by_key("symbol", aggs())
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .collect::<crate::Result<_>>()
        .unwrap();
    let want = expected_windows(&quotes, 5);
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_frames_close(g, w, &format!("window {i}"));
    }
}

#[test]
fn processing_time_windows_count_batches() {
    // Replay clock: a day of quotes per 100 ms batch; windows of 3 batches sliding by 2.
    let wide = sample(&["KO"], 10);
    let got: Vec<usize> = Stream::replay(&wide)
        .speed(864_000.0)
        .window(Duration::from_millis(300), Duration::from_millis(200))
        .batches(Duration::from_millis(100))
        .unwrap()
        .map(|b| b.unwrap().height())
        .collect();
    // 10 trading days from Tue 1990-01-02 over 13 calendar days (weekends empty): batches
    // hold 1 1 1 1 0 0 1 1 1 1 1 0 0 1 quote(s); windows end at batches 2, 4, …, 14 and
    // hold the batches (end − 3, end].
    assert_eq!(got, [2, 3, 1, 2, 3, 2, 1]);
}

#[test]
fn state_equals_a_running_batch_group_by() {
    let wide = sample(&["AAPL", "JPM"], 30);
    let quotes = (&wide).into_quotes().unwrap();
    let got: Vec<DataFrame> = running_state(Stream::replay(&wide))
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .collect::<crate::Result<_>>()
        .unwrap();
    let want = expected_states(&quotes);
    assert_eq!(got.len(), 30);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_frames_close(g, w, &format!("state after day {i}"));
    }
}

#[test]
fn sinks_see_every_output_and_an_error_ends_the_stream() {
    let wide = sample(&["KO", "PEP"], 10);
    let seen = Arc::new(Mutex::new(0usize));
    let counter = seen.clone();
    let mut batches = Stream::replay(&wide)
        .map(|df| Ok(df.select(["symbol", "price"])?))
        .filter(col("symbol").eq(lit("KO")))
        .foreach_batch(move |df| {
            let mut n = counter.lock().unwrap();
            *n += df.height();
            if *n >= 5 {
                return Err(Error::Stream {
                    operation: "test sink",
                    message: "sink is full".into(),
                    hint: "none".into(),
                });
            }
            Ok(())
        })
        .batches(Trigger::event_time(DAY))
        .unwrap();
    for _ in 0..4 {
        let df = batches.next().unwrap().unwrap();
        assert_eq!(df.get_column_names(), ["symbol", "price"]);
        assert_eq!(df.height(), 1);
    }
    let err = batches.next().unwrap().unwrap_err();
    assert!(err.to_string().contains("sink is full"), "{err}");
    assert!(batches.next().is_none());
    assert!(matches!(batches.stats().state, StreamState::Failed(_)));
}

#[test]
fn setup_mistakes_are_reported_by_batches() {
    let wide = sample(&["KO"], 3);
    let err = |s: Stream| s.batches(Duration::from_secs(1)).unwrap_err().to_string();
    assert!(err(Stream::replay(&wide).config("a", "b")).contains("a Kafka stream"));
    assert!(err(Stream::kafka("b:1", "t", "g").partitions(3)).contains("a replay"));
    assert!(err(Stream::replay(&wide).window(DAY, DAY * 2)).contains("at least the slide"));
    assert!(
        err(Stream::replay(&wide).window(Duration::from_millis(1500), Duration::from_secs(1)))
            .contains("multiple of the batch interval")
    );
    assert!(err(Stream::replay(&wide).speed(-1.0)).contains("speed should be positive"));
    assert!(err(Stream::kafka("b:1", "", "g")).contains("topic should be not empty"));
    let missing = Stream::replay("/nonexistent/prices.csv")
        .batches(Duration::from_secs(1))
        .unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}

#[test]
fn unreachable_broker_fails_within_ten_seconds() {
    let t0 = std::time::Instant::now();
    let err = Stream::kafka("127.0.0.1:1", "quotes", "g")
        .batches(Duration::from_secs(1))
        .unwrap_err();
    let elapsed = t0.elapsed();
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("Stream::kafka: cannot reach the Kafka broker at 127.0.0.1:1 within 5 s"),
        "{msg}"
    );
    assert!(msg.contains("services/kafka.sh start"), "{msg}");
    let t0 = std::time::Instant::now();
    let err =
        replay_to_kafka("127.0.0.1:1", "quotes", &sample(&["KO"], 2), Speed::Max).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("cannot reach"), "{err}");
}

#[test]
fn running_replay_stops_cleanly_and_shows_its_view() {
    let market = Market::from_prices(&crate::sp500().unwrap())
        .unwrap()
        .symbols(&["AAPL", "MSFT", "XOM"])
        .unwrap()
        .rate(3_000.0)
        .start(1_600_000_000_000);
    let job = Stream::synthetic(&market)
        .paced(true)
        .start(Duration::from_millis(100))
        .unwrap();
    assert!(job.is_active());
    std::thread::sleep(Duration::from_millis(600));
    let during = job.stats();
    assert!(
        during.messages > 0 && during.state == StreamState::Running,
        "{during}"
    );
    let view = job.mime_bundle();
    let html = view.get("text/html").unwrap();
    assert!(
        html.contains("<svg") && html.contains("latest prices"),
        "{html}"
    );
    let t0 = std::time::Instant::now();
    let stats = job.stop().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        t0.elapsed()
    );
    assert_eq!(stats.state, StreamState::Stopped);
    assert!(!job.is_active());
    // Paced at 3,000 quotes/s for about 0.6 s.
    assert!((1_000..3_500).contains(&stats.messages), "{stats}");
    assert_eq!(job.stop().unwrap().messages, stats.messages);
}

#[test]
fn a_failed_running_stream_returns_its_error_once() {
    let job = Stream::replay(&sample(&["KO"], 5))
        .foreach_batch(|_| {
            Err(Error::Stream {
                operation: "sink",
                message: "no".into(),
                hint: "none".into(),
            })
        })
        .start(Trigger::event_time(DAY))
        .unwrap();
    let err = job.await_termination().unwrap_err();
    assert!(err.to_string().starts_with("sink: no"), "{err}");
    let stats = job.stop().unwrap();
    assert!(matches!(stats.state, StreamState::Failed(ref m) if m.contains("no")));
}

#[test]
fn synthetic_stream_starts_with_the_markets_quotes() {
    let market = Market::from_prices(&crate::sp500().unwrap())
        .unwrap()
        .symbols(&["KO", "PEP"])
        .unwrap()
        .rate(200.0)
        .seed(5)
        .start(0);
    let first: Vec<DataFrame> = Stream::synthetic(&market)
        .batches(Duration::from_secs(1))
        .unwrap()
        .take(3)
        .collect::<crate::Result<_>>()
        .unwrap();
    let all = super::frame::concat(first).unwrap().unwrap();
    assert_eq!(all.height(), 600);
    let want = market.quotes(600).unwrap();
    assert!(all.select(["symbol", "ts", "price"]).unwrap().equals(&want));
}

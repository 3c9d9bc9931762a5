//! The live view of a running stream: a chart of the latest prices above the counters.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use polars::prelude::*;

use super::frame::TS_DTYPE;
use super::stats::StreamStats;
use crate::display::{MimeBundle, Render, escape_html};

/// Points kept per symbol.
const KEEP_POINTS: usize = 300;
/// Symbols drawn (the first ones in alphabetical order).
const MAX_SYMBOLS: usize = 8;

/// The latest price of each symbol at the end of each batch.
#[derive(Default)]
pub(crate) struct PriceHistory {
    points: BTreeMap<String, VecDeque<(i64, f64)>>,
}

impl PriceHistory {
    /// Adds each symbol's latest quote of a raw batch (the one with the largest `ts`).
    pub fn update(&mut self, batch: &DataFrame) {
        let (Ok(symbol), Ok(ts), Ok(price)) = (
            batch.column("symbol"),
            batch.column("ts"),
            batch.column("price"),
        ) else {
            return;
        };
        let (Ok(symbol), Ok(price)) = (symbol.str(), price.f64()) else {
            return;
        };
        let ts = ts.to_physical_repr();
        let Ok(ts) = ts.i64() else {
            return;
        };
        let mut latest: BTreeMap<&str, (i64, f64)> = BTreeMap::new();
        for ((s, t), p) in symbol.iter().zip(ts.iter()).zip(price.iter()) {
            if let (Some(s), Some(t), Some(p)) = (s, t, p) {
                let e = latest.entry(s).or_insert((t, p));
                if t >= e.0 {
                    *e = (t, p);
                }
            }
        }
        for (s, (t, p)) in latest {
            let line = self.points.entry(s.to_string()).or_default();
            match line.back_mut() {
                Some(last) if last.0 == t => *last = (t, p),
                Some(last) if last.0 > t => {} // older than what is drawn: a late quote
                _ => line.push_back((t, p)),
            }
            if line.len() > KEEP_POINTS {
                line.pop_front();
            }
        }
    }

    /// The drawn lines as a wide frame: `ts`, then one column per symbol, carried forward
    /// between its quotes; `None` before the first quote.
    pub fn frame(&self) -> Option<(DataFrame, Vec<String>)> {
        let symbols: Vec<&String> = self.points.keys().take(MAX_SYMBOLS).collect();
        let stamps: BTreeSet<i64> = symbols
            .iter()
            .flat_map(|s| self.points[*s].iter().map(|(t, _)| *t))
            .collect();
        if stamps.is_empty() {
            return None;
        }
        let stamps: Vec<i64> = stamps.into_iter().collect();
        let ts = Int64Chunked::from_vec("ts".into(), stamps.clone())
            .into_datetime(TimeUnit::Milliseconds, None)
            .into_column();
        let mut columns = vec![ts];
        for s in &symbols {
            let line = &self.points[*s];
            let mut values = Vec::with_capacity(stamps.len());
            let mut i = 0;
            let mut current = None;
            for t in &stamps {
                while i < line.len() && line[i].0 <= *t {
                    current = Some(line[i].1);
                    i += 1;
                }
                values.push(current);
            }
            columns.push(Column::new(s.as_str().into(), values));
        }
        let df = DataFrame::new(stamps.len(), columns).ok()?;
        debug_assert_eq!(df.column("ts").ok()?.dtype(), &TS_DTYPE);
        Some((df, symbols.into_iter().cloned().collect()))
    }

    /// The chart as SVG, or why there is none.
    pub fn svg(&self) -> Result<String, String> {
        let Some((df, symbols)) = self.frame() else {
            return Err("no quotes yet".into());
        };
        let names: Vec<&str> = symbols.iter().map(String::as_str).collect();
        crate::plot::line(&df, "ts", &names)
            .and_then(|c| c.title("latest prices").size(760, 320).svg())
            .map_err(|e| e.to_string())
    }
}

/// A snapshot of a running stream: counters and chart.
pub(crate) struct StreamView {
    pub stats: StreamStats,
    pub svg: Result<String, String>,
}

impl Render for StreamView {
    fn mime_bundle(&self) -> MimeBundle {
        let chart = match &self.svg {
            Ok(svg) => svg.clone(),
            Err(why) => format!("<p><i>{}</i></p>", escape_html(why)),
        };
        let html = format!(
            "<div class=\"eddy-stream\"><div><b>stream</b> — {}</div>{chart}{}</div>",
            escape_html(&self.stats.state.to_string()),
            self.stats.html_table()
        );
        MimeBundle::new(self.stats.to_string()).with("text/html", html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::frame::FrameBuilder;

    #[test]
    fn history_keeps_the_latest_quote_per_batch_and_carries_it_forward() {
        let mut h = PriceHistory::default();
        assert!(h.svg().is_err());
        let mut b = FrameBuilder::default();
        b.push("A", 1_000, 1.0, 0, 0);
        b.push("A", 3_000, 3.0, 0, 1);
        b.push("B", 2_000, 20.0, 0, 2);
        h.update(&b.take().unwrap());
        let (df, symbols) = h.frame().unwrap();
        assert_eq!(symbols, ["A", "B"]);
        // Stamps 2000 (B) and 3000 (A): A's latest only, B carried forward.
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("A").unwrap().f64().unwrap().get(0), None);
        assert_eq!(df.column("B").unwrap().f64().unwrap().get(1), Some(20.0));
        let svg = h.svg().unwrap();
        assert!(svg.contains("latest prices"));
        let view = StreamView {
            stats: crate::stream::stats::Metrics::new("x".into()).snapshot(),
            svg: Ok(svg),
        };
        let bundle = view.mime_bundle();
        assert!(bundle.get("text/html").unwrap().contains("<svg"));
    }
}

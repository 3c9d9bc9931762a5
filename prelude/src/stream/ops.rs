//! The DStream-style operators a [`Stream`](crate::stream::Stream) applies to each batch:
//! `map`, `filter`, `window`, `reduce_by_key` and `update_state_by_key` (with its [`State`]).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use polars::prelude::*;

use super::frame::concat;
use crate::error::{Error, Result};

/// A batch between operators: the frame and when its batch ends (ms; see `RawBatch::end`).
pub(crate) struct Batch {
    pub frame: DataFrame,
    pub end: i64,
}

/// One operator.
pub(crate) trait Stage: Send {
    /// Checks the operator against the period (ms) of the batches it receives and returns the
    /// period of the batches it emits.
    fn period(&self, input: i64) -> Result<i64> {
        Ok(input)
    }

    /// Takes one batch, emits zero or more.
    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>>;
}

/// `map(f)`.
pub(crate) struct Map<F>(pub F);

impl<F> Stage for Map<F>
where
    F: FnMut(DataFrame) -> Result<DataFrame> + Send,
{
    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>> {
        Ok(vec![Batch {
            frame: (self.0)(batch.frame)?,
            end: batch.end,
        }])
    }
}

/// `filter(predicate)`.
pub(crate) struct Filter(pub Expr);

impl Stage for Filter {
    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>> {
        let frame = batch.frame.lazy().filter(self.0.clone()).collect()?;
        Ok(vec![Batch {
            frame,
            end: batch.end,
        }])
    }
}

/// `window(length, slide)`: every `slide`, the batches of the last `length`, stacked.
pub(crate) struct Window {
    pub length: i64,
    pub slide: i64,
    held: VecDeque<(i64, DataFrame)>,
    last_end: Option<i64>,
}

impl Window {
    pub fn new(length: i64, slide: i64) -> Window {
        Window {
            length,
            slide,
            held: VecDeque::new(),
            last_end: None,
        }
    }

    /// The window ending at `end`: the held batches with `end - length < batch end <= end`.
    fn window_at(&self, end: i64) -> Result<Option<Batch>> {
        let frames = self
            .held
            .iter()
            .filter(|(e, _)| *e > end - self.length && *e <= end)
            .map(|(_, f)| f.clone());
        Ok(concat(frames)?.map(|frame| Batch { frame, end }))
    }
}

impl Stage for Window {
    fn period(&self, input: i64) -> Result<i64> {
        for (name, value) in [("length", self.length), ("slide", self.slide)] {
            if value <= 0 || value % input != 0 {
                return Err(Error::InvalidParameter {
                    operation: "Stream::window",
                    name,
                    value: format!("{value} ms"),
                    rule: "a positive multiple of the batch interval (or of the previous window's slide)",
                });
            }
        }
        Ok(self.slide)
    }

    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>> {
        let mut out = Vec::new();
        let end = batch.end;
        // Window ends skipped since the last batch (event-time batches skip empty spans):
        // emit those that hold data, in order.
        if let Some(last) = self.last_end {
            let (slide, length) = (self.slide, self.length);
            let mut ends: Vec<i64> = self
                .held
                .iter()
                .flat_map(|(e, _)| {
                    let e = *e;
                    let first = super::source::floor_to(e - 1, slide) + slide;
                    (0..)
                        .map(move |i| first + i * slide)
                        .take_while(move |b| *b < e + length)
                })
                .filter(|b| *b > last && *b < end)
                .collect();
            ends.sort_unstable();
            ends.dedup();
            for b in ends {
                if let Some(w) = self.window_at(b)? {
                    out.push(w);
                }
            }
        }
        self.held.push_back((end, batch.frame));
        self.last_end = Some(end);
        if end % self.slide == 0
            && let Some(w) = self.window_at(end)?
        {
            out.push(w);
        }
        while self
            .held
            .front()
            .is_some_and(|(e, _)| *e <= end - self.length)
        {
            self.held.pop_front();
        }
        Ok(out)
    }
}

/// `reduce_by_key(key, aggs)`: `group_by(key).agg(aggs)`, sorted by key.
pub(crate) struct ReduceByKey {
    pub key: String,
    pub aggs: Vec<Expr>,
}

impl Stage for ReduceByKey {
    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>> {
        if batch.frame.column(&self.key).is_err() {
            return Err(Error::column_not_found(
                "Stream::reduce_by_key",
                &self.key,
                &batch.frame,
            ));
        }
        let frame = batch
            .frame
            .lazy()
            .group_by([col(self.key.as_str())])
            .agg(self.aggs.clone())
            .sort([self.key.as_str()], SortMultipleOptions::default())
            .collect()?;
        Ok(vec![Batch {
            frame,
            end: batch.end,
        }])
    }
}

/// The state kept for one key by
/// [`update_state_by_key`](crate::stream::Stream::update_state_by_key): named numbers, in the
/// order they were first set. An empty state (after [`clear`](State::clear)) removes the key.
///
/// ```
/// use eddy::stream::State;
///
/// let mut s = State::default();
/// s.set("count", 2.0);
/// s.add("count", 3.0);
/// assert_eq!(s.get("count"), Some(5.0));
/// assert_eq!(s.get("mean"), None);
/// s.clear();
/// assert!(s.is_empty());
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct State {
    values: Vec<(String, f64)>,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl State {
    /// The value named `name`, if set.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: f64) {
        match self.values.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 = value,
            None => self.values.push((name.to_string(), value)),
        }
    }

    /// Adds `delta` to `name` (a missing value counts as 0).
    pub fn add(&mut self, name: &str, delta: f64) {
        let v = self.get(name).unwrap_or(0.0);
        self.set(name, v + delta);
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &str) {
        self.values.retain(|(k, _)| k != name);
    }

    /// Removes every value: the key is dropped from the state after this batch.
    pub fn clear(&mut self) {
        self.values.clear();
    }

    /// True if nothing is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `(name, value)` pairs, in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// `update_state_by_key(key, f)`.
pub(crate) struct UpdateStateByKey<F> {
    pub key: String,
    pub update: F,
    pub states: BTreeMap<String, State>,
}

impl<F> Stage for UpdateStateByKey<F>
where
    F: FnMut(&str, &DataFrame, &mut State) -> Result<()> + Send,
{
    fn push(&mut self, batch: Batch) -> Result<Vec<Batch>> {
        const OP: &str = "Stream::update_state_by_key";
        let frame = &batch.frame;
        let Ok(key_column) = frame.column(&self.key) else {
            return Err(Error::column_not_found(OP, &self.key, frame));
        };
        let keys = key_column.cast(&DataType::String)?;
        let keys = keys.str()?;
        // Row indices per key, in order.
        let mut rows: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            let Some(k) = k else {
                return Err(Error::InvalidParameter {
                    operation: OP,
                    name: "key",
                    value: format!("null at row {i} of column `{}`", self.key),
                    rule: "a key on every row (filter nulls first)",
                });
            };
            rows.entry(k.to_string()).or_default().push(i as IdxSize);
        }
        let empty = frame.clear();
        // Every key with state or rows: rows only for keys in this batch (Spark calls the
        // update for every key, with no new values for the others).
        let mut all: Vec<String> = self.states.keys().cloned().collect();
        all.extend(
            rows.keys()
                .filter(|k| !self.states.contains_key(*k))
                .cloned(),
        );
        all.sort();
        for key in all {
            let part = match rows.get(&key) {
                Some(idx) => frame.take(&IdxCa::from_vec("idx".into(), idx.clone()))?,
                None => empty.clone(),
            };
            let state = self.states.entry(key.clone()).or_default();
            (self.update)(&key, &part, state)?;
            if state.is_empty() {
                self.states.remove(&key);
            }
        }
        Ok(vec![Batch {
            frame: self.frame()?,
            end: batch.end,
        }])
    }
}

impl<F> UpdateStateByKey<F> {
    /// The states as a frame: the key, then one `f64` column per name (null where a key does
    /// not have it), sorted by key.
    fn frame(&self) -> Result<DataFrame> {
        let mut names: Vec<&str> = Vec::new();
        for state in self.states.values() {
            for (name, _) in state.iter() {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let n = self.states.len();
        let mut columns = vec![Column::new(
            self.key.as_str().into(),
            self.states.keys().cloned().collect::<Vec<_>>(),
        )];
        for name in names {
            let values: Vec<Option<f64>> = self.states.values().map(|s| s.get(name)).collect();
            columns.push(Column::new(name.into(), values));
        }
        Ok(DataFrame::new(n, columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(end: i64, prices: &[f64]) -> Batch {
        let n = prices.len();
        let frame = df!("symbol" => vec!["A"; n], "price" => prices.to_vec()).unwrap();
        Batch { frame, end }
    }

    fn sums(out: &[Batch]) -> Vec<(i64, f64)> {
        out.iter()
            .map(|b| {
                (
                    b.end,
                    b.frame
                        .column("price")
                        .unwrap()
                        .f64()
                        .unwrap()
                        .sum()
                        .unwrap_or(0.0),
                )
            })
            .collect()
    }

    #[test]
    fn windows_slide_over_consecutive_batches() {
        let mut w = Window::new(3, 2);
        assert_eq!(w.period(1).unwrap(), 2);
        assert!(w.period(2).is_err()); // 3 is not a multiple of 2
        let mut out = Vec::new();
        for (end, p) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 32.0)] {
            out.extend(w.push(batch(end, &[p])).unwrap());
        }
        // Ends 2, 4, 6 with batches (end-3, end]: {1,2}, {2,3,4}, {4,5,6}.
        assert_eq!(sums(&out), [(2, 3.0), (4, 14.0), (6, 56.0)]);
    }

    #[test]
    fn windows_emit_across_skipped_batches() {
        // Event-time batches every 10 with gaps: 10, 20, 50; windows of 20 sliding by 10.
        let mut w = Window::new(20, 10);
        let mut out = Vec::new();
        for (end, p) in [(10, 1.0), (20, 2.0), (50, 4.0)] {
            out.extend(w.push(batch(end, &[p])).unwrap());
        }
        // 10: {10}; 20: {10,20}; 30: {20}; 40: nothing; 50: {50}.
        assert_eq!(sums(&out), [(10, 1.0), (20, 3.0), (30, 2.0), (50, 4.0)]);
    }

    #[test]
    fn reduce_and_state_by_key() {
        let frame = df!("symbol" => ["B", "A", "B"], "price" => [1.0, 2.0, 3.0]).unwrap();
        let mut r = ReduceByKey {
            key: "symbol".into(),
            aggs: vec![col("price").sum(), len().alias("n")],
        };
        let out = r
            .push(Batch {
                frame: frame.clone(),
                end: 1,
            })
            .unwrap();
        let want = df!("symbol" => ["A", "B"], "price" => [2.0, 4.0], "n" => [1u32, 2]).unwrap();
        assert!(out[0].frame.equals(&want), "{}", out[0].frame);

        let mut s = UpdateStateByKey {
            key: "symbol".into(),
            update: |_key: &str, rows: &DataFrame, state: &mut State| -> Result<()> {
                if rows.height() == 0 {
                    state.clear(); // forget keys without quotes in a batch
                    return Ok(());
                }
                state.add("count", rows.height() as f64);
                state.add("sum", rows.column("price")?.f64()?.sum().unwrap_or(0.0));
                Ok(())
            },
            states: BTreeMap::new(),
        };
        s.push(Batch { frame, end: 1 }).unwrap();
        let second = df!("symbol" => ["B"], "price" => [10.0]).unwrap();
        let out = s
            .push(Batch {
                frame: second,
                end: 2,
            })
            .unwrap();
        let want = df!("symbol" => ["B"], "count" => [3.0], "sum" => [14.0]).unwrap();
        assert!(out[0].frame.equals(&want), "{}", out[0].frame);
    }
}

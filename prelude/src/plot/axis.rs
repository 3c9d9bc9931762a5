//! Chart axes: a linear range with our own tick positions and labels.
//!
//! plotters' date axes place ticks every N weeks from the first date; ours are calendar-aligned
//! (years, months, days, hours) and numeric ticks fall on 1-2-5 multiples, like matplotlib's.

use std::ops::Range;

use chrono::{DateTime, Datelike, NaiveDate};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Seconds in a day.
const DAY: f64 = 86_400.0;

/// What the numbers on an axis mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Plain numbers.
    Number,
    /// Days since 1970-01-01 (fractional for datetimes), in UTC.
    Days,
}

/// How tick labels are written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TickFormat {
    /// A number with this many decimals.
    Decimals(usize),
    /// A date or time, with this `strftime` pattern.
    Time(&'static str),
    /// A name per unit band: `names[i]` labels `i..i + 1` (a categorical axis).
    Names(Vec<String>),
}

/// A linear axis from `lo` to `hi` with precomputed ticks.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    format: TickFormat,
}

impl Axis {
    /// An axis covering `lo..hi` with about `target` ticks.
    pub(crate) fn new(scale: Scale, lo: f64, hi: f64, target: usize) -> Axis {
        let (lo, hi) = widen_if_flat(lo, hi, scale);
        let (ticks, format) = match scale {
            Scale::Number => number_ticks(lo, hi, target),
            Scale::Days => time_ticks(lo, hi, target),
        };
        Axis {
            lo,
            hi,
            ticks,
            format,
        }
    }

    /// A categorical axis over `0..names.len()`, one tick in the middle of each unit band:
    /// `names[i]` at `i + 0.5`, or at `len − i − 0.5` if `top_down` (the first name on top
    /// of a y axis).
    pub(crate) fn categories(names: &[String], top_down: bool) -> Axis {
        let k = names.len();
        let mut bands = names.to_vec();
        if top_down {
            bands.reverse();
        }
        Axis {
            lo: 0.0,
            hi: k.max(1) as f64,
            ticks: (0..k).map(|i| i as f64 + 0.5).collect(),
            format: TickFormat::Names(bands),
        }
    }

    /// The tick positions.
    pub(crate) fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// The label for a tick at `value`.
    pub(crate) fn label(&self, value: f64) -> String {
        match &self.format {
            TickFormat::Decimals(d) => {
                let text = format!("{value:.d$}", d = *d);
                // No "-0".
                if text
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c == '0' || c == '.')
                {
                    text.trim_start_matches('-').to_string()
                } else {
                    text
                }
            }
            TickFormat::Time(pattern) => days_to_datetime(value)
                .map(|t| t.format(pattern).to_string())
                .unwrap_or_else(|| format!("{value}")),
            TickFormat::Names(names) => {
                let i = value.floor();
                if i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.lo) / (self.hi - self.lo);
        let pixels = (limit.1 - limit.0) as f64;
        limit.0 + (pixels * fraction + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // The same ticks for bold and light grid lines; charts draw light lines transparent.
        let max = hint.max_num_points();
        if max == 0 {
            return Vec::new();
        }
        let every = self.ticks.len().div_ceil(max).max(1);
        self.ticks.iter().copied().step_by(every).collect()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// A zero-width range becomes one unit (or day) wide, so it can be drawn.
fn widen_if_flat(lo: f64, hi: f64, scale: Scale) -> (f64, f64) {
    if hi > lo {
        return (lo, hi);
    }
    match scale {
        Scale::Days => (lo - 1.0, hi + 1.0),
        Scale::Number if lo == 0.0 => (-1.0, 1.0),
        Scale::Number => (lo - lo.abs() * 0.1, hi + hi.abs() * 0.1),
    }
}

/// Multiples of a 1-2-5 step inside `lo..=hi`, and the decimals the step needs.
pub(crate) fn number_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, TickFormat) {
    let raw = (hi - lo) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    (ticks, TickFormat::Decimals(decimals))
}

/// Calendar-aligned ticks for a range of days since the epoch.
pub(crate) fn time_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, TickFormat) {
    let target = target.max(2) as f64;
    let span = hi - lo;
    if span >= 4.0 * 365.0 {
        let step = pick(
            span / 365.25 / target,
            &[1, 2, 5, 10, 20, 25, 50, 100, 200, 500],
        );
        let (y0, y1) = (year_of(lo), year_of(hi) + 1);
        let ticks = (y0..=y1)
            .filter(|y| y.rem_euclid(step as i32) == 0)
            .filter_map(|y| date_days(y, 1, 1))
            .filter(|d| (lo..=hi).contains(d))
            .collect();
        (ticks, TickFormat::Time("%Y"))
    } else if span >= 60.0 {
        let step = pick(span / 30.44 / target, &[1, 2, 3, 6, 12]) as i32;
        let (y0, y1) = (year_of(lo), year_of(hi));
        let ticks = (y0..=y1)
            .flat_map(|y| (1..=12).map(move |m| (y, m)))
            .filter(|(_, m)| (m - 1) % step == 0)
            .filter_map(|(y, m)| date_days(y, m as u32, 1))
            .filter(|d| (lo..=hi).contains(d))
            .collect();
        (ticks, TickFormat::Time("%Y-%m"))
    } else if span >= 2.0 {
        let step = pick(span / target, &[1, 2, 7, 14]) as f64;
        // Weekly ticks fall on Mondays (day 4 since the epoch, a Thursday, was 1970-01-05).
        let offset = if step >= 7.0 { 4.0 } else { 0.0 };
        let first = ((lo - offset) / step).ceil() as i64;
        let last = ((hi - offset) / step).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step + offset).collect();
        (ticks, TickFormat::Time("%Y-%m-%d"))
    } else {
        let steps = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
        ];
        let step = pick(span * DAY / target, &steps) as f64 / DAY;
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        let pattern = if step * DAY < 60.0 {
            "%H:%M:%S"
        } else {
            "%m-%d %H:%M"
        };
        (ticks, TickFormat::Time(pattern))
    }
}

/// The first of `steps` at least `raw` (the last one if none is).
fn pick(raw: f64, steps: &[u32]) -> u32 {
    steps
        .iter()
        .copied()
        .find(|s| *s as f64 >= raw)
        .unwrap_or(steps[steps.len() - 1])
}

/// The year of a day count.
fn year_of(days: f64) -> i32 {
    days_to_datetime(days).map(|t| t.year()).unwrap_or(1970)
}

/// Days since the epoch of a calendar date.
fn date_days(year: i32, month: u32, day: u32) -> Option<f64> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(date.signed_duration_since(NaiveDate::default()).num_days() as f64)
}

/// A (fractional) day count as a UTC date-time.
pub(crate) fn days_to_datetime(days: f64) -> Option<chrono::NaiveDateTime> {
    let secs = (days * DAY).round();
    DateTime::from_timestamp(secs as i64, 0).map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<String> {
        axis.ticks().iter().map(|t| axis.label(*t)).collect()
    }

    #[test]
    fn number_ticks_fall_on_1_2_5_steps() {
        let axis = Axis::new(Scale::Number, 0.3, 9.7, 5);
        assert_eq!(labels(&axis), ["2", "4", "6", "8"]);
        let axis = Axis::new(Scale::Number, -0.05, 0.12, 4);
        assert_eq!(labels(&axis), ["-0.05", "0.00", "0.05", "0.10"]);
    }

    #[test]
    fn flat_ranges_are_widened() {
        let axis = Axis::new(Scale::Number, 5.0, 5.0, 5);
        assert!(axis.range().start < 5.0 && axis.range().end > 5.0);
    }

    #[test]
    fn decades_of_dates_tick_on_years() {
        let lo = date_days(1990, 1, 2).unwrap();
        let hi = date_days(2022, 12, 28).unwrap();
        let axis = Axis::new(Scale::Days, lo, hi, 10);
        assert_eq!(
            labels(&axis),
            ["1995", "2000", "2005", "2010", "2015", "2020"]
        );
    }

    #[test]
    fn a_few_years_tick_on_half_years() {
        let lo = date_days(2020, 1, 2).unwrap();
        let hi = date_days(2022, 12, 28).unwrap();
        let axis = Axis::new(Scale::Days, lo, hi, 9);
        assert_eq!(
            labels(&axis),
            ["2020-07", "2021-01", "2021-07", "2022-01", "2022-07"]
        );
    }

    #[test]
    fn categories_label_bands() {
        let names = ["a".to_string(), "b".to_string(), "c".to_string()];
        let x = Axis::categories(&names, false);
        assert_eq!(labels(&x), ["a", "b", "c"]);
        let y = Axis::categories(&names, true);
        assert_eq!(labels(&y), ["c", "b", "a"], "bottom to top");
        assert_eq!(y.range(), 0.0..3.0);
    }

    #[test]
    fn months_and_days() {
        let lo = date_days(2022, 1, 15).unwrap();
        let hi = date_days(2022, 9, 1).unwrap();
        let axis = Axis::new(Scale::Days, lo, hi, 8);
        assert_eq!(labels(&axis)[0], "2022-02");
        let hi = date_days(2022, 1, 25).unwrap();
        let axis = Axis::new(Scale::Days, lo, hi, 8);
        // Every other day, on even day numbers since the epoch.
        assert_eq!(labels(&axis)[..2], ["2022-01-16", "2022-01-18"]);
    }

    #[test]
    fn hours_within_a_day() {
        let lo = date_days(2022, 1, 15).unwrap();
        let axis = Axis::new(Scale::Days, lo, lo + 0.5, 6);
        assert_eq!(labels(&axis)[..2], ["01-15 00:00", "01-15 02:00"]);
    }

    #[test]
    fn key_points_respect_the_hint() {
        let axis = Axis::new(Scale::Number, 0.0, 100.0, 50);
        assert!(axis.key_points(5usize).len() <= 5);
        assert_eq!(axis.map(&50.0, (0, 100)), 50);
    }
}

//! [`Timestamp`] (milliseconds since the Unix epoch, Cassandra's `timestamp`) and
//! [`TimeRange`], the time bounds [`Store::range`](super::Store::range) accepts.

use std::fmt;
use std::ops::{Range, RangeFrom, RangeFull, RangeTo};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};

/// A point in time as the store keeps it: whole milliseconds since 1970-01-01 00:00:00 UTC,
/// the unit of Cassandra's `timestamp` and of the `ts` column the store returns.
///
/// Made from a `NaiveDate` (its midnight), a `NaiveDateTime` (read as UTC), a time-zone aware
/// `DateTime` (its UTC instant), or [`Timestamp::from_millis`]. A time with a fraction of a
/// millisecond is rounded *up* to the next millisecond, so a half-open range `from..to` keeps
/// exactly the stored rows with `from <= ts < to`.
///
/// ```
/// use eddy::prelude::*;
/// use eddy::store::Timestamp;
///
/// let day = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
/// assert_eq!(Timestamp::from(day).millis(), 1_704_153_600_000);
/// assert_eq!(Timestamp::from(day).to_string(), "2024-01-02 00:00:00.000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest timestamp (`i64::MIN` milliseconds).
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The latest timestamp (`i64::MAX` milliseconds).
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// The timestamp `millis` milliseconds after the Unix epoch (before it if negative).
    ///
    /// ```
    /// use eddy::store::Timestamp;
    ///
    /// assert_eq!(Timestamp::from_millis(1_500).millis(), 1_500);
    /// ```
    pub const fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    ///
    /// ```
    /// use eddy::store::Timestamp;
    ///
    /// assert_eq!(Timestamp::from_millis(-1).millis(), -1);
    /// ```
    pub const fn millis(self) -> i64 {
        self.0
    }
}

impl From<NaiveDateTime> for Timestamp {
    fn from(t: NaiveDateTime) -> Timestamp {
        Timestamp::from(t.and_utc())
    }
}

impl From<NaiveDate> for Timestamp {
    fn from(d: NaiveDate) -> Timestamp {
        Timestamp::from(d.and_time(chrono::NaiveTime::MIN))
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for Timestamp {
    fn from(t: DateTime<Tz>) -> Timestamp {
        // Seconds times 1000 plus the millisecond, rounded up when a fraction of it remains.
        let sub_nanos = i64::from(t.timestamp_subsec_nanos());
        let millis = t
            .timestamp()
            .saturating_mul(1000)
            .saturating_add(sub_nanos / 1_000_000);
        let up = i64::from(sub_nanos % 1_000_000 != 0);
        Timestamp(millis.saturating_add(up))
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DD HH:MM:SS.mmm` in UTC, or the raw milliseconds out of chrono's range.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::from_timestamp_millis(self.0) {
            Some(t) => write!(f, "{}", t.naive_utc().format("%Y-%m-%d %H:%M:%S%.3f")),
            None => write!(f, "{} ms", self.0),
        }
    }
}

/// Time bounds for [`Store::range`](super::Store::range): `from..to` (half-open, the usual
/// form), `from..`, `..to` and `..`, with bounds of any type that converts into a
/// [`Timestamp`] (`NaiveDate`, `NaiveDateTime`, `DateTime`). Ranges are half-open, as
/// `Timestamp`'s rounding assumes: the next day, not the last millisecond of this one, ends
/// a day's range.
///
/// ```
/// use eddy::prelude::*;
/// use eddy::store::TimeRange;
///
/// let jan = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// let feb = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
/// let (first, last) = (jan..feb).inclusive_millis();
/// assert_eq!(last - first, 31 * 86_400_000 - 1);           // January, to its last millisecond
/// assert_eq!((..).inclusive_millis(), (i64::MIN, i64::MAX));
/// ```
pub trait TimeRange {
    /// The first and the last millisecond in the range, both included; an empty range has
    /// `first > last`.
    fn inclusive_millis(&self) -> (i64, i64);
}

/// The last millisecond before `to`, or an empty range's marker when nothing is before it.
fn before(to: Timestamp) -> Option<i64> {
    to.0.checked_sub(1)
}

fn empty() -> (i64, i64) {
    (i64::MAX, i64::MIN)
}

impl<T: Into<Timestamp> + Copy> TimeRange for Range<T> {
    fn inclusive_millis(&self) -> (i64, i64) {
        match before(self.end.into()) {
            Some(last) => (self.start.into().0, last),
            None => empty(),
        }
    }
}

impl<T: Into<Timestamp> + Copy> TimeRange for RangeFrom<T> {
    fn inclusive_millis(&self) -> (i64, i64) {
        (self.start.into().0, i64::MAX)
    }
}

impl<T: Into<Timestamp> + Copy> TimeRange for RangeTo<T> {
    fn inclusive_millis(&self) -> (i64, i64) {
        match before(self.end.into()) {
            Some(last) => (i64::MIN, last),
            None => empty(),
        }
    }
}

impl TimeRange for RangeFull {
    fn inclusive_millis(&self) -> (i64, i64) {
        (i64::MIN, i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_utc_midnights() {
        // Python: int(datetime(2024, 1, 2, tzinfo=timezone.utc).timestamp() * 1000)
        assert_eq!(Timestamp::from(ymd(2024, 1, 2)).millis(), 1_704_153_600_000);
        assert_eq!(Timestamp::from(ymd(1970, 1, 1)).millis(), 0);
        assert_eq!(Timestamp::from(ymd(1969, 12, 31)).millis(), -86_400_000);
    }

    #[test]
    fn fractions_of_a_millisecond_round_up() {
        let t = ymd(2024, 1, 2).and_hms_micro_opt(9, 30, 0, 1_500).unwrap();
        assert_eq!(Timestamp::from(t).millis(), 1_704_187_800_002);
        let exact = ymd(2024, 1, 2).and_hms_milli_opt(9, 30, 0, 1).unwrap();
        assert_eq!(Timestamp::from(exact).millis(), 1_704_187_800_001);
        // Before the epoch the fraction still rounds towards the future.
        let neg = ymd(1969, 12, 31)
            .and_hms_micro_opt(23, 59, 59, 999_500)
            .unwrap();
        assert_eq!(Timestamp::from(neg).millis(), 0);
    }

    #[test]
    fn ranges_as_inclusive_millis() {
        let (a, b) = (ymd(2024, 1, 1), ymd(2024, 1, 2));
        let (ma, mb) = (Timestamp::from(a).millis(), Timestamp::from(b).millis());
        assert_eq!((a..b).inclusive_millis(), (ma, mb - 1));
        assert_eq!((a..).inclusive_millis(), (ma, i64::MAX));
        assert_eq!((..b).inclusive_millis(), (i64::MIN, mb - 1));
        let (lo, hi) = (b..a).inclusive_millis();
        assert!(lo > hi);
        let (lo, hi) = (a..a).inclusive_millis();
        assert!(lo > hi);
        let (lo, hi) = (..Timestamp::MIN).inclusive_millis();
        assert!(lo > hi);
    }

    #[test]
    fn display_is_utc_with_milliseconds() {
        assert_eq!(
            Timestamp::from_millis(1_704_187_800_123).to_string(),
            "2024-01-02 09:30:00.123"
        );
        assert_eq!(Timestamp::MAX.to_string(), format!("{} ms", i64::MAX));
    }
}

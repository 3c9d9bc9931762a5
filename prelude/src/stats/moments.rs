//! [`Moments`]: count, mean, variance, skewness, kurtosis, min and max, mergeable across batches.

use std::fmt;

use polars::prelude::*;

use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// Running moments of a stream of numbers, mergeable: the moments of two batches combine into
/// those of their union without revisiting the data.
///
/// Holds the count, mean, the central sums M2, M3, M4, the minimum and the maximum, updated
/// with the numerically stable pairwise formulas of Chan et al. and Pébay (2008). Nulls and
/// NaNs are skipped. [`var`](Moments::var), [`std`](Moments::std), [`skew`](Moments::skew)
/// and [`kurt`](Moments::kurt) are pandas' sample statistics (n − 1, bias-corrected skewness,
/// excess kurtosis); a statistic that needs more values than there are is NaN.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let mut m = Moments::from_series(df.column("AAPL")?.as_materialized_series())?;
/// m.merge(&Moments::from_series(df.column("MSFT")?.as_materialized_series())?);
/// assert_eq!(m.count(), 2 * 8313);
/// assert!(m.std() > 0.0 && m.min() <= m.mean() && m.mean() <= m.max());
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
    min: f64,
    max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments::new()
    }
}

/// Below this length [`Moments::from_slice`] computes a block in two passes (mean, then the
/// centred powers); above, it splits in halves and merges them.
const PAIRWISE_BLOCK: usize = 2048;

impl Moments {
    /// The moments of `n` values from sums computed elsewhere (a cluster's aggregation): their
    /// `min` and `max`, and the sums Σd, Σd², Σd³, Σd⁴ of their deviations d = v − `shift`
    /// from a `shift` near the mean. The central sums follow exactly from those (binomial
    /// expansion about the mean correction Σd / n).
    pub(crate) fn from_shifted_sums(
        n: u64,
        shift: f64,
        sums: [f64; 4],
        min: f64,
        max: f64,
    ) -> Self {
        if n == 0 {
            return Moments::new();
        }
        let [s1, s2, s3, s4] = sums;
        let count = n as f64;
        let delta = s1 / count;
        let m2 = (s2 - count * delta * delta).max(0.0);
        let m3 = s3 - 3.0 * delta * s2 + 2.0 * count * delta.powi(3);
        let m4 = s4 - 4.0 * delta * s3 + 6.0 * delta * delta * s2 - 3.0 * count * delta.powi(4);
        Moments {
            n,
            mean: shift + delta,
            m2,
            m3,
            m4: m4.max(0.0),
            min,
            max,
        }
    }

    /// The moments of no values: count 0, every statistic NaN.
    ///
    /// ```
    /// let m = eddy::prelude::Moments::new();
    /// assert_eq!(m.count(), 0);
    /// assert!(m.mean().is_nan());
    /// ```
    pub fn new() -> Self {
        Moments {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            m3: 0.0,
            m4: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// The moments of `values`, NaNs skipped, summed pairwise (halves merged recursively).
    ///
    /// ```
    /// let m = eddy::prelude::Moments::from_slice(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
    /// assert_eq!((m.count(), m.mean(), m.min(), m.max()), (4, 2.5, 1.0, 4.0));
    /// assert!((m.var() - 5.0 / 3.0).abs() < 1e-15);
    /// ```
    pub fn from_slice(values: &[f64]) -> Self {
        if values.len() <= PAIRWISE_BLOCK {
            Moments::from_block(values)
        } else {
            let (left, right) = values.split_at(values.len() / 2);
            let mut m = Moments::from_slice(left);
            m.merge(&Moments::from_slice(right));
            m
        }
    }

    /// The moments of a short slice, exactly in two passes (NaNs skipped): as accurate as
    /// adding values one by one, several times faster.
    fn from_block(values: &[f64]) -> Self {
        let (mut n, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for &x in values {
            if !x.is_nan() {
                n += 1;
                sum += x;
                min = min.min(x);
                max = max.max(x);
            }
        }
        if n == 0 {
            return Moments::new();
        }
        let mean = sum / n as f64;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &x in values {
            if !x.is_nan() {
                let d = x - mean;
                let d2 = d * d;
                m2 += d2;
                m3 += d2 * d;
                m4 += d2 * d2;
            }
        }
        // The first pass's mean is off by the rounding of `sum`; correct it with the centred
        // sum (Σd / n), as numpy's two-pass variance would not, and adjust the powers.
        let correction = values
            .iter()
            .filter(|x| !x.is_nan())
            .map(|x| x - mean)
            .sum::<f64>()
            / n as f64;
        if correction != 0.0 {
            let nf = n as f64;
            let c = correction;
            // Σ(d − c)^p from Σd^p, with Σd = n c.
            let s1 = nf * c;
            let new_m2 = m2 - 2.0 * c * s1 + nf * c * c;
            let new_m3 = m3 - 3.0 * c * m2 + 3.0 * c * c * s1 - nf * c * c * c;
            let new_m4 =
                m4 - 4.0 * c * m3 + 6.0 * c * c * m2 - 4.0 * c * c * c * s1 + nf * c.powi(4);
            return Moments {
                n,
                mean: mean + c,
                m2: new_m2,
                m3: new_m3,
                m4: new_m4,
                min,
                max,
            };
        }
        Moments {
            n,
            mean,
            m2,
            m3,
            m4,
            min,
            max,
        }
    }

    /// The moments of a numeric `Series`, nulls and NaNs skipped.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDtype`] if the series is not numeric (float or integer).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let s = Series::new("x".into(), [Some(1i64), None, Some(3)]);
    /// let m = Moments::from_series(&s)?;
    /// assert_eq!((m.count(), m.mean()), (2, 2.0));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn from_series(series: &Series) -> Result<Self> {
        if !series.dtype().is_primitive_numeric() {
            return Err(Error::InvalidDtype {
                operation: "Moments::from_series",
                column: series.name().to_string(),
                dtype: series.dtype().to_string(),
                expected: "a numeric (float or integer) series",
            });
        }
        let cast = series.cast(&DataType::Float64)?;
        let values: Vec<f64> = cast.f64()?.iter().flatten().collect();
        Ok(Moments::from_slice(&values))
    }

    /// Adds one value; NaN is skipped.
    ///
    /// ```
    /// let mut m = eddy::prelude::Moments::new();
    /// m.push(2.0);
    /// m.push(4.0);
    /// assert_eq!((m.count(), m.mean(), m.var()), (2, 3.0, 2.0));
    /// ```
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.merge(&Moments {
            n: 1,
            mean: x,
            m2: 0.0,
            m3: 0.0,
            m4: 0.0,
            min: x,
            max: x,
        });
    }

    /// Adds the values summarised by `other`, as if they had been pushed one by one.
    ///
    /// ```
    /// use eddy::prelude::Moments;
    ///
    /// let mut a = Moments::from_slice(&[1.0, 2.0]);
    /// a.merge(&Moments::from_slice(&[3.0, 4.0, 10.0]));
    /// let all = Moments::from_slice(&[1.0, 2.0, 3.0, 4.0, 10.0]);
    /// assert!((a.kurt() - all.kurt()).abs() < 1e-12);
    /// ```
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        let delta_n = delta / n;
        let (m2a, m3a) = (self.m2, self.m3);
        let (m2b, m3b) = (other.m2, other.m3);
        self.m4 += other.m4
            + delta * delta_n.powi(3) * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * delta_n * delta_n * (na * na * m2b + nb * nb * m2a)
            + 4.0 * delta_n * (na * m3b - nb * m3a);
        self.m3 += m3b
            + delta * delta_n * delta_n * na * nb * (na - nb)
            + 3.0 * delta_n * (na * m2b - nb * m2a);
        self.m2 += m2b + delta * delta_n * na * nb;
        self.mean += delta_n * nb;
        self.n += other.n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The number of values (nulls and NaNs not counted).
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[1.0, f64::NAN]).count(), 1);
    /// ```
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean; NaN without values.
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[1.0, 2.0]).mean(), 1.5);
    /// ```
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// The sample variance (divided by n − 1, as pandas); NaN below 2 values.
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[1.0, 3.0]).var(), 2.0);
    /// ```
    pub fn var(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n as f64 - 1.0)
        }
    }

    /// The sample standard deviation, `var().sqrt()`.
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[1.0, 3.0]).std(), 2f64.sqrt());
    /// ```
    pub fn std(&self) -> f64 {
        self.var().sqrt()
    }

    /// The bias-corrected sample skewness G1, as pandas' `skew()`; NaN below 3 values, 0 for
    /// constant values.
    ///
    /// ```
    /// let m = eddy::prelude::Moments::from_slice(&[1.0, 2.0, 10.0]);
    /// assert!(m.skew() > 1.0);
    /// ```
    pub fn skew(&self) -> f64 {
        if self.n < 3 {
            return f64::NAN;
        }
        if self.m2 == 0.0 {
            return 0.0;
        }
        let n = self.n as f64;
        (n * (n - 1.0).sqrt() / (n - 2.0)) * (self.m3 / self.m2.powf(1.5))
    }

    /// The bias-corrected sample excess kurtosis G2, as pandas' `kurt()`; NaN below 4 values,
    /// 0 for constant values.
    ///
    /// ```
    /// let m = eddy::prelude::Moments::from_slice(&[1.0, 2.0, 3.0, 4.0]);
    /// assert!((m.kurt() - (-1.2)).abs() < 1e-12);
    /// ```
    pub fn kurt(&self) -> f64 {
        if self.n < 4 {
            return f64::NAN;
        }
        let n = self.n as f64;
        let denominator = (n - 2.0) * (n - 3.0) * self.m2 * self.m2;
        if denominator == 0.0 {
            return 0.0;
        }
        let numerator = n * (n + 1.0) * (n - 1.0) * self.m4;
        let adj = 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
        numerator / denominator - adj
    }

    /// The smallest value; NaN without values.
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[3.0, -1.0]).min(), -1.0);
    /// ```
    pub fn min(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.min }
    }

    /// The largest value; NaN without values.
    ///
    /// ```
    /// assert_eq!(eddy::prelude::Moments::from_slice(&[3.0, -1.0]).max(), 3.0);
    /// ```
    pub fn max(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.max }
    }
}

/// One line: `Moments { count: 4, mean: 2.5, std: …, min: 1, max: 4, skew: 0, kurt: -1.2 }`.
///
/// ```
/// let m = eddy::prelude::Moments::from_slice(&[1.0, 2.0, 3.0, 4.0]);
/// assert!(m.to_string().starts_with("Moments { count: 4, mean: 2.5"));
/// ```
impl fmt::Display for Moments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Moments {{ count: {}, mean: {}, std: {}, min: {}, max: {}, skew: {}, kurt: {} }}",
            self.count(),
            self.mean(),
            self.std(),
            self.min(),
            self.max(),
            self.skew(),
            self.kurt()
        )
    }
}

/// Shows as its [`Display`](fmt::Display) line.
///
/// ```
/// use eddy::prelude::*;
///
/// let m = Moments::from_slice(&[1.0, 2.0]);
/// assert!(m.mime_bundle().text().contains("count: 2"));
/// ```
impl Render for Moments {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_from_shifted_sums_equal_the_direct_ones() {
        let x = [1.0, 2.0, 3.0, 10.0, 2.5, 7.25];
        let direct = Moments::from_slice(&x);
        // The shift is the cluster's mean: near the exact one (far shifts lose digits, as any
        // expansion about a point far from the mean does).
        for shift in [direct.mean(), direct.mean() * (1.0 + 1e-12), 3.0] {
            let sum = |p: i32| x.iter().map(|v| (v - shift).powi(p)).sum::<f64>();
            let shifted =
                Moments::from_shifted_sums(6, shift, [sum(1), sum(2), sum(3), sum(4)], 1.0, 10.0);
            for (got, want) in [
                (shifted.mean(), direct.mean()),
                (shifted.std(), direct.std()),
                (shifted.skew(), direct.skew()),
                (shifted.kurt(), direct.kurt()),
            ] {
                assert!(
                    (got - want).abs() <= 1e-10 * want.abs().max(1.0),
                    "{shift}: {got} vs {want}"
                );
            }
        }
        assert_eq!(
            Moments::from_shifted_sums(0, 0.0, [f64::NAN; 4], f64::NAN, f64::NAN).count(),
            0
        );
        let constant = Moments::from_shifted_sums(3, 2.0, [0.0; 4], 2.0, 2.0);
        assert_eq!((constant.std(), constant.skew()), (0.0, 0.0));
    }

    /// xorshift64*, a deterministic generator for tests.
    struct XorShift(u64);

    impl XorShift {
        fn next_f64(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
            bits as f64 / (1u64 << 53) as f64
        }
    }

    fn close(got: f64, expected: f64, rtol: f64) -> bool {
        (got - expected).abs() <= rtol * expected.abs()
    }

    #[test]
    fn merged_uneven_batches_match_one_pass() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        // Skewed, heavy-ish tailed values away from zero: u³ · 100 + 5.
        let values: Vec<f64> = (0..10_000)
            .map(|_| {
                let u = rng.next_f64() * 2.0 - 1.0;
                u * u * u * 100.0 + 5.0
            })
            .collect();
        let mut one_pass = Moments::new();
        for &x in &values {
            one_pass.push(x);
        }
        let mut merged = Moments::new();
        let (mut start, mut size) = (0, 1);
        while start < values.len() {
            let end = (start + size).min(values.len());
            merged.merge(&Moments::from_slice(&values[start..end]));
            start = end;
            size = size * 3 % 997 + 1;
        }
        assert_eq!(merged.count(), one_pass.count());
        assert_eq!(
            (merged.min(), merged.max()),
            (one_pass.min(), one_pass.max())
        );
        for (name, got, expected) in [
            ("mean", merged.mean(), one_pass.mean()),
            ("var", merged.var(), one_pass.var()),
            ("std", merged.std(), one_pass.std()),
            ("skew", merged.skew(), one_pass.skew()),
            ("kurt", merged.kurt(), one_pass.kurt()),
        ] {
            assert!(
                close(got, expected, 1e-12),
                "{name}: merged {got:e} vs one pass {expected:e} (rtol 1e-12)"
            );
        }
    }

    #[test]
    fn matches_two_pass_formulas() {
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, 1e3];
        let m = Moments::from_slice(&values);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let central = |p: i32| values.iter().map(|x| (x - mean).powi(p)).sum::<f64>();
        let (m2, m3, m4) = (central(2), central(3), central(4));
        let skew = (n * (n - 1.0)).sqrt() / (n - 2.0) * (m3 / n) / (m2 / n).powf(1.5);
        let kurt = (n + 1.0) * n * (n - 1.0) / ((n - 2.0) * (n - 3.0)) * m4 / (m2 * m2)
            - 3.0 * (n - 1.0).powi(2) / ((n - 2.0) * (n - 3.0));
        assert!(close(m.mean(), mean, 1e-14));
        assert!(close(m.var(), m2 / (n - 1.0), 1e-13));
        assert!(close(m.skew(), skew, 1e-12), "{} vs {skew}", m.skew());
        assert!(close(m.kurt(), kurt, 1e-12), "{} vs {kurt}", m.kurt());
    }

    #[test]
    fn small_counts_give_nan_and_constants_zero() {
        assert!(Moments::from_slice(&[1.0]).var().is_nan());
        assert!(Moments::from_slice(&[1.0, 2.0]).skew().is_nan());
        assert!(Moments::from_slice(&[1.0, 2.0, 3.0]).kurt().is_nan());
        let constant = Moments::from_slice(&[2.0; 5]);
        assert_eq!(
            (constant.var(), constant.skew(), constant.kurt()),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn text_series_is_rejected() {
        let s = Series::new("s".into(), ["a"]);
        let err = Moments::from_series(&s).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
    }
}

//! The Kolmogorov–Smirnov tests: [`kstest`] (a sample against a continuous distribution,
//! [`Cdf`]) and [`ks_2samp`] (two samples from the same distribution?), as `scipy.stats`.
//!
//! Statistics and p-values are scipy's, computed the same way (scipy 1.17): the one-sample
//! test is `ks_1samp` with its default exact p-value (`kstwo.sf`, with scipy's choice among
//! Ruben–Gambino, Durbin's matrix, Pomeranz's recursion, Pelz–Good and `2·smirnov`; one-sided
//! via `scipy.special.smirnov`), and the two-sample test is `ks_2samp` with
//! `method='auto'`: exact when both samples have at most 10000 values (falling back to the
//! asymptotic formulas where scipy does), asymptotic otherwise. scipy's compiled parts are
//! ported too: `smirnov` and `kolmogorov` (xsf, with its double-double arithmetic), `binom`
//! (cephes Gamma and Beta), the pythran path count, `ndtr` and `expm1`. Checked against scipy
//! over every branch, p-values agree to about 1e-12 relative at worst and mostly to the last
//! bit (what differs is summation order in scipy's BLAS and `np.convolve`). Nulls and NaNs
//! are dropped first, as in the sibling tests.

use polars::prelude::*;

use super::{Alternative, TestResult, require_len, values};
use crate::error::{Error, Result};

const NAME: &str = "KstestResult";

/// A continuous distribution for [`kstest`], with scipy's `loc` and `scale` (the CDF is
/// evaluated at `(x - loc) / scale`, as `scipy.stats.<dist>(…, loc, scale).cdf`).
///
/// ```
/// use eddy::prelude::*;
///
/// let norm = Cdf::Norm { loc: 0.0, scale: 1.0 };
/// assert_eq!(norm.cdf(0.0), 0.5);
/// assert!((norm.cdf(1.96) - 0.9750021048517795).abs() < 1e-16); // scipy.stats.norm.cdf(1.96)
/// assert_eq!(Cdf::Uniform { loc: 2.0, scale: 4.0 }.cdf(3.0), 0.25);
/// assert_eq!(Cdf::Expon { loc: 0.0, scale: 2.0 }.cdf(-1.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cdf {
    /// The normal distribution N(`loc`, `scale`²), `scipy.stats.norm(loc, scale)`.
    Norm {
        /// The mean.
        loc: f64,
        /// The standard deviation, > 0.
        scale: f64,
    },
    /// The uniform distribution from `loc` to `loc + scale`, `scipy.stats.uniform(loc, scale)`.
    Uniform {
        /// The lower end.
        loc: f64,
        /// The width, > 0.
        scale: f64,
    },
    /// The exponential distribution from `loc` with mean `loc + scale`,
    /// `scipy.stats.expon(loc, scale)`.
    Expon {
        /// The lower end of the support.
        loc: f64,
        /// The scale (1 / rate), > 0.
        scale: f64,
    },
    /// Student's t with `df` degrees of freedom, shifted and scaled,
    /// `scipy.stats.t(df, loc, scale)`.
    StudentsT {
        /// The degrees of freedom, > 0 (may be infinite: the normal).
        df: f64,
        /// The centre.
        loc: f64,
        /// The scale, > 0.
        scale: f64,
    },
}

impl Cdf {
    /// Pr(X ≤ x). The normal CDF is scipy's `ndtr` (cephes, to the last bit), the
    /// exponential uses cephes' `expm1` as scipy; Student's t is Boost's formula (scipy's
    /// `stdtr`) on statrs' incomplete beta, within about 1e-11 of scipy (an expansion in
    /// 1/df for df > 10⁴).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let t = Cdf::StudentsT { df: 1.0, loc: 0.0, scale: 1.0 }; // Cauchy
    /// assert!((t.cdf(1.0) - 0.75).abs() < 1e-15);
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Cdf::Norm { loc, scale } => norm_cdf(x, loc, scale),
            Cdf::Uniform { loc, scale } => uniform_cdf(x, loc, scale),
            Cdf::Expon { loc, scale } => expon_cdf(x, loc, scale),
            Cdf::StudentsT { df, loc, scale } => t_cdf(x, df, loc, scale),
        }
    }

    /// Fails unless the parameters are valid: finite `loc`, finite positive `scale`, `df` > 0.
    fn check(&self, operation: &'static str) -> Result<()> {
        let (loc, scale, df) = match *self {
            Cdf::Norm { loc, scale } | Cdf::Uniform { loc, scale } | Cdf::Expon { loc, scale } => {
                (loc, scale, None)
            }
            Cdf::StudentsT { df, loc, scale } => (loc, scale, Some(df)),
        };
        let invalid = |name, value: f64, rule| Error::InvalidParameter {
            operation,
            name,
            value: value.to_string(),
            rule,
        };
        if !loc.is_finite() {
            return Err(invalid("loc", loc, "finite"));
        }
        if !scale.is_finite() || scale <= 0.0 {
            return Err(invalid("scale", scale, "positive and finite"));
        }
        match df {
            Some(df) if df.is_nan() || df <= 0.0 => {
                Err(invalid("df", df, "positive (infinity is allowed)"))
            }
            _ => Ok(()),
        }
    }
}

/// The one-sample Kolmogorov–Smirnov test of `H0: x is a sample of cdf`, as
/// `scipy.stats.kstest(x, cdf)` (that is `ks_1samp`, exact p-value). Nulls and NaNs are
/// dropped.
///
/// The statistic is D = sup |F_n − F| (two-sided), D+ = sup (F_n − F) (`Greater`: the data's
/// CDF lies above `cdf`) or D− = sup (F − F_n) (`Less`); the p-value is Pr(D ≥ d) for a
/// sample of n values. `df` is `None`; scipy's `statistic_location` and `statistic_sign` are
/// not reported.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `x` is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if no value is left or the
/// distribution's parameters are invalid (`scale` ≤ 0, `df` ≤ 0, a non-finite `loc`).
///
/// ```
/// use eddy::prelude::*;
///
/// let x = Series::new("x".into(), [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64]);
/// let res = kstest(&x, Cdf::Norm { loc: 0.0, scale: 1.0 }, Alternative::TwoSided)?;
/// // scipy.stats.kstest(x, 'norm') -> statistic 0.22392218265410685, pvalue 0.6213477926899835
/// assert!((res.statistic - 0.22392218265410685).abs() < 1e-15);
/// assert!((res.pvalue - 0.6213477926899835).abs() < 1e-12);
/// assert!(res.to_string().starts_with("KstestResult(statistic=0.2239"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn kstest(x: &Series, cdf: Cdf, alternative: Alternative) -> Result<TestResult> {
    const OP: &str = "kstest";
    cdf.check(OP)?;
    let x = values(x, OP)?;
    require_len(x.len(), 1, OP, "at least 1")?;
    let res = ks_1samp_values(&x, |v| cdf.cdf(v), alternative);
    Ok(TestResult {
        statistic: res.statistic,
        pvalue: res.pvalue,
        df: None,
        name: NAME,
    })
}

/// The two-sample Kolmogorov–Smirnov test of `H0: a and b come from the same continuous
/// distribution`, as `scipy.stats.ks_2samp(a, b)` (`method='auto'`). Nulls and NaNs are
/// dropped from each sample separately.
///
/// The statistic is the largest gap between the two empirical CDFs: |F_a − F_b| (two-sided),
/// F_a − F_b (`Greater`: `a`'s CDF lies above, its values tend to be smaller) or F_b − F_a
/// (`Less`). The p-value is exact (counting lattice paths) when both samples have at most
/// 10000 values, else from Smirnov's asymptotic distribution; like scipy, a one-sided exact
/// count that overflows falls back to the asymptotic formula (and the statistic is then
/// rounded to a multiple of 1/lcm(n_a, n_b)). `df` is `None`.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if a series is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if a sample has no value left.
///
/// ```
/// use eddy::prelude::*;
///
/// let a = Series::new("a".into(), [1.2, 3.4, 0.5, 2.2, 4.1, 0.9, 3.3]);
/// let b = Series::new("b".into(), [2.5, 3.9, 4.4, 1.8, 5.2, 3.1, 4.8, 2.9, 6.0, 3.6, 4.0, 5.5, 2.7]);
/// let res = ks_2samp(&a, &b, Alternative::Greater)?;
/// // scipy.stats.ks_2samp(a, b, alternative='greater') -> 0.4945054945054945, 0.06827915376676987
/// assert!((res.statistic - 0.4945054945054945).abs() < 1e-15);
/// assert!((res.pvalue - 0.06827915376676987).abs() < 1e-12);
/// assert_eq!(res.name, "KstestResult");
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn ks_2samp(a: &Series, b: &Series, alternative: Alternative) -> Result<TestResult> {
    const OP: &str = "ks_2samp";
    let (xa, xb) = (values(a, OP)?, values(b, OP)?);
    require_len(xa.len(), 1, OP, "at least 1 in each sample")?;
    require_len(xb.len(), 1, OP, "at least 1 in each sample")?;
    let res = ks_2samp_values(&xa, &xb, alternative, Method::Auto);
    Ok(TestResult {
        statistic: res.statistic,
        pvalue: res.pvalue,
        df: None,
        name: NAME,
    })
}

// ---- Numeric core: scipy 1.17's algorithms ported operation by operation (begin) ----

/// The p-value method of [`ks_2samp_values`], as scipy's `method=`.
#[allow(dead_code)] // the public API uses `Auto`, scipy's default; the others are tested
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Exact if both samples have at most 10000 values, else asymptotic (`'auto'`).
    Auto,
    /// The exact distribution, falling back to asymptotic if it fails (`'exact'`).
    Exact,
    /// The asymptotic distribution (`'asymp'`).
    Asymp,
}

/// The outcome of a Kolmogorov–Smirnov test before it is wrapped in a result type.
#[allow(dead_code)] // `location` and `sign` have no place in `TestResult` (yet)
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KsOutcome {
    /// D, D+ or D-.
    pub statistic: f64,
    /// The p-value.
    pub pvalue: f64,
    /// The observation at which the statistic is attained (scipy's `statistic_location`).
    pub location: f64,
    /// +1 or -1 (scipy's `statistic_sign`).
    pub sign: i8,
}

/// The one-sample test of `x` (no NaN) against the continuous `cdf`, as
/// `scipy.stats.ks_1samp(x, cdf, alternative=…)` with its default `method='auto'` (exact).
pub(crate) fn ks_1samp_values(
    x: &[f64],
    cdf: impl Fn(f64) -> f64,
    alternative: Alternative,
) -> KsOutcome {
    let n = x.len();
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cdfvals: Vec<f64> = sorted.iter().map(|&v| cdf(v)).collect();
    let nf = n as f64;
    // D+ = max(i/n - F(x_i)), D- = max(F(x_i) - (i-1)/n); the first maximum as numpy's argmax.
    let argmax = |d: &dyn Fn(usize) -> f64| -> (f64, f64) {
        let mut best = (f64::NEG_INFINITY, f64::NAN);
        for (i, &xi) in sorted.iter().enumerate() {
            let v = d(i);
            if v > best.0 || (v.is_nan() && !best.0.is_nan()) {
                best = (v, xi);
            }
        }
        best
    };
    let dplus = || argmax(&|i| (i + 1) as f64 / nf - cdfvals[i]);
    let dminus = || argmax(&|i| cdfvals[i] - i as f64 / nf);
    match alternative {
        Alternative::Greater => {
            let (d, location) = dplus();
            KsOutcome {
                statistic: d,
                pvalue: ksone_sf(n as u64, d),
                location,
                sign: 1,
            }
        }
        Alternative::Less => {
            let (d, location) = dminus();
            KsOutcome {
                statistic: d,
                pvalue: ksone_sf(n as u64, d),
                location,
                sign: -1,
            }
        }
        Alternative::TwoSided => {
            let (dp, lp) = dplus();
            let (dm, lm) = dminus();
            let (d, location, sign) = if dp > dm { (dp, lp, 1) } else { (dm, lm, -1) };
            let pvalue = clip01(kstwo_sf(n as u64, d));
            KsOutcome {
                statistic: d,
                pvalue,
                location,
                sign,
            }
        }
    }
}

/// The two-sample test of `a` and `b` (no NaN, neither empty), as
/// `scipy.stats.ks_2samp(a, b, alternative=…, method=…)`.
pub(crate) fn ks_2samp_values(
    a: &[f64],
    b: &[f64],
    alternative: Alternative,
    method: Method,
) -> KsOutcome {
    const MAX_AUTO_N: usize = 10000;
    let mut data1 = a.to_vec();
    let mut data2 = b.to_vec();
    data1.sort_by(f64::total_cmp);
    data2.sort_by(f64::total_cmp);
    let (n1, n2) = (data1.len(), data2.len());
    // cdf1 - cdf2 at every observation, as searchsorted(side='right') / n.
    let right = |data: &[f64], v: f64| data.partition_point(|&u| u <= v);
    let (mut argmin, mut argmax) = ((f64::INFINITY, f64::NAN), (f64::NEG_INFINITY, f64::NAN));
    for &v in data1.iter().chain(data2.iter()) {
        let diff = right(&data1, v) as f64 / n1 as f64 - right(&data2, v) as f64 / n2 as f64;
        if diff < argmin.0 {
            argmin = (diff, v);
        }
        if diff > argmax.0 {
            argmax = (diff, v);
        }
    }
    let min_s = clip01(-argmin.0);
    let max_s = argmax.0;
    let (mut d, location, sign) = if alternative == Alternative::Less
        || (alternative == Alternative::TwoSided && min_s > max_s)
    {
        (min_s, argmin.1, -1)
    } else {
        (max_s, argmax.1, 1)
    };
    let g = gcd(n1 as u64, n2 as u64) as i64;
    let (n1i, n2i) = (n1 as i64, n2 as i64);
    let (n1g, n2g) = (n1i / g, n2i / g);
    let mut exact = match method {
        Method::Auto => n1.max(n2) <= MAX_AUTO_N,
        Method::Asymp => false,
        // scipy switches to 'asymp' when lcm(n1, n2) would overflow an int32.
        Method::Exact => (n1g as f64) < i32::MAX as f64 / n2g as f64,
    };
    let mut prob = f64::NEG_INFINITY;
    if exact {
        let (success, d_rounded, p) = attempt_exact_2kssamp(n1i, n2i, g, d, alternative);
        d = d_rounded;
        prob = p;
        exact = success;
    }
    if !exact {
        // Smirnov's asymptotic formula; m is the larger sample.
        let (m, n) = if n1 >= n2 {
            (n1 as f64, n2 as f64)
        } else {
            (n2 as f64, n1 as f64)
        };
        let en = m * n / (m + n);
        if alternative == Alternative::TwoSided {
            prob = kstwo_sf(en.round_ties_even() as u64, d);
        } else {
            let z = en.sqrt() * d;
            // Hodges' approximation, his equation 5.3.
            let expt =
                -2.0 * z.powf(2.0) - 2.0 * z * (m + 2.0 * n) / (m * n * (m + n)).sqrt() / 3.0;
            prob = expt.exp();
        }
    }
    KsOutcome {
        statistic: d,
        pvalue: clip01(prob),
        location,
        sign,
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `np.clip(p, 0, 1)`: NaN stays NaN and -0 stays -0.
fn clip01(p: f64) -> f64 {
    if p.is_nan() { p } else { p.clamp(0.0, 1.0) }
}

/// scipy's `_attempt_exact_2kssamp`: (success, d rounded to a multiple of 1/lcm, p-value).
fn attempt_exact_2kssamp(
    n1: i64,
    n2: i64,
    g: i64,
    d: f64,
    alternative: Alternative,
) -> (bool, f64, f64) {
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as i64;
    let d = h as f64 * 1.0 / lcm as f64;
    if h == 0 {
        return (true, d, 1.0);
    }
    let prob = if alternative == Alternative::TwoSided {
        if n1 == n2 {
            compute_prob_outside_square(n1, h)
        } else {
            compute_outer_prob_inside_method(n1, n2, g, h)
        }
    } else if n1 == n2 {
        // binom(2n, n-h) / binom(2n, n), as a product
        let mut p = 1.0;
        for j in 0..h {
            p *= (n1 - j) as f64 / (n1 as f64 + j as f64 + 1.0);
        }
        p
    } else {
        // scipy gives up (and goes asymptotic) when the path counts overflow: any
        // non-finite intermediate leaves a non-finite count here.
        let num_paths = count_paths_outside_method(n1, n2, g, h);
        let bin = binom((n1 + n2) as f64, n1 as f64);
        if !num_paths.is_finite() || num_paths > bin || bin.is_infinite() {
            return (false, d, f64::NAN);
        }
        num_paths / bin
    };
    if !(0.0..=1.0).contains(&prob) {
        return (false, d, prob);
    }
    (true, d, prob)
}

/// Pr(D_{n,n} >= h/n), two-sided (scipy's `_compute_prob_outside_square`).
fn compute_prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The proportion of lattice paths that leave the band |x/m - y/n| < h/lcm, two-sided
/// (scipy's `_compute_outer_prob_inside_method`, Viehmann's recursion for 1 - p).
fn compute_outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m.div_euclid(g);
    let ng = n.div_euclid(g);
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj.max(0) as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * i as f64 + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = ((maxj - minj) as usize).min(len_a);
            let end = ((maxj - minj + (lastlen - curlen)) as usize).min(len_a);
            for v in &mut a[start..end] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// The number of lattice paths from (0, 0) to (m, n) that cross the line m·y = n·x − h·g
/// (scipy's `_count_paths_outside_method`); may overflow to infinity.
fn count_paths_outside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let lxj = n + (mg - h).div_euclid(mg);
    if lxj <= 0 {
        return binom((m + n) as f64, n as f64);
    }
    let xj: Vec<i64> = (0..lxj)
        .map(|j| (h + mg * j + ng - 1).div_euclid(ng))
        .collect();
    let mut b = vec![0.0f64; lxj as usize];
    b[0] = 1.0;
    for j in 1..lxj as usize {
        let ji = j as i64;
        let mut bj = binom((xj[j] + ji) as f64, ji as f64);
        for i in 0..j {
            let ii = i as i64;
            let bin = binom((xj[j] - xj[i] + ji - ii) as f64, (ji - ii) as f64);
            bj -= bin * b[i];
            if !bj.is_finite() {
                // scipy raises FloatingPointError or ends with a non-finite count: either way
                // the exact method has failed, so stop (the rest is O(n^2) binomials).
                return bj;
            }
        }
        b[j] = bj;
    }
    let mut num_paths = 0.0;
    for j in 0..lxj as usize {
        let ji = j as i64;
        let bin = binom(((m - xj[j]) + (n - ji)) as f64, (n - ji) as f64);
        num_paths += b[j] * bin;
    }
    num_paths
}

// ---- The CDFs a sample can be tested against, standardised as scipy.stats does ----

/// `scipy.stats.norm(loc, scale).cdf(x)`.
pub(crate) fn norm_cdf(x: f64, loc: f64, scale: f64) -> f64 {
    ndtr((x - loc) / scale)
}

/// `scipy.stats.uniform(loc, scale).cdf(x)`.
pub(crate) fn uniform_cdf(x: f64, loc: f64, scale: f64) -> f64 {
    clip01((x - loc) / scale)
}

/// `scipy.stats.expon(loc, scale).cdf(x)`.
pub(crate) fn expon_cdf(x: f64, loc: f64, scale: f64) -> f64 {
    let z = (x - loc) / scale;
    if z <= 0.0 { 0.0 } else { -expm1(-z) }
}

/// `scipy.stats.t(df, loc, scale).cdf(x)`. scipy's `stdtr` is Boost's; this follows Boost's
/// formulas with statrs' regularized incomplete beta for df <= 10^4 (within ~1e-11 of
/// scipy) and, beyond, the expansion of the t CDF around the normal in powers of 1/df
/// (three terms: within ~1e-15 of scipy in absolute terms; the normal itself at df = inf).
pub(crate) fn t_cdf(x: f64, df: f64, loc: f64, scale: f64) -> f64 {
    use statrs::function::beta::checked_beta_reg;
    let t = (x - loc) / scale;
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    if t == 0.0 {
        return 0.5;
    }
    let t2 = t * t;
    if df <= 1e4 {
        // Pr(T < -|t|), from whichever incomplete beta has the small argument (as Boost).
        let tail = if df > 2.0 * t2 {
            checked_beta_reg(0.5, df / 2.0, t2 / (df + t2)).map(|p| (1.0 - p) / 2.0)
        } else {
            checked_beta_reg(df / 2.0, 0.5, df / (df + t2)).map(|p| p / 2.0)
        };
        return match tail {
            Ok(p) if t > 0.0 => 1.0 - p,
            Ok(p) => p,
            Err(_) => f64::NAN,
        };
    }
    // F(t) = Φ(t) − φ(t)·(g1/ν + g2/ν² + g3/ν³) + O(ν⁻⁴): the density's expansion
    // f(t)/φ(t) = exp(Σ h_k(t)/ν^k), integrated term by term.
    let g1 = (t2 + 1.0) * t / 4.0;
    let g2 = (((3.0 * t2 - 7.0) * t2 - 5.0) * t2 - 3.0) * t / 96.0;
    let g3 = (((((t2 - 11.0) * t2 + 14.0) * t2 + 6.0) * t2 - 3.0) * t2 - 15.0) * t / 384.0;
    let correction = (g3 / df + g2) / df + g1;
    let pdf = (-t2 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (ndtr(t) - pdf * correction / df).clamp(0.0, 1.0)
}

// ---- Distributions of the one-sample statistics ----

/// `scipy.stats.kstwo.sf(x, n)`: Pr(D_n >= x), the support [1/(2n), 1] handled first.
pub(crate) fn kstwo_sf(n: u64, x: f64) -> f64 {
    if x.is_nan() || n == 0 {
        f64::NAN
    } else if x <= 0.5 / n as f64 {
        1.0
    } else if x >= 1.0 {
        0.0
    } else {
        kolmogn(n, x, false)
    }
}

/// `scipy.stats.ksone.sf(x, n)`: Pr(D+_n >= x), the support [0, 1] handled first.
pub(crate) fn ksone_sf(n: u64, x: f64) -> f64 {
    if x.is_nan() || n == 0 {
        f64::NAN
    } else if x <= 0.0 {
        1.0
    } else if x >= 1.0 {
        0.0
    } else {
        smirnov(n as i64, x)
    }
}

/// The survival function Pr(D_n >= x) of the two-sided one-sample statistic
/// (`scipy.stats._ksstats.kolmogn(n, x, cdf=False)`).
#[allow(dead_code)]
pub(crate) fn kolmogn_sf(n: u64, x: f64) -> f64 {
    kolmogn(n, x, false)
}

const E128: i64 = 128;
const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128

/// scipy's `_kolmogn`: the CDF (or SF) of D_n, choosing the method as Simard and L'Ecuyer.
pub(crate) fn kolmogn(n: u64, x: f64, cdf: bool) -> f64 {
    let pick = |cdfprob: f64, sfprob: f64| clip01(if cdf { cdfprob } else { sfprob });
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return pick(1.0, 0.0);
    }
    if x <= 0.0 {
        return pick(0.0, 1.0);
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben-Gambino: 1/(2n) <= x <= 1/n
        if t <= 0.5 {
            return pick(0.0, 1.0);
        }
        let prob = if n <= 140 {
            let (rn, c) = (1.0 / nf, 2.0 * t - 1.0);
            let mut p = 1.0;
            for i in 1..=n {
                p *= i as f64 * rn * c;
            }
            p
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return pick(prob, 1.0 - prob);
    }
    if t >= nf - 1.0 {
        // Ruben-Gambino
        let prob = 2.0 * (1.0 - x).powf(nf);
        return pick(1.0 - prob, prob);
    }
    if x >= 0.5 {
        let prob = 2.0 * smirnov(n as i64, x);
        return pick(1.0 - prob, prob);
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            let prob = kolmogn_dmtw(n, x);
            return clip01(if cdf {
                prob.hi
            } else {
                Dd::f_sub(1.0, prob).hi
            });
        }
        if nxsquared <= 4.0 {
            let prob = kolmogn_pomeranz(n, x);
            return clip01(if cdf {
                prob.hi
            } else {
                Dd::f_sub(1.0, prob).hi
            });
        }
        let prob = 2.0 * smirnov(n as i64, x);
        return pick(1.0 - prob, prob);
    }
    if !cdf {
        if nxsquared >= 370.0 {
            return 0.0;
        }
        if nxsquared >= 2.2 {
            return clip01(2.0 * smirnov(n as i64, x));
        }
    }
    if nxsquared >= 18.0 {
        return pick(1.0, 0.0);
    }
    if n <= 100000 && nf * x.powf(1.5) <= 1.4 {
        let prob = kolmogn_dmtw(n, x);
        return clip01(if cdf {
            prob.hi
        } else {
            Dd::f_sub(1.0, prob).hi
        });
    }
    let prob = kolmogn_pelz_good(n, x);
    pick(prob, 1.0 - prob)
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
/// log(n! / n^n) by Stirling's series with n·log(n) removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING_COEFFS: [f64; 8] = [
        -2.955065359477124183e-2,
        6.4102564102564102564e-3,
        -1.9175269175269175269e-3,
        8.4175084175084175084e-4,
        -5.952380952380952381e-4,
        7.9365079365079365079e-4,
        -2.7777777777777777778e-3,
        8.3333333333333333333e-2,
    ];
    let rn = 1.0 / n;
    let xx = rn / n;
    let mut poly = 0.0;
    for c in STIRLING_COEFFS {
        poly = poly * xx + c;
    }
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

/// A probability that scipy holds as a float64 until a rescale turns it into numpy's
/// `longdouble`; the double-double stands in for the extended precision after that.
#[derive(Clone, Copy)]
enum Prob {
    Double(f64),
    Extended(Dd),
}

impl Prob {
    fn dd(self) -> Dd {
        match self {
            Prob::Double(p) => Dd::new(p),
            Prob::Extended(p) => p,
        }
    }
}

/// Pr(D_n <= d) by Durbin's matrix, the Marsaglia–Tsang–Wang way (scipy's `_kolmogn_DMTW`).
fn kolmogn_dmtw(n: u64, d: f64) -> Dd {
    if d >= 1.0 {
        return Dd::new(1.0);
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return Dd::new(0.0);
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let base = 2.0 * h - 1.0;
    let tt = (if base > 0.0 { base.powf(m as f64) } else { 0.0 }) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m]; // row-major
    for i in 1..m {
        for r in 0..(m - i + 1) {
            hm[(i - 1 + r) * m + i] = w[r];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let matmul = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; m * m];
        for i in 0..m {
            for l in 0..m {
                let ail = a[i * m + l];
                if ail != 0.0 {
                    for j in 0..m {
                        out[i * m + j] += ail * b[l * m + j];
                    }
                }
            }
        }
        out
    };
    let mut hpwr = vec![0.0; m * m];
    for i in 0..m {
        hpwr[i * m + i] = 1.0;
    }
    let (mut nn, mut expnt, mut hexpnt) = (n, 0i64, 0i64);
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm);
            expnt += hexpnt;
        }
        hm = matmul(&hm, &hm);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for v in hm.iter_mut() {
                *v /= EP128;
            }
            hexpnt += E128;
        }
        nn /= 2;
    }
    // Multiply by n!/n^n.
    let nf = n as f64;
    let mut p = Prob::Double(hpwr[(k - 1) * m + (k - 1)]);
    for i in 1..=n {
        p = match p {
            Prob::Double(q) => {
                let q = i as f64 * q / nf;
                if q.abs() < EM128 {
                    expnt -= E128;
                    Prob::Extended(Dd::new(q).mul_f(EP128))
                } else {
                    Prob::Double(q)
                }
            }
            Prob::Extended(q) => {
                let q = q.mul_f(i as f64).div_f(nf);
                if q.hi.abs() < EM128 {
                    expnt -= E128;
                    Prob::Extended(q.mul_f(EP128))
                } else {
                    Prob::Extended(q)
                }
            }
        };
    }
    let p = p.dd();
    let p = if expnt != 0 { p.ldexp(expnt as i32) } else { p };
    Dd {
        hi: clip01(p.hi),
        lo: if p.hi < 0.0 || p.hi > 1.0 { 0.0 } else { p.lo },
    }
}

/// Python's `seq[start:stop]` bounds for a sequence of length `len`.
fn py_slice(len: usize, start: i64, stop: i64) -> (usize, usize) {
    let norm = |i: i64| -> usize {
        let i = if i < 0 { i + len as i64 } else { i };
        i.clamp(0, len as i64) as usize
    };
    let (a, b) = (norm(start), norm(stop));
    (a, b.max(a))
}

fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1).div_euclid(2), (i + 1).rem_euclid(2));
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// Pr(D_n <= x) by Pomeranz's recursion (scipy's `_kolmogn_Pomeranz`).
fn kolmogn_pomeranz(n: u64, x: f64) -> Dd {
    let ni = n as i64;
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = 1.0 * (t - ll as f64);
    let g = if 1.0 - f < f { 1.0 - f } else { f };
    let ceilf = if f > 0.0 { 1 } else { 0 };
    let roundf = if f > 0.5 { 1 } else { 0 };
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![1.0; npwrs];
    let mut twogpower = vec![1.0; npwrs];
    let mut onem2gpower = vec![1.0; npwrs];
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) =
        (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        gpower[m] = gpower[m - 1] * g_over_n / m as f64;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / m as f64;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / m as f64;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt = 0i64;
    let (mut j1, mut _j2) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|v| *v = 0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        _j2 = j2;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let (a0, a1) = py_slice(npwrs, k1 - v0s, k1 - v0s + ln2);
            let (p0, p1) = py_slice(npwrs, 0, ln2);
            let (a, p) = (&v0[a0..a1], &pwrs[p0..p1]);
            // np.convolve(a, p), mode 'full'
            let mut conv = vec![0.0; a.len() + p.len() - 1];
            for (o, c) in conv.iter_mut().enumerate() {
                let lo = o.saturating_sub(p.len() - 1);
                let hi = o.min(a.len() - 1);
                let mut s = 0.0;
                for q in lo..=hi {
                    s += a[q] * p[o - q];
                }
                *c = s;
            }
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            let (c0, c1) = py_slice(conv.len(), conv_start, conv_start + conv_len);
            let (d0, d1) = py_slice(npwrs, 0, conv_len);
            debug_assert_eq!(c1 - c0, d1 - d0);
            v1[d0..d1].copy_from_slice(&conv[c0..c1]);
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < EM128 {
                v1.iter_mut().for_each(|v| *v *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    // Multiply by n!
    let idx = ni - v1s;
    let idx = if idx < 0 { idx + npwrs as i64 } else { idx } as usize;
    let mut ans = Prob::Double(v1[idx]);
    for m in 1..=n {
        ans = match ans {
            Prob::Double(a) if a.abs() > EP128 => {
                expnt += E128;
                Prob::Extended(Dd::new(a).mul_f(EM128).mul_f(m as f64))
            }
            Prob::Double(a) => Prob::Double(a * m as f64),
            Prob::Extended(a) => {
                let a = if a.hi.abs() > EP128 {
                    expnt += E128;
                    a.mul_f(EM128)
                } else {
                    a
                };
                Prob::Extended(a.mul_f(m as f64))
            }
        };
    }
    let ans = ans.dd();
    let ans = if expnt != 0 {
        ans.ldexp(expnt as i32)
    } else {
        ans
    };
    Dd {
        hi: clip01(ans.hi),
        lo: if ans.hi < 0.0 || ans.hi > 1.0 {
            0.0
        } else {
            ans.lo
        },
    }
}

/// numpy's pairwise summation of a short contiguous float64 array.
fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        return res;
    }
    let mut r = [0.0; 8];
    r.copy_from_slice(&a[..8]);
    let mut i = 8;
    while i < n - (n % 8) {
        for j in 0..8 {
            r[j] += a[i + j];
        }
        i += 8;
    }
    let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    while i < n {
        res += a[i];
        i += 1;
    }
    res
}

/// The Pelz–Good approximation to Pr(D_n <= x) (scipy's `_kolmogn_PelzGood`).
fn kolmogn_pelz_good(n: u64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi_squared = PI.powf(2.0);
    let pi_four = PI.powf(4.0);
    let pi_six = PI.powf(6.0);
    let sqrt2pi = (2.0 * PI).sqrt();
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));
    let qlog = -pi_squared / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -zsquared;
    let k1b = pi_squared / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * pi_squared / 4.0;
    let k2c = pi_four * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = pi_six * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = pi_four * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = pi_squared * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);
    let mut k0to3 = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = 2 * k - 1;
        let (msquared, mfour, msix) = (
            (m * m) as f64,
            (m * m * m * m) as f64,
            (m * m * m * m * m * m) as f64,
        );
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (kk, c) in k0to3.iter_mut().zip(coeffs) {
            *kk *= qpower;
            *kk += c;
        }
    }
    let denom = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (kk, d) in k0to3.iter_mut().zip(denom) {
        *kk *= q;
        *kk *= sqrt2pi;
        *kk /= d;
    }
    let q = (-pi_squared / 2.0 / zsquared).exp();
    let ks: Vec<f64> = (1..=maxk).rev().map(|k| k as f64).collect();
    let sqrt3z = 3f64.sqrt() * z;
    let qpwers: Vec<f64> = ks.iter().map(|k| q.powf(k * k)).collect();
    let t2: Vec<f64> = ks.iter().zip(&qpwers).map(|(k, qp)| k * k * qp).collect();
    let mut k2extra = np_sum(&t2);
    k2extra *= pi_squared * sqrt2pi / (-36.0 * zthree);
    k0to3[2] += k2extra;
    let t3: Vec<f64> = ks
        .iter()
        .zip(&qpwers)
        .map(|(k, qp)| {
            let kspi = PI * k;
            (sqrt3z + kspi) * (sqrt3z - kspi) * (k * k) * qp
        })
        .collect();
    let mut k3extra = np_sum(&t3);
    k3extra *= pi_squared * sqrt2pi / (216.0 * zsix);
    k0to3[3] += k3extra;
    for (i, kk) in k0to3.iter_mut().enumerate() {
        *kk /= nf.powf(i as f64 / 2.0);
    }
    ((k0to3[0] + k0to3[1]) + k0to3[2]) + k0to3[3]
}

// ---- scipy.special.kolmogorov and smirnov (xsf/cephes/kolmogorov.h) ----

/// `scipy.special.kolmogorov(x)`: the survival function of Kolmogorov's limiting
/// distribution, Pr(sqrt(n)·D_n >= x) as n → ∞ (`kstwobign.sf`).
#[allow(dead_code)]
pub(crate) fn kolmogorov(x: f64) -> f64 {
    use std::f64::consts::PI;
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x <= PI / (-MIN_EXPABLE * 8.0).sqrt() {
        return 1.0;
    }
    let sf = if x <= 0.82 {
        let w = (2.0 * PI).sqrt() / x;
        let logu8 = -PI * PI / (x * x);
        let u = (logu8 / 8.0).exp();
        let p = if u == 0.0 {
            (logu8 / 8.0 + w.ln()).exp()
        } else {
            let u8 = logu8.exp();
            let u8cub = u8.powf(3.0);
            let mut p = 1.0;
            p = 1.0 + u8cub * p;
            p = 1.0 + u8 * u8 * p;
            p = 1.0 + u8 * p;
            w * u * p
        };
        1.0 - p
    } else {
        let v = (-2.0 * x * x).exp();
        let vsq = v * v;
        let v3 = v.powf(3.0);
        let mut p = 1.0;
        p = 1.0 - v3 * v3 * v * p;
        p = 1.0 - v3 * vsq * p;
        p = 1.0 - v3 * p;
        2.0 * v * p
    };
    sf.clamp(0.0, 1.0)
}

const MIN_EXPABLE: f64 = (-708 - 38) as f64;
#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
const MINLOG: f64 = -7.451_332_191_019_412e2; // log(2^-1075)

/// `scipy.special.smirnov(n, d)`: Pr(D+_n >= d), the one-sided one-sample statistic,
/// exactly as xsf (Birnbaum–Tingey sum in double-double).
pub(crate) fn smirnov(n: i64, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    smirnov_sf_cdf(n, x).0
}

/// xsf's `_smirnov`: (sf, cdf).
fn smirnov_sf_cdf(n: i64, x: f64) -> (f64, f64) {
    if !(n > 0 && (0.0..=1.0).contains(&x)) {
        return (f64::NAN, f64::NAN);
    }
    if n == 1 {
        return (1.0 - x, x);
    }
    if x == 0.0 {
        return (1.0, 0.0);
    }
    if x == 1.0 {
        return (0.0, 1.0);
    }
    let (alpha, nxfl, _nx) = mod_nx(n, x);
    let mut n1mxfl = n - nxfl - if alpha == 0.0 { 0 } else { 1 };
    let mut n1mxceil = n - nxfl;
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    // x <= 1/n
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = pow_d(Dd::new(1.0).add_f(x), n - 1).hi;
        let cdf = x * t;
        return (1.0 - cdf, cdf);
    }
    // the sf underflows
    if -2.0 * n as f64 * x * x < MINLOG {
        return (0.0, 1.0);
    }
    // x >= 1 - 1/n
    if nxfl >= n - 1 {
        let sf = pow_d(Dd::new(1.0).add_f(-x), n).hi;
        return (sf, 1.0 - sf);
    }
    if n > 1_000_000 {
        // p ~ e^(-(6nx+1)^2 / 18n)
        let logp = -(6.0 * n as f64 * x + 1.0).powf(2.0) / 18.0 / n as f64;
        return if logp < -std::f64::consts::LN_2 {
            let sf = logp.exp();
            (sf, 1.0 - sf)
        } else {
            let cdf = -expm1(logp);
            (1.0 - cdf, cdf)
        };
    }
    let n_upper_terms = n - n1mxceil + 1;
    let use_upper = (n_upper_terms <= 1 && x < 0.5)
        || (n >= 10 && n_upper_terms <= 3 && x <= 0.5 / (n as f64).sqrt());
    let vmid = n / 2;
    let mut cman = Dd::new(1.0);
    let mut cexpt: i64 = 0;
    let (start, step, n_terms, mut aj) = if use_upper {
        (n, -1, n - n1mxceil + 1, pow4_d(1.0, x, 1.0, 0.0, n - 1))
    } else {
        (0, 1, n1mxfl + 1, pow4_d(1.0, -x, 1.0, 0.0, n).div_f(x))
    };
    let mut aj_sum = Dd::new(0.0).add(aj);
    update_binomial(&mut cman, &mut cexpt, n, 0);
    let mut j = 1;
    while j < n_terms {
        let v = start + j * step;
        aj = compute_av(n, x, v, cman, cexpt);
        if aj.hi.is_finite() && aj.ne0() {
            aj_sum = aj_sum.add(aj);
        }
        if aj.ne0() {
            if (4 * (n_terms - j)) as f64 * aj.hi.abs() < f64::EPSILON * aj_sum.hi
                && j != n_terms - 1
            {
                break;
            }
        } else if j > vmid {
            break;
        }
        update_binomial(&mut cman, &mut cexpt, n, j);
        j += 1;
    }
    let prob = aj_sum.mul_f(x).hi;
    let (sf, cdf) = if step < 0 {
        (1.0 - prob, prob)
    } else {
        (prob, 1.0 - prob)
    };
    (sf.clamp(0.0, 1.0), cdf.clamp(0.0, 1.0))
}

/// floor(n·x) and its remainder, exactly.
fn mod_nx(n: i64, x: f64) -> (f64, i64, f64) {
    let nxd = Dd::new(x).mul_f(n as f64);
    let nxfloord = nxd.floor();
    let alphad = nxd.sub(nxfloord);
    let mut alpha = alphad.hi;
    let mut nxfloor = nxfloord.hi as i64;
    if alpha == 1.0 {
        nxfloor += 1;
        alpha = 0.0;
    }
    (alpha, nxfloor, nxd.hi)
}

/// C(n, j+1) from C(n, j), kept as mantissa and exponent.
fn update_binomial(cman: &mut Dd, cexpt: &mut i64, n: i64, j: i64) {
    let rat = Dd::new((n - j) as f64).div_f(j as f64 + 1.0);
    let (man2, expt) = cman.mul(rat).frexp();
    *cexpt += expt as i64;
    *cman = man2;
}

fn pow_d(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return Dd::new(1.0).div(pow_d(a, -m));
    }
    if a.hi == 0.0 && a.lo == 0.0 {
        return Dd::new(0.0);
    }
    let ans = a.hi.powf(m as f64);
    let r = a.lo / a.hi;
    let mut adj = m as f64 * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (m as f64 * r) * ((m - 1) as f64 / 2.0 * r);
        } else {
            adj = expm1(m as f64 * r.ln_1p());
        }
    }
    Dd::new(ans).add_f(ans * adj)
}

fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - 53);
    let mut l = (q + x).abs();
    if l == 0.0 {
        l = x.abs();
    } else {
        let lint = l as i32;
        if lint as f64 == l {
            l = lint as f64;
        }
    }
    l
}

/// a^m as (significand, exponent).
fn pow2_scaled_d(a: Dd, m: i64) -> (Dd, i64) {
    const SM_MAX_EXPONENT: i64 = 960;
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, ae1) = pow2_scaled_d(a, -m);
        let (ans, ae2) = Dd::new(1.0).div(ans).frexp();
        return (ans, -ae1 + ae2 as i64);
    }
    let (y, ye) = a.frexp();
    let ye = ye as i64;
    if m == 1 {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT;
    let ln2 = std::f64::consts::LN_2;
    if m as f64 * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * ln2 {
        let lg2y = y.hi.ln() / ln2;
        let lg_ans = m as f64 * lg2y;
        if lg_ans <= -(SM_MAX_EXPONENT as f64) {
            max_expt = (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i64;
        }
    }
    if m <= max_expt {
        let (ans, ans_e) = pow_d(y, m).frexp();
        return (ans, ans_e as i64 + m * ye);
    }
    let q = m / max_expt;
    let r = m % max_expt;
    let (y2r, y2r_e) = pow2_scaled_d(y, r);
    let (y2m, y2m_e) = pow2_scaled_d(y, max_expt);
    let (y2mq, mut y2mq_e) = pow2_scaled_d(y2m, q);
    let (ans, ans_e) = y2r.mul(y2mq).frexp();
    let mut ans_e = ans_e as i64;
    y2mq_e += y2m_e * q;
    ans_e += y2mq_e + y2r_e;
    ans_e += m * ye;
    (ans, ans_e)
}

/// ((a+b)/(c+d))^m
fn pow4_d(a: f64, b: f64, c: f64, d: f64, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return pow4_d(c, d, a, b, -m);
    }
    let aa = Dd::new(a).add_f(b);
    let cc = Dd::new(c).add_f(d);
    if !aa.ne0() {
        return if !cc.ne0() {
            Dd {
                hi: f64::NAN,
                lo: f64::NAN,
            }
        } else {
            Dd::new(0.0)
        };
    }
    if !cc.ne0() {
        let inf = if aa.hi < 0.0 || (aa.hi == 0.0 && aa.lo < 0.0) {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Dd { hi: inf, lo: inf };
    }
    pow_d(aa.div(cc), m)
}

/// One term of the Birnbaum–Tingey sum: C(n,v) · (1-x-v/n)^(n-v) · (x+v/n)^(v-1).
fn compute_av(n: i64, x: f64, v: i64, cman: Dd, cexpt: i64) -> Dd {
    let t2x = Dd::new((n - v) as f64).div_f(n as f64).sub_f(x);
    let (t2, t2_e) = pow2_scaled_d(t2x, n - v);
    let t1x = Dd::new(v as f64).div_f(n as f64).add_f(x);
    let (t1, t1_e) = pow2_scaled_d(t1x, v - 1);
    let ans = t1.mul(t2).mul(cman);
    let ans_e = cexpt + t1_e + t2_e;
    ans.ldexp(ans_e.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

// ---- scipy.special.ndtr (xsf/cephes/ndtr.h): the standard normal CDF, as scipy.stats.norm ----

/// The standard normal CDF, exactly as scipy's `ndtr` (cephes).
pub(crate) fn ndtr(a: f64) -> f64 {
    if a.is_nan() {
        return f64::NAN;
    }
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < 1.0 {
        0.5 + 0.5 * erf(x)
    } else {
        let y = 0.5 * erfc(z);
        if x > 0.0 { 1.0 - y } else { y }
    }
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
fn erfc(a: f64) -> f64 {
    const P: [f64; 9] = [
        2.46196981473530512524E-10,
        5.64189564831068821977E-1,
        7.46321056442269912687E0,
        4.86371970985681366614E1,
        1.96520832956077098242E2,
        5.26445194995477358631E2,
        9.34528527171957607540E2,
        1.02755188689515710272E3,
        5.57535335369399327526E2,
    ];
    const Q: [f64; 8] = [
        1.32281951154744992508E1,
        8.67072140885989742329E1,
        3.54937778887819891062E2,
        9.75708501743205489753E2,
        1.82390916687909736289E3,
        2.24633760818710981792E3,
        1.65666309194161350182E3,
        5.57535340817727675546E2,
    ];
    const R: [f64; 6] = [
        5.64189583547755073984E-1,
        1.27536670759978104416E0,
        5.01905042251180477414E0,
        6.16021097993053585195E0,
        7.40974269950448939160E0,
        2.97886665372100240670E0,
    ];
    const S: [f64; 6] = [
        2.26052863220117276590E0,
        9.39603524938001434673E0,
        1.20489539808096656605E1,
        1.70814450747565897222E1,
        9.60896809063285878198E0,
        3.36907645100081516050E0,
    ];
    if a.is_nan() {
        return f64::NAN;
    }
    let x = a.abs();
    if x < 1.0 {
        return 1.0 - erf(a);
    }
    let z = -a * a;
    let under = if a < 0.0 { 2.0 } else { 0.0 };
    if z < -MAXLOG {
        return under;
    }
    let z = z.exp();
    let (p, q) = if x < 8.0 {
        (polevl(x, &P), p1evl(x, &Q))
    } else {
        (polevl(x, &R), p1evl(x, &S))
    };
    let mut y = (z * p) / q;
    if a < 0.0 {
        y = 2.0 - y;
    }
    if y != 0.0 { y } else { under }
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
fn erf(x: f64) -> f64 {
    const T: [f64; 5] = [
        9.60497373987051638749E0,
        9.00260197203842689217E1,
        2.23200534594684319226E3,
        7.00332514112805075473E3,
        5.55923013010394962768E4,
    ];
    const U: [f64; 5] = [
        3.35617141647503099647E1,
        5.21357949780152679795E2,
        4.59432382970980127987E3,
        2.26290000613890934246E4,
        4.92673942608635921086E4,
    ];
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return -erf(-x);
    }
    if x.abs() > 1.0 {
        return 1.0 - erfc(x);
    }
    let z = x * x;
    x * polevl(z, &T) / p1evl(z, &U)
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
/// cephes `expm1` (scipy.special.expm1).
pub(crate) fn expm1(x: f64) -> f64 {
    const EP: [f64; 3] = [
        1.2617719307481059087798E-4,
        3.0299440770744196129956E-2,
        9.9999999999999999991025E-1,
    ];
    const EQ: [f64; 4] = [
        3.0019850513866445504159E-6,
        2.5244834034968410419224E-3,
        2.2726554820815502876593E-1,
        2.0000000000000000000897E0,
    ];
    if !x.is_finite() {
        return if x.is_nan() || x > 0.0 { x } else { -1.0 };
    }
    if !(-0.5..=0.5).contains(&x) {
        return x.exp() - 1.0;
    }
    let xx = x * x;
    let r = x * polevl(xx, &EP);
    let r = r / (polevl(xx, &EQ) - r);
    r + r
}

// ---- double-double arithmetic (xsf/cephes/dd_real.h) ----

#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, b - c)
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    const fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
    fn ne0(self) -> bool {
        self.hi != 0.0 || self.lo != 0.0
    }
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
    fn add(self, r: Dd) -> Dd {
        let (s1, s2) = two_sum(self.hi, r.hi);
        let (t1, t2) = two_sum(self.lo, r.lo);
        let (s1, s2) = quick_two_sum(s1, s2 + t1);
        let (hi, lo) = quick_two_sum(s1, s2 + t2);
        Dd { hi, lo }
    }
    fn add_f(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, r);
        let (hi, lo) = quick_two_sum(s1, s2 + self.lo);
        Dd { hi, lo }
    }
    fn sub(self, r: Dd) -> Dd {
        self.add(r.neg())
    }
    fn sub_f(self, r: f64) -> Dd {
        self.add_f(-r)
    }
    /// `l - r` for a double `l`.
    fn f_sub(l: f64, r: Dd) -> Dd {
        let (s1, s2) = two_sum(l, -r.hi);
        let (hi, lo) = quick_two_sum(s1, s2 - r.lo);
        Dd { hi, lo }
    }
    fn mul(self, r: Dd) -> Dd {
        let (p1, p2) = two_prod(self.hi, r.hi);
        let (hi, lo) = quick_two_sum(p1, p2 + (self.hi * r.lo + self.lo * r.hi));
        Dd { hi, lo }
    }
    fn mul_f(self, r: f64) -> Dd {
        let (p1, e1) = two_prod(self.hi, r);
        let (p2, e2) = two_prod(self.lo, r);
        let (hi, lo) = quick_two_sum(p1, e2 + p2 + e1);
        Dd { hi, lo }
    }
    fn div(self, r: Dd) -> Dd {
        let q1 = self.hi / r.hi;
        let rr = self.sub(r.mul_f(q1));
        let q2 = rr.hi / r.hi;
        let rr = rr.sub(r.mul_f(q2));
        let q3 = rr.hi / r.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        Dd { hi: q1, lo: q2 }.add_f(q3)
    }
    fn div_f(self, r: f64) -> Dd {
        self.div(Dd::new(r))
    }
    fn floor(self) -> Dd {
        let hi = self.hi.floor();
        if hi == self.hi {
            let (hi, lo) = quick_two_sum(hi, self.lo.floor());
            Dd { hi, lo }
        } else {
            Dd { hi, lo: 0.0 }
        }
    }
    fn ldexp(self, e: i32) -> Dd {
        Dd {
            hi: ldexp(self.hi, e),
            lo: ldexp(self.lo, e),
        }
    }
    fn frexp(self) -> (Dd, i32) {
        let (mut man, mut exponent) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -exponent);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exponent -= 1;
        }
        (Dd { hi: man, lo: b1 }, exponent)
    }
}

/// C's `frexp`: x = m · 2^e with 0.5 <= |m| < 1.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
        return (m, e - 64);
    }
    (
        f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52)),
        biased - 1022,
    )
}

/// C's `ldexp` (musl's `scalbn`), correctly rounded into the subnormals.
fn ldexp(x: f64, mut n: i32) -> f64 {
    let x1p1023 = f64::from_bits(0x7fe0_0000_0000_0000);
    let x1p53 = f64::from_bits(0x4340_0000_0000_0000);
    let x1p_1022 = f64::from_bits(0x0010_0000_0000_0000);
    let mut y = x;
    if n > 1023 {
        y *= x1p1023;
        n -= 1023;
        if n > 1023 {
            y *= x1p1023;
            n -= 1023;
            if n > 1023 {
                n = 1023;
            }
        }
    } else if n < -1022 {
        y *= x1p_1022 * x1p53;
        n += 1022 - 53;
        if n < -1022 {
            y *= x1p_1022 * x1p53;
            n += 1022 - 53;
            if n < -1022 {
                n = -1022;
            }
        }
    }
    y * f64::from_bits(((0x3ff + n) as u64) << 52)
}

// ---- scipy.special.binom (xsf/binom.h with cephes beta and Gamma), for n, k >= 0 ----

fn binom(n: f64, k: f64) -> f64 {
    if k > n {
        return 0.0; // not reached: every caller has 0 <= k <= n
    }
    let mut kx = k.floor();
    if k == kx && (n.abs() > 1e-8 || n == 0.0) {
        let nx = n.floor();
        if nx == n && kx > nx / 2.0 && nx > 0.0 {
            kx = nx - kx;
        }
        if (0.0..20.0).contains(&kx) {
            let (mut num, mut den) = (1.0f64, 1.0f64);
            for i in 1..(1 + kx as i32) {
                num *= i as f64 + n - kx;
                den *= i as f64;
                if num.abs() > 1e50 {
                    num /= den;
                    den = 1.0;
                }
            }
            return num / den;
        }
    }
    if n >= 1e10 * k && k > 0.0 {
        return (-lbeta(1.0 + n - k, 1.0 + k) - (n + 1.0).ln()).exp();
    }
    1.0 / (n + 1.0) / beta(1.0 + n - k, 1.0 + k)
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
const MAXGAM: f64 = 171.624_376_956_302_725;
#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
const MAXLOG: f64 = 7.097_827_128_933_84e2;

/// cephes `beta` for positive arguments.
fn beta(a: f64, b: f64) -> f64 {
    let (a, b) = if a.abs() < b.abs() { (b, a) } else { (a, b) };
    if a.abs() > 1e6 * b.abs() && a > 1e6 {
        return lbeta_asymp(a, b).exp();
    }
    let y = a + b;
    if y.abs() > MAXGAM || a.abs() > MAXGAM || b.abs() > MAXGAM {
        let y = lgam(y);
        let y = lgam(b) - y;
        let y = lgam(a) + y;
        if y > MAXLOG {
            return f64::INFINITY;
        }
        return y.exp();
    }
    let y = rgamma(y);
    let a = gamma(a);
    let b = gamma(b);
    if y.is_infinite() {
        return f64::INFINITY;
    }
    if ((a * y).abs() - 1.0).abs() > ((b * y).abs() - 1.0).abs() {
        let y = b * y;
        y * a
    } else {
        let y = a * y;
        y * b
    }
}

/// cephes `lbeta` for positive arguments.
fn lbeta(a: f64, b: f64) -> f64 {
    let (a, b) = if a.abs() < b.abs() { (b, a) } else { (a, b) };
    if a.abs() > 1e6 * b.abs() && a > 1e6 {
        return lbeta_asymp(a, b);
    }
    let y = a + b;
    if y.abs() > MAXGAM || a.abs() > MAXGAM || b.abs() > MAXGAM {
        let y = lgam(y);
        let y = lgam(b) - y;
        return lgam(a) + y;
    }
    let y = rgamma(y);
    let a = gamma(a);
    let b = gamma(b);
    if y.is_infinite() {
        return f64::INFINITY;
    }
    let y = if ((a * y).abs() - 1.0).abs() > ((b * y).abs() - 1.0).abs() {
        b * y * a
    } else {
        a * y * b
    };
    y.abs().ln()
}

fn lbeta_asymp(a: f64, b: f64) -> f64 {
    let mut r = lgam(b);
    r -= b * a.ln();
    r += b * (1.0 - b) / (2.0 * a);
    r += b * (1.0 - b) * (1.0 - 2.0 * b) / (12.0 * a * a);
    r += -b * b * (1.0 - b) * (1.0 - b) / (12.0 * a * a * a);
    r
}

fn polevl(x: f64, coef: &[f64]) -> f64 {
    let mut ans = coef[0];
    for &c in &coef[1..] {
        ans = ans * x + c;
    }
    ans
}

fn p1evl(x: f64, coef: &[f64]) -> f64 {
    let mut ans = x + coef[0];
    for &c in &coef[1..] {
        ans = ans * x + c;
    }
    ans
}

fn chbevl(x: f64, array: &[f64]) -> f64 {
    let mut b0 = array[0];
    let mut b1 = 0.0;
    let mut b2 = 0.0;
    for &c in &array[1..] {
        b2 = b1;
        b1 = b0;
        b0 = x * b1 - b2 + c;
    }
    0.5 * (b0 - b2)
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
const SQRT2PI: f64 = 2.506_628_274_631_000_502_415_765_284_811;

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
/// cephes `Gamma` for x > 0.
fn gamma(x: f64) -> f64 {
    const P: [f64; 7] = [
        1.60119522476751861407E-4,
        1.19135147006586384913E-3,
        1.04213797561761569935E-2,
        4.76367800457137231464E-2,
        2.07448227648435975150E-1,
        4.94214826801497100753E-1,
        9.99999999999999996796E-1,
    ];
    const Q: [f64; 8] = [
        -2.31581873324120129819E-5,
        5.39605580493303397842E-4,
        -4.45641913851797240494E-3,
        1.18139785222060435552E-2,
        3.58236398605498653373E-2,
        -2.34591795718243348568E-1,
        7.14304917030273074085E-2,
        1.00000000000000000320E0,
    ];
    if !x.is_finite() {
        return if x > 0.0 { x } else { f64::NAN };
    }
    if x == 0.0 {
        return f64::INFINITY.copysign(x);
    }
    if x.abs() > 33.0 {
        return stirf(x);
    }
    let mut x = x;
    let mut z = 1.0;
    while x >= 3.0 {
        x -= 1.0;
        z *= x;
    }
    while x < 2.0 {
        if x < 1e-9 {
            return z / ((1.0 + 0.5772156649015329 * x) * x);
        }
        z /= x;
        x += 1.0;
    }
    if x == 2.0 {
        return z;
    }
    x -= 2.0;
    let p = polevl(x, &P);
    let q = polevl(x, &Q);
    z * p / q
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
fn stirf(x: f64) -> f64 {
    const STIR: [f64; 5] = [
        7.87311395793093628397E-4,
        -2.29549961613378126380E-4,
        -2.68132617805781232825E-3,
        3.47222221605458667310E-3,
        8.33333333333482257126E-2,
    ];
    const MAXSTIR: f64 = 143.01608;
    if x >= MAXGAM {
        return f64::INFINITY;
    }
    let w = 1.0 / x;
    let w = 1.0 + w * polevl(w, &STIR);
    let mut y = x.exp();
    if x > MAXSTIR {
        let v = x.powf(0.5 * x - 0.25);
        y = v * (v / y);
    } else {
        y = x.powf(x - 0.5) / y;
    }
    SQRT2PI * y * w
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
/// cephes `rgamma` (1/Gamma) for x > 0.
fn rgamma(x: f64) -> f64 {
    const R: [f64; 16] = [
        3.13173458231230000000E-17,
        -6.70718606477908000000E-16,
        2.20039078172259550000E-15,
        2.47691630348254132600E-13,
        -6.60074100411295197440E-12,
        5.13850186324226978840E-11,
        1.08965386454418662084E-9,
        -3.33964630686836942556E-8,
        2.68975996440595483619E-7,
        2.96001177518801696639E-6,
        -8.04814124978471142852E-5,
        4.16609138709688864714E-4,
        5.06579864028608725080E-3,
        -6.41925436109158228810E-2,
        -4.98558728684003594785E-3,
        1.27546015610523951063E-1,
    ];
    if x == 0.0 {
        return x;
    }
    if x.abs() > 4.0 {
        return 1.0 / gamma(x);
    }
    let mut z = 1.0;
    let mut w = x;
    while w > 1.0 {
        w -= 1.0;
        z *= w;
    }
    while w < 0.0 {
        z /= w;
        w += 1.0;
    }
    if w == 0.0 {
        return 0.0;
    }
    if w == 1.0 {
        return 1.0 / z;
    }
    w * (1.0 + chbevl(4.0 * w - 2.0, &R)) / z
}

#[allow(clippy::excessive_precision)] // the constants as published (cephes, scipy)
/// cephes `lgam` (log |Gamma|) for x > 0.
fn lgam(x: f64) -> f64 {
    const A: [f64; 5] = [
        8.11614167470508450300E-4,
        -5.95061904284301438324E-4,
        7.93650340457716943945E-4,
        -2.77777777730099687205E-3,
        8.33333333333331927722E-2,
    ];
    const B: [f64; 6] = [
        -1.37825152569120859100E3,
        -3.88016315134637840924E4,
        -3.31612992738871184744E5,
        -1.16237097492762307383E6,
        -1.72173700820839662146E6,
        -8.53555664245765465627E5,
    ];
    const C: [f64; 6] = [
        -3.51815701436523470549E2,
        -1.70642106651881159223E4,
        -2.20528590553854454839E5,
        -1.13933444367982507207E6,
        -2.53252307177582951285E6,
        -2.01889141433532773231E6,
    ];
    const LS2PI: f64 = 0.91893853320467274178;
    const MAXLGM: f64 = 2.556348e305;
    if !x.is_finite() {
        return x;
    }
    if x < 13.0 {
        let mut z = 1.0;
        let mut p = 0.0;
        let mut u = x;
        while u >= 3.0 {
            p -= 1.0;
            u = x + p;
            z *= u;
        }
        while u < 2.0 {
            if u == 0.0 {
                return f64::INFINITY;
            }
            z /= u;
            p += 1.0;
            u = x + p;
        }
        if z < 0.0 {
            z = -z;
        }
        if u == 2.0 {
            return z.ln();
        }
        p -= 2.0;
        let x = x + p;
        let p = x * polevl(x, &B) / p1evl(x, &C);
        return z.ln() + p;
    }
    if x > MAXLGM {
        return f64::INFINITY;
    }
    if x >= 1000.0 {
        let q = (x - 0.5) * x.ln() - x + LS2PI;
        if x > 1.0e8 {
            return q;
        }
        let p = 1.0 / (x * x);
        let p = ((7.9365079365079365079365e-4 * p - 2.7777777777777777777778e-3) * p
            + 0.0833333333333333333333)
            / x;
        return q + p;
    }
    let q = (x - 0.5) * x.ln() - x + LS2PI;
    let p = 1.0 / (x * x);
    q + polevl(p, &A) / x
}

// ---- Numeric core (end) ----

#[cfg(test)]
mod tests {
    use super::*;

    fn s(values: &[f64]) -> Series {
        Series::new("x".into(), values)
    }

    // ---- scipy reference values (begin) ----

    /// `got` within a relative `rtol` of `expected` (exactly equal for 0).
    fn close(got: f64, expected: f64, rtol: f64) -> bool {
        got == expected || ((got - expected) / expected).abs() <= rtol
    }

    /// Asserts the statistic and p-value against scipy's, the p-value within a relative `rtol`
    /// and the statistic within `rtol` / 1000.
    fn assert_scipy(res: TestResult, statistic: f64, pvalue: f64, rtol: f64) {
        assert_eq!(res.name, "KstestResult");
        assert_eq!(res.df, None);
        assert!(
            close(res.statistic, statistic, rtol / 1000.0),
            "statistic {} vs scipy {statistic}",
            res.statistic
        );
        assert!(
            close(res.pvalue, pvalue, rtol),
            "pvalue {} vs scipy {pvalue}",
            res.pvalue
        );
    }

    const X10: [f64; 10] = [
        0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64,
    ];

    /// The golden-ratio sequence (i·0.618033988749895) mod 1 for i in start..start+n; Python's
    /// `[(i * 0.618033988749895) % 1.0 for i in range(start, start + n)]` gives the same floats.
    fn golden(n: usize, start: usize) -> Vec<f64> {
        (start..start + n)
            .map(|i| (i as f64 * 0.618033988749895) % 1.0)
            .collect()
    }

    #[test]
    fn kstest_matches_scipy_on_small_samples() {
        let x = s(&X10);
        let norm = Cdf::Norm {
            loc: 0.0,
            scale: 1.0,
        };
        let shifted = Cdf::Norm {
            loc: 0.5,
            scale: 2.0,
        };
        // stats.kstest(X10, 'norm')
        let res = kstest(&x, norm, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.22392218265410685, 0.6213477926899835, 1e-10);
        // stats.kstest(X10, stats.norm(0.5, 2).cdf, alternative='less')
        let res = kstest(&x, shifted, Alternative::Less).unwrap();
        assert_scipy(res, 0.16762889346898305, 0.5151299178250845, 1e-10);
        // stats.kstest(X10, stats.norm(0.5, 2).cdf, alternative='greater')
        let res = kstest(&x, shifted, Alternative::Greater).unwrap();
        assert_scipy(res, 0.37806923189717656, 0.042889683760944035, 1e-10);
        // stats.kstest(X10, stats.t(3.0, 0, 1).cdf): statrs' t CDF is within ~1e-12 of scipy's
        let t3 = Cdf::StudentsT {
            df: 3.0,
            loc: 0.0,
            scale: 1.0,
        };
        let res = kstest(&x, t3, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.22203553232439427, 0.631543042089127, 1e-9);
        // stats.kstest([v + 2.5 for v in X10], stats.uniform(2, 3).cdf)
        let moved: Vec<f64> = X10.iter().map(|v| v + 2.5).collect();
        let res = kstest(
            &s(&moved),
            Cdf::Uniform {
                loc: 2.0,
                scale: 3.0,
            },
            Alternative::TwoSided,
        );
        assert_scipy(res.unwrap(), 0.53, 0.0037936619141161446, 1e-10);
    }

    #[test]
    fn kstest_matches_scipy_on_larger_samples() {
        let uniform = Cdf::Uniform {
            loc: 0.0,
            scale: 1.0,
        };
        // stats.kstest(golden(200), 'uniform')
        let res = kstest(&s(&golden(200, 1)), uniform, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.009200278733939582, 1.0, 1e-10);
        // u = [v ** 1.3 for v in golden(300)]; stats.kstest(u, 'uniform', alternative=…)
        let u: Vec<f64> = golden(300, 1).iter().map(|v| v.powf(1.3)).collect();
        let res = kstest(&s(&u), uniform, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.09821108981527454, 0.005696457762909158, 1e-10);
        let res = kstest(&s(&u), uniform, Alternative::Less).unwrap();
        assert_scipy(res, 0.00029383862276838795, 0.9996791814953271, 1e-10);
        let res = kstest(&s(&u), uniform, Alternative::Greater).unwrap();
        assert_scipy(res, 0.09821108981527454, 0.002848228881454579, 1e-10);
        // e = [-math.log(v) for v in golden(60)]; stats.kstest(e, stats.expon(0, 1.5).cdf)
        let e: Vec<f64> = golden(60, 1).iter().map(|v| -v.ln()).collect();
        let res = kstest(
            &s(&e),
            Cdf::Expon {
                loc: 0.0,
                scale: 1.5,
            },
            Alternative::TwoSided,
        )
        .unwrap();
        assert_scipy(res, 0.1586451035406875, 0.08722296182576306, 1e-10);
    }

    #[test]
    fn ks_2samp_matches_scipy() {
        let a7 = s(&[1.2, 3.4, 0.5, 2.2, 4.1, 0.9, 3.3]);
        let b13 = s(&[
            2.5, 3.9, 4.4, 1.8, 5.2, 3.1, 4.8, 2.9, 6.0, 3.6, 4.0, 5.5, 2.7,
        ]);
        // stats.ks_2samp(a7, b13, alternative=…): exact, unequal sizes
        let res = ks_2samp(&a7, &b13, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.4945054945054945, 0.1365583075335397, 1e-10);
        let res = ks_2samp(&a7, &b13, Alternative::Less).unwrap();
        assert_scipy(res, 0.0, 1.0, 1e-10);
        let res = ks_2samp(&a7, &b13, Alternative::Greater).unwrap();
        assert_scipy(res, 0.4945054945054945, 0.06827915376676987, 1e-10);
        // stats.ks_2samp(ra, rb, alternative=…): exact, equal sizes, ties
        let ra = s(&[0.1, 0.2, 0.2, 0.3, 0.5, 0.5, 0.5, 0.8, 0.9, 1.0]);
        let rb = s(&[0.2, 0.4, 0.5, 0.5, 0.6, 0.7, 0.7, 0.9, 1.1, 1.2]);
        let res = ks_2samp(&ra, &rb, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.3, 0.7869297884777761, 1e-10);
        let res = ks_2samp(&ra, &rb, Alternative::Less).unwrap();
        assert_scipy(res, 0.0, 1.0, 1e-10);
        let res = ks_2samp(&ra, &rb, Alternative::Greater).unwrap();
        assert_scipy(res, 0.3, 0.4195804195804196, 1e-10);
        // big = golden(10001); small = [v ** 0.8 for v in golden(200, 20000)]
        // stats.ks_2samp(big, small, alternative=…): asymptotic, a sample has more than 10000
        let big = s(&golden(10001, 1));
        let small: Vec<f64> = golden(200, 20000).iter().map(|v| v.powf(0.8)).collect();
        let small = s(&small);
        let res = ks_2samp(&big, &small, Alternative::TwoSided).unwrap();
        assert_scipy(res, 0.08626287371262875, 0.10196844761214297, 1e-10);
        let res = ks_2samp(&big, &small, Alternative::Less).unwrap();
        assert_scipy(res, 0.003199180081991826, 0.9938308691703823, 1e-10);
        let res = ks_2samp(&big, &small, Alternative::Greater).unwrap();
        assert_scipy(res, 0.08626287371262875, 0.050956030863016276, 1e-10);
    }

    #[test]
    fn distributions_match_scipy() {
        // (n, x, stats.kstwo.sf(x, n)): each method of scipy's _kolmogn
        for (n, x, sf) in [
            (1, 0.7, 0.6000000000000001),        // Ruben-Gambino, t >= n - 1
            (5, 0.15, 0.9988),                   // Ruben-Gambino, t <= 1
            (5, 0.3, 0.664),                     // Durbin matrix
            (20, 0.1, 0.976255094592155),        // Durbin matrix
            (100, 0.05, 0.9532159710635725),     // Durbin matrix
            (100, 0.2, 0.0005551927327988775),   // Pomeranz
            (100, 0.5, 1.2131434371817858e-23),  // 2 * smirnov
            (100, 0.006, 1.0),                   // Ruben-Gambino, t <= 1
            (200, 0.035, 0.959895555633483),     // Durbin matrix, n > 140
            (500, 0.03, 0.7473166700457021),     // Pelz-Good
            (500, 0.1, 8.342293067263533e-05),   // 2 * smirnov
            (8000, 0.012, 0.1979314324114284),   // Pelz-Good
            (200000, 0.001, 0.9881500208855729), // Pelz-Good, n > 100000
            (20, 0.97, 6.973568802000124e-31),   // Ruben-Gambino, t >= n - 1
        ] {
            assert!(
                close(kstwo_sf(n, x), sf, 1e-10),
                "kstwo.sf({x}, {n}) = {}, scipy {sf}",
                kstwo_sf(n, x)
            );
        }
        // (n, x, stats.ksone.sf(x, n)) = scipy.special.smirnov(n, x)
        for (n, x, sf) in [
            (1, 0.3, 0.7),
            (10, 0.05, 0.9224335892010742),
            (10, 0.4, 0.02949469039999999),
            (100, 0.1, 0.1265906584562817),
            (1000, 0.02, 0.44342498843949424),
            (2000000, 0.0005, 0.3677568249110604),
            (50, 0.99, 1.0000000000000444e-100),
        ] {
            assert!(
                close(ksone_sf(n, x), sf, 1e-13),
                "ksone.sf({x}, {n}) = {}, scipy {sf}",
                ksone_sf(n, x)
            );
        }
        // scipy.special.kolmogorov(x) and scipy.special.ndtr(x)
        for (x, sf) in [
            (0.3, 0.9999906941986655),
            (0.82, 0.5119717052984973),
            (1.0, 0.26999967167735456),
            (1.36, 0.049485876755377876),
        ] {
            assert!(
                close(kolmogorov(x), sf, 1e-14),
                "kolmogorov({x}) = {}, scipy {sf}",
                kolmogorov(x)
            );
        }
        for (x, cdf) in [
            (-3.0, 0.0013498980316300933),
            (-0.5, 0.3085375387259869),
            (0.0, 0.5),
            (1.2, 0.8849303297782918),
            (9.0, 1.0),
        ] {
            assert_eq!(ndtr(x), cdf, "ndtr({x})");
        }
    }

    // ---- scipy reference values (end) ----

    #[test]
    fn nulls_and_nans_are_dropped() {
        let with = Series::new(
            "x".into(),
            [
                Some(0.61),
                None,
                Some(f64::NAN),
                Some(0.29),
                Some(0.06),
                Some(-1.73),
            ],
        );
        let without = s(&[0.61, 0.29, 0.06, -1.73]);
        let norm = Cdf::Norm {
            loc: 0.0,
            scale: 1.0,
        };
        assert_eq!(
            kstest(&with, norm, Alternative::TwoSided).unwrap(),
            kstest(&without, norm, Alternative::TwoSided).unwrap()
        );
        assert_eq!(
            ks_2samp(&with, &s(&X10), Alternative::Less).unwrap(),
            ks_2samp(&without, &s(&X10), Alternative::Less).unwrap()
        );
    }

    #[test]
    fn infinite_df_is_the_normal() {
        let t = Cdf::StudentsT {
            df: f64::INFINITY,
            loc: 1.0,
            scale: 2.0,
        };
        let norm = Cdf::Norm {
            loc: 1.0,
            scale: 2.0,
        };
        for x in [-3.0, 0.2, 1.0, 2.5, 7.0] {
            assert_eq!(t.cdf(x), norm.cdf(x));
        }
    }

    #[test]
    fn invalid_input_is_an_error() {
        let norm = Cdf::Norm {
            loc: 0.0,
            scale: 1.0,
        };
        let empty = Series::new("x".into(), [None, Some(f64::NAN)]);
        for err in [
            kstest(&empty, norm, Alternative::TwoSided).unwrap_err(),
            ks_2samp(&empty, &s(&X10), Alternative::TwoSided).unwrap_err(),
            ks_2samp(&s(&X10), &empty, Alternative::Greater).unwrap_err(),
        ] {
            assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
            assert!(err.to_string().contains("but is 0"), "{err}");
        }
        for cdf in [
            Cdf::Norm {
                loc: 0.0,
                scale: 0.0,
            },
            Cdf::Uniform {
                loc: f64::NAN,
                scale: 1.0,
            },
            Cdf::Expon {
                loc: 0.0,
                scale: -1.0,
            },
            Cdf::Norm {
                loc: 0.0,
                scale: f64::INFINITY,
            },
            Cdf::StudentsT {
                df: 0.0,
                loc: 0.0,
                scale: 1.0,
            },
            Cdf::StudentsT {
                df: f64::NAN,
                loc: 0.0,
                scale: 1.0,
            },
        ] {
            let err = kstest(&s(&X10), cdf, Alternative::TwoSided).unwrap_err();
            assert!(
                matches!(err, Error::InvalidParameter { .. }),
                "{cdf:?}: {err}"
            );
        }
        let err = kstest(
            &s(&X10),
            Cdf::Norm {
                loc: 0.0,
                scale: 0.0,
            },
            Alternative::Less,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "kstest: scale should be positive and finite, but is 0"
        );
        let text = Series::new("name".into(), ["a", "b", "c"]);
        let err = kstest(&text, norm, Alternative::TwoSided).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
    }
}

//! [`Market`]: a synthetic market for load and for streams without data — correlated
//! geometric Brownian motion with the drift and covariance of real prices' log returns.
//!
//! Each tick moves every symbol's log price by `μ·dt + √dt · L·z`, where `μ` is the mean and
//! `L` the Cholesky factor of the covariance of the data's daily log returns, `z` independent
//! standard normals and `dt` the tick's length in trading days; prices start at the data's
//! last prices. The numbers come from a seeded xoshiro256** generator, so a market with the
//! same seed and start gives the same quotes on every machine.

use std::fmt;

use nalgebra::{DMatrix, DVector};
use polars::prelude::*;

use super::frame::{FrameBuilder, TS_DTYPE};
use super::quote::now_ms;
use super::replay::Feed;
use crate::error::{Error, Result};

/// A generator of correlated random-walk quotes estimated from a wide price table.
///
/// Defaults: 1,000 quotes per second (all symbols together; one tick quotes every symbol
/// at the same `ts`), a tick of 1/390 trading day (a minute of a 6.5-hour session), seed 0,
/// and a start at the clock's time when the market was made.
///
/// ```
/// use eddy::prelude::*;
///
/// let market = Market::from_prices(&sp500()?)?
///     .symbols(&["AAPL", "JPM", "XOM"])?
///     .rate(300.0)                    // quotes per second: 100 ticks of 3 symbols
///     .seed(7)
///     .start(1_700_000_000_000);      // ms since the epoch
/// let quotes = market.quotes(600)?;   // two seconds of quotes
/// assert_eq!(quotes.shape(), (600, 3));
/// assert!(quotes.equals(&market.quotes(600)?)); // same seed, same quotes
/// let cov = market.covariance();      // of daily log returns, as numpy.cov
/// assert_eq!(cov.shape(), (3, 4));
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone)]
pub struct Market {
    symbols: Vec<String>,
    start_prices: Vec<f64>,
    drift: Vec<f64>,
    cov: DMatrix<f64>,
    chol: DMatrix<f64>,
    rate: f64,
    dt: f64,
    seed: u64,
    start_ms: i64,
}

impl fmt::Debug for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Market")
            .field("symbols", &self.symbols)
            .field("rate", &self.rate)
            .field("dt", &self.dt)
            .field("seed", &self.seed)
            .field("start_ms", &self.start_ms)
            .finish()
    }
}

impl Market {
    /// Estimates a market from a wide price table (an optional date column first, then one
    /// price column per symbol, as [`sp500`](crate::sp500)): the mean and covariance
    /// (`ddof = 1`) of daily log returns over the days where every symbol has a price.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDtype`] for a non-numeric price column; [`Error::InvalidParameter`] if
    /// fewer than 3 complete days are left or the covariance is not positive definite (a
    /// constant column, or two identical ones).
    pub fn from_prices(wide: &DataFrame) -> Result<Market> {
        const OP: &str = "Market::from_prices";
        let mut symbols = Vec::new();
        let mut columns = Vec::new();
        for (i, column) in wide.columns().iter().enumerate() {
            let dtype = column.dtype();
            if i == 0 && !dtype.is_primitive_numeric() {
                continue; // the date index
            }
            if !dtype.is_primitive_numeric() {
                return Err(Error::InvalidDtype {
                    operation: OP,
                    column: column.name().to_string(),
                    dtype: dtype.to_string(),
                    expected: "numeric prices (every column after the date)",
                });
            }
            symbols.push(column.name().to_string());
            let values: Vec<Option<f64>> = column.cast(&DataType::Float64)?.f64()?.iter().collect();
            columns.push(values);
        }
        if symbols.is_empty() {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "wide",
                value: "a frame without price columns".into(),
                rule: "a date column, then one price column per symbol",
            });
        }
        let k = symbols.len();
        // Rows where every price is positive and finite.
        let rows: Vec<Vec<f64>> = (0..wide.height())
            .filter_map(|r| {
                columns
                    .iter()
                    .map(|c| c[r].filter(|v| v.is_finite() && *v > 0.0))
                    .collect::<Option<Vec<f64>>>()
            })
            .collect();
        if rows.len() < 3 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "the number of days with every price",
                value: rows.len().to_string(),
                rule: "at least 3",
            });
        }
        let returns: Vec<Vec<f64>> = rows
            .windows(2)
            .map(|w| (0..k).map(|j| (w[1][j] / w[0][j]).ln()).collect())
            .collect();
        let n = returns.len() as f64;
        let drift: Vec<f64> = (0..k)
            .map(|j| returns.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let mut cov = DMatrix::<f64>::zeros(k, k);
        for r in &returns {
            for a in 0..k {
                for b in 0..=a {
                    cov[(a, b)] += (r[a] - drift[a]) * (r[b] - drift[b]);
                }
            }
        }
        for a in 0..k {
            for b in 0..=a {
                let v = cov[(a, b)] / (n - 1.0);
                cov[(a, b)] = v;
                cov[(b, a)] = v;
            }
        }
        let start_prices = rows.last().cloned().unwrap_or_default();
        let chol = cholesky(&cov, OP)?;
        Ok(Market {
            symbols,
            start_prices,
            drift,
            cov,
            chol,
            rate: 1000.0,
            dt: 1.0 / 390.0,
            seed: 0,
            start_ms: now_ms(),
        })
    }

    /// Keeps only `symbols`, in this order (their drift and covariance are kept as estimated).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] for a symbol the market does not have;
    /// [`Error::InvalidParameter`] for an empty list or a repeated symbol.
    pub fn symbols(self, symbols: &[&str]) -> Result<Market> {
        const OP: &str = "Market::symbols";
        if symbols.is_empty() {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "symbols",
                value: "[]".into(),
                rule: "at least one symbol",
            });
        }
        let mut idx = Vec::with_capacity(symbols.len());
        for s in symbols {
            let Some(i) = self.symbols.iter().position(|x| x == s) else {
                return Err(Error::ColumnNotFound {
                    operation: OP,
                    column: s.to_string(),
                    available: self.symbols.clone(),
                });
            };
            if idx.contains(&i) {
                return Err(Error::InvalidParameter {
                    operation: OP,
                    name: "symbols",
                    value: format!("{symbols:?}"),
                    rule: "each symbol once",
                });
            }
            idx.push(i);
        }
        let cov = DMatrix::from_fn(idx.len(), idx.len(), |a, b| self.cov[(idx[a], idx[b])]);
        let chol = cholesky(&cov, OP)?;
        Ok(Market {
            symbols: idx.iter().map(|&i| self.symbols[i].clone()).collect(),
            start_prices: idx.iter().map(|&i| self.start_prices[i]).collect(),
            drift: idx.iter().map(|&i| self.drift[i]).collect(),
            cov,
            chol,
            ..self
        })
    }

    /// Quotes per second, all symbols together (a non-positive or non-finite rate keeps the
    /// previous one). It sets the spacing of `ts`; [`replay_to_kafka`] with
    /// [`Speed::Times(1.0)`](crate::stream::Speed) sends them at that pace.
    ///
    /// [`replay_to_kafka`]: crate::stream::replay_to_kafka
    pub fn rate(mut self, quotes_per_sec: f64) -> Market {
        if quotes_per_sec.is_finite() && quotes_per_sec > 0.0 {
            self.rate = quotes_per_sec;
        }
        self
    }

    /// The model time of one tick, in trading days (default 1/390, a minute); ignored unless
    /// positive and finite.
    pub fn dt(mut self, trading_days: f64) -> Market {
        if trading_days.is_finite() && trading_days > 0.0 {
            self.dt = trading_days;
        }
        self
    }

    /// The random seed (default 0).
    pub fn seed(mut self, seed: u64) -> Market {
        self.seed = seed;
        self
    }

    /// The `ts` of the first tick, in ms since the epoch (default: when the market was made).
    pub fn start(mut self, ms_since_epoch: i64) -> Market {
        self.start_ms = ms_since_epoch;
        self
    }

    /// The symbols, in the order each tick quotes them.
    pub fn symbol_names(&self) -> &[String] {
        &self.symbols
    }

    /// The covariance of daily log returns the market was estimated with, as a labelled frame
    /// (`symbol`, then one column per symbol), as `numpy.cov(log_returns, rowvar=False)`.
    pub fn covariance(&self) -> DataFrame {
        let k = self.symbols.len();
        let mut columns = vec![Column::new("symbol".into(), self.symbols.clone())];
        for j in 0..k {
            let values: Vec<f64> = (0..k).map(|i| self.cov[(i, j)]).collect();
            columns.push(Column::new(self.symbols[j].as_str().into(), values));
        }
        DataFrame::new(k, columns).unwrap_or_else(|_| DataFrame::empty())
    }

    /// The mean daily log return of each symbol, in [`symbol_names`](Self::symbol_names)'
    /// order.
    pub fn drift(&self) -> &[f64] {
        &self.drift
    }

    /// The first `n` quotes as a long frame (`symbol`, `ts`, `price`): tick after tick, each
    /// quoting every symbol in order at the same `ts`.
    ///
    /// # Errors
    ///
    /// Only from polars, building the frame.
    pub fn quotes(&self, n: usize) -> Result<DataFrame> {
        let mut walk = Walk::new(self);
        let mut builder = FrameBuilder::with_capacity(n);
        walk.emit(&mut builder, n);
        let frame = builder.take()?;
        Ok(frame.select(["symbol", "ts", "price"])?)
    }

    /// The market as an endless feed for the embedded source.
    pub(crate) fn feed(&self) -> MarketFeed {
        MarketFeed {
            walk: Walk::new(self),
        }
    }
}

/// `L` with `L·Lᵀ = cov`.
fn cholesky(cov: &DMatrix<f64>, operation: &'static str) -> Result<DMatrix<f64>> {
    nalgebra::Cholesky::new(cov.clone())
        .map(|c| c.l())
        .ok_or(Error::InvalidParameter {
            operation,
            name: "the covariance of log returns",
            value: "a matrix that is not positive definite".into(),
            rule: "positive definite (drop constant or duplicated price columns)",
        })
}

/// The walk's state: log prices, the random generator, and the tick count.
struct Walk {
    symbols: Vec<String>,
    log_price: DVector<f64>,
    mean_step: DVector<f64>,
    scaled_chol: DMatrix<f64>,
    rng: Xoshiro,
    tick: u64,
    tick_ms: f64,
    start_ms: i64,
    /// Position within the current tick (for a count that ends mid-tick).
    next_symbol: usize,
    prices: Vec<f64>,
    z: DVector<f64>,
}

impl Walk {
    fn new(market: &Market) -> Walk {
        let k = market.symbols.len();
        Walk {
            symbols: market.symbols.clone(),
            log_price: DVector::from_iterator(k, market.start_prices.iter().map(|p| p.ln())),
            mean_step: DVector::from_iterator(k, market.drift.iter().map(|m| m * market.dt)),
            scaled_chol: &market.chol * market.dt.sqrt(),
            rng: Xoshiro::new(market.seed),
            tick: 0,
            tick_ms: k as f64 / market.rate * 1000.0,
            start_ms: market.start_ms,
            next_symbol: 0,
            prices: market.start_prices.clone(),
            z: DVector::zeros(k),
        }
    }

    /// Appends the next `n` quotes (partition and offset 0: the replay assigns them).
    fn emit(&mut self, builder: &mut FrameBuilder, n: usize) {
        let k = self.symbols.len();
        for _ in 0..n {
            if self.next_symbol == 0 {
                for i in 0..k {
                    self.z[i] = self.rng.normal();
                }
                self.log_price += &self.mean_step + &self.scaled_chol * &self.z;
                for i in 0..k {
                    self.prices[i] = self.log_price[i].exp();
                }
            }
            let ts = self.start_ms + (self.tick as f64 * self.tick_ms).floor() as i64;
            let i = self.next_symbol;
            builder.push(&self.symbols[i], ts, self.prices[i], 0, 0);
            self.next_symbol += 1;
            if self.next_symbol == k {
                self.next_symbol = 0;
                self.tick += 1;
            }
        }
    }
}

/// An endless feed of market quotes.
pub(crate) struct MarketFeed {
    walk: Walk,
}

impl Feed for MarketFeed {
    fn next_chunk(&mut self) -> Result<Option<DataFrame>> {
        let n = 4096 * self.walk.symbols.len();
        let mut builder = FrameBuilder::with_capacity(n);
        self.walk.emit(&mut builder, n);
        let frame = builder.take()?;
        debug_assert_eq!(frame.column("ts")?.dtype(), &TS_DTYPE);
        Ok(Some(frame.select(["symbol", "ts", "price"])?))
    }

    fn remaining(&self) -> Option<u64> {
        None
    }
}

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64, with Box–Muller normals.
struct Xoshiro {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Xoshiro {
    fn new(seed: u64) -> Xoshiro {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Xoshiro {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (u1, u2) = (self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_match_numpy() {
        // Reference, numpy 2.4 on the bundled file:
        //   df = pd.read_csv("data/sp500_dataset.csv.gz")[["AAPL", "JPM"]]
        //   r = np.log(df).diff().dropna(); r.mean().values, np.cov(r.values, rowvar=False)
        let wide = crate::sp500()
            .unwrap()
            .select(["Date", "AAPL", "JPM"])
            .unwrap();
        let m = Market::from_prices(&wide).unwrap();
        let want_mean = [REF_MEAN_AAPL, REF_MEAN_JPM];
        for (got, want) in m.drift().iter().zip(want_mean) {
            assert!((got - want).abs() < 1e-10 * want.abs(), "{got} vs {want}");
        }
        let cov = m.covariance();
        let got = |c: &str, r: usize| cov.column(c).unwrap().f64().unwrap().get(r).unwrap();
        for (g, w) in [
            (got("AAPL", 0), REF_COV[0]),
            (got("JPM", 0), REF_COV[1]),
            (got("JPM", 1), REF_COV[2]),
        ] {
            assert!((g - w).abs() < 1e-10 * w.abs(), "{g} vs {w}");
        }
    }

    // From the numpy run quoted above.
    const REF_MEAN_AAPL: f64 = 0.0007417585934011989;
    const REF_MEAN_JPM: f64 = 0.0004381918548199875;
    const REF_COV: [f64; 3] = [
        0.000774467084598885,
        0.0001897374315622592,
        0.0005512893727508963,
    ];

    #[test]
    fn simulated_returns_have_the_estimated_covariance() {
        let wide = crate::sp500()
            .unwrap()
            .select(["Date", "AAPL", "JPM", "XOM"])
            .unwrap();
        // One tick = one trading day, so the simulated daily log returns should have the
        // data's mean and covariance.
        let m = Market::from_prices(&wide)
            .unwrap()
            .dt(1.0)
            .seed(11)
            .start(0);
        let ticks = 40_000;
        let q = m.quotes(3 * ticks).unwrap();
        let price = q.column("price").unwrap().f64().unwrap().clone();
        let k = 3;
        let logp: Vec<Vec<f64>> = (0..ticks)
            .map(|t| (0..k).map(|j| price.get(t * k + j).unwrap().ln()).collect())
            .collect();
        let r: Vec<Vec<f64>> = logp
            .windows(2)
            .map(|w| (0..k).map(|j| w[1][j] - w[0][j]).collect())
            .collect();
        let n = r.len() as f64;
        let mean: Vec<f64> = (0..k)
            .map(|j| r.iter().map(|x| x[j]).sum::<f64>() / n)
            .collect();
        for a in 0..k {
            for b in 0..k {
                let c = r
                    .iter()
                    .map(|x| (x[a] - mean[a]) * (x[b] - mean[b]))
                    .sum::<f64>()
                    / (n - 1.0);
                let want = m.cov[(a, b)];
                let scale = (m.cov[(a, a)] * m.cov[(b, b)]).sqrt();
                // Sampling error of a covariance over 40k draws: ~ scale · √(2/n) ≈ 0.7 %.
                assert!(
                    (c - want).abs() < 0.04 * scale,
                    "cov[{a},{b}] {c} vs {want}"
                );
            }
        }
        // Ticks share a ts; rate 1000/s with 3 symbols: 3 ms per tick.
        let ts = q.column("ts").unwrap().to_physical_repr();
        let ts = ts.i64().unwrap();
        assert_eq!(
            (ts.get(0), ts.get(2), ts.get(3)),
            (Some(0), Some(0), Some(3))
        );
    }

    #[test]
    fn rejects_what_it_cannot_estimate() {
        let flat =
            df!("Date" => [1, 2, 3, 4], "A" => [1.0, 1.0, 1.0, 1.0], "B" => [1.0, 2.0, 1.5, 3.0])
                .unwrap();
        let err = Market::from_prices(&flat).unwrap_err();
        assert!(err.to_string().contains("not positive definite"), "{err}");
        let m = Market::from_prices(&crate::sp500().unwrap()).unwrap();
        assert!(matches!(
            m.clone().symbols(&["NOPE"]),
            Err(Error::ColumnNotFound { .. })
        ));
        assert!(m.symbols(&["KO", "KO"]).is_err());
    }

    #[test]
    fn normals_are_standard() {
        let mut rng = Xoshiro::new(3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
    }
}

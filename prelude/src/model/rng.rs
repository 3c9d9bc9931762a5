//! A small seeded random number generator for the models' sampling (bootstrap rows, feature
//! subsets, k-means++ seeding): SplitMix64 (Steele, Lea and Flood 2014; the generator Java's
//! `SplittableRandom` and the xoshiro family's seeding use).
//!
//! Why not linfa's: linfa takes a `rand` 0.8 generator, which linfa does not re-export, and the
//! prelude does not depend on `rand`. A fixed, documented algorithm also keeps a seed's results
//! the same across versions of the crates below.

/// SplitMix64: 64 bits of state, passes BigCrush, and every seed (0 included) is a good one.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (Lemire's multiply-shift; the bias, below n / 2⁶⁴, is negligible).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// `k` distinct values of 0..n in random order (a partial Fisher–Yates shuffle).
    pub(crate) fn choose(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values_and_ranges() {
        // The reference output of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        let mut r = SplitMix64::new(0);
        for _ in 0..1000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(7) < 7);
        }
        let mut picked = r.choose(10, 4);
        assert_eq!(picked.len(), 4);
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(picked.len(), 4);
    }
}

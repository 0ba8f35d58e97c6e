//! A small seedable pseudo-random number generator: xoshiro256** seeded through
//! SplitMix64.
//!
//! Why our own: simulation results must be reproducible from a seed forever, on every
//! platform, whatever version of a third-party crate is in the lock file. A generator
//! of forty lines whose output is pinned by a test gives that guarantee; `rand` does
//! not promise stable streams across versions. Everything here is integer arithmetic
//! plus IEEE-754 additions and multiplications, which are exact and identical on
//! every platform, so no stream depends on a platform's `libm`.

use std::ops::Range;

/// The SplitMix64 increment (the golden ratio as a 64-bit fraction).
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The SplitMix64 output function: a bijective mixer that turns a counter into
/// well-distributed bits. Used to expand seeds and labels into generator state.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A deterministic pseudo-random number generator (xoshiro256**).
///
/// Not cryptographic. Two generators built from the same seed produce the same
/// sequence on every platform. Use [`Rng::fork`] or [`Rng::derive`] to give each
/// consumer its own stream, so that adding a consumer (or changing how many numbers
/// one consumer draws) does not shift the numbers every other consumer sees.
///
/// `Clone` is implemented so a test can snapshot a generator and replay it; `Copy`
/// deliberately is not, so that a stream is never duplicated by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Creates a generator from a 64-bit seed. Every seed, including 0, is valid: the
    /// seed is expanded through SplitMix64, which never yields the all-zero state
    /// xoshiro cannot leave.
    pub fn new(seed: u64) -> Rng {
        let mut counter = seed;
        let mut next = || {
            counter = counter.wrapping_add(GOLDEN_GAMMA);
            mix64(counter)
        };
        let s = [next(), next(), next(), next()];
        // SplitMix64 is a bijection of its counter, so four consecutive outputs can
        // never all be zero; the check documents the invariant rather than guarding
        // a reachable case.
        debug_assert!(s != [0; 4]);
        Rng { s }
    }

    /// Returns the next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
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

    /// Returns the next 32 uniformly distributed bits (the high half of
    /// [`Rng::next_u64`], which are the best bits of xoshiro256**).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Returns a uniformly distributed `f64` in `[0, 1)`, with 53 bits of precision.
    pub fn f64(&mut self) -> f64 {
        // 2^-53: the top 53 bits become the mantissa of a number in [0, 1).
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// Returns `true` with probability `p`.
    ///
    /// Always consumes exactly one draw, whatever `p` is, so the stream position does
    /// not depend on the probability. A consequence that sweeps rely on: with the same
    /// stream, every event that happens at probability `p` also happens at any larger
    /// probability. `p <= 0` (and NaN) is never true, `p >= 1` always is.
    pub fn chance(&mut self, p: f64) -> bool {
        let u = self.f64();
        u < p
    }

    /// Returns a uniformly distributed integer in `[0, n)`, or 0 when `n` is 0.
    ///
    /// Unbiased (Lemire's multiply-and-reject method); consumes one draw except in
    /// the rare rejected case.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            // The low word falls in the biased zone only if it is below 2^64 mod n;
            // redraw until it does not. Each redraw succeeds with probability > 1/2.
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Returns a uniformly distributed integer in `range` (start inclusive, end
    /// exclusive). An empty range returns `range.start` without drawing, rather than
    /// panicking.
    pub fn range(&mut self, range: Range<u64>) -> u64 {
        if range.start >= range.end {
            return range.start;
        }
        range.start + self.below(range.end - range.start)
    }

    /// Returns a uniformly distributed index in `[0, len)`, or 0 when `len` is 0.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Returns an approximately standard-normal number (mean 0, variance 1).
    ///
    /// This is the Irwin–Hall approximation: the sum of twelve uniforms minus six. It
    /// is bounded to `[-6, 6]`, which suits jitter (no absurd outliers), and uses only
    /// additions, so it is bit-identical on every platform, unlike Box–Muller, which
    /// needs `ln` and `cos` from the platform's maths library. Consumes twelve draws.
    pub fn normal(&mut self) -> f64 {
        let mut sum = 0.0;
        for _ in 0..12 {
            sum += self.f64();
        }
        sum - 6.0
    }

    /// Fills `bytes` with random bytes, for example to make test payloads.
    pub fn fill_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// Shuffles `items` uniformly (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    /// Splits off an independent generator, advancing this one by one draw.
    ///
    /// Use it to hand a sub-component its own stream in a fixed order. Because the
    /// parent advances, the order of `fork` calls matters; [`Rng::derive`] does not
    /// have that property.
    pub fn fork(&mut self) -> Rng {
        let seed = self.next_u64();
        Rng::new(mix64(seed ^ GOLDEN_GAMMA))
    }

    /// Derives an independent generator identified by `label`, without advancing this
    /// one.
    ///
    /// The child depends only on this generator's current state and the label, so
    /// components can be given fixed labels and each receives the same stream no
    /// matter which other components exist or in which order they were created.
    pub fn derive(&self, label: u64) -> Rng {
        let mut h = mix64(label.wrapping_add(GOLDEN_GAMMA));
        for word in self.s {
            h = mix64(h ^ word);
        }
        Rng::new(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_pinned() {
        // These values pin the stream: simulation seeds recorded in bug reports must
        // reproduce the same run after any refactoring. If this test fails, the
        // generator changed, and every recorded seed is void.
        let mut rng = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        let mut again = Rng::new(0);
        let second: Vec<u64> = (0..3).map(|_| again.next_u64()).collect();
        assert_eq!(first, second);
        assert_eq!(first, PINNED_SEED0);
    }

    /// The first three outputs for seed 0, recorded when the generator was written.
    const PINNED_SEED0: [u64; 3] = [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0];

    #[test]
    fn xoshiro_core_matches_reference_state() {
        // The reference implementation of xoshiro256** with state [1, 2, 3, 4]
        // outputs 11520, 0, 1509978240, 1215971899390074240 first.
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let out: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(out, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
    }

    #[test]
    fn f64_in_unit_interval_and_uniform() {
        let mut rng = Rng::new(7);
        let n = 100_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let x = rng.f64();
            assert!((0.0..1.0).contains(&x));
            sum += x;
        }
        let mean = sum / f64::from(n);
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
    }

    #[test]
    fn chance_edges_and_rate() {
        let mut rng = Rng::new(1);
        assert!(!(0..1000).any(|_| rng.chance(0.0)));
        assert!((0..1000).all(|_| rng.chance(1.0)));
        assert!(!(0..1000).any(|_| rng.chance(f64::NAN)));
        let hits = (0..100_000).filter(|_| rng.chance(0.25)).count();
        assert!((24_000..26_000).contains(&hits), "hits {hits}");
    }

    #[test]
    fn chance_is_monotone_in_p() {
        let mut low = Rng::new(9);
        let mut high = Rng::new(9);
        for _ in 0..10_000 {
            let at_low = low.chance(0.1);
            let at_high = high.chance(0.3);
            assert!(!at_low || at_high);
        }
    }

    #[test]
    fn range_bounds_and_coverage() {
        let mut rng = Rng::new(3);
        let mut seen = [0u32; 7];
        for _ in 0..70_000 {
            let x = rng.range(10..17);
            assert!((10..17).contains(&x));
            seen[(x - 10) as usize] += 1;
        }
        for count in seen {
            assert!((9_000..11_000).contains(&count), "{seen:?}");
        }
        assert_eq!(rng.range(5..5), 5);
        let (high, low) = (9, 2);
        assert_eq!(rng.range(high..low), 9);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
        // A range spanning almost all of u64 exercises the rejection path.
        let big = rng.range(0..u64::MAX);
        assert!(big < u64::MAX);
    }

    #[test]
    fn normal_moments() {
        let mut rng = Rng::new(11);
        let n = 50_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(n);
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        assert!(xs.iter().all(|x| x.abs() <= 6.0));
    }

    #[test]
    fn fork_and_derive_are_independent_and_deterministic() {
        let root = Rng::new(42);
        let mut a = root.derive(1);
        let mut b = root.derive(2);
        let mut a_again = root.derive(1);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| a_again.next_u64()).collect();
        assert_eq!(xs, zs);
        assert_ne!(xs, ys);

        // derive does not advance the parent; fork does.
        let mut parent = Rng::new(42);
        assert_eq!(parent, root);
        let mut child = parent.fork();
        assert_ne!(parent, root);
        let mut parent_stream = parent.clone();
        let cs: Vec<u64> = (0..8).map(|_| child.next_u64()).collect();
        let ps: Vec<u64> = (0..8).map(|_| parent_stream.next_u64()).collect();
        assert_ne!(cs, ps);
    }

    #[test]
    fn shuffle_and_fill_bytes() {
        let mut rng = Rng::new(5);
        let mut items: Vec<u32> = (0..50).collect();
        rng.shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(items, sorted);
        let mut bytes = [0u8; 13];
        rng.fill_bytes(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }
}

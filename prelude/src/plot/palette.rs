//! Series colors: matplotlib's `tab10` cycle, which readers of pandas charts know.

use plotters::style::RGBColor;

/// `tab10`, in order.
const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The color of the `i`-th series (the cycle repeats after ten).
pub(crate) fn color(i: usize) -> RGBColor {
    TAB10[i % TAB10.len()]
}

/// ColorBrewer's RdBu, reversed (matplotlib's `RdBu_r`): blue for −1, white for 0, red for 1.
const RDBU_R: [RGBColor; 11] = [
    RGBColor(0x05, 0x30, 0x61),
    RGBColor(0x21, 0x66, 0xac),
    RGBColor(0x43, 0x93, 0xc3),
    RGBColor(0x92, 0xc5, 0xde),
    RGBColor(0xd1, 0xe5, 0xf0),
    RGBColor(0xf7, 0xf7, 0xf7),
    RGBColor(0xfd, 0xdb, 0xc7),
    RGBColor(0xf4, 0xa5, 0x82),
    RGBColor(0xd6, 0x60, 0x4d),
    RGBColor(0xb2, 0x18, 0x2b),
    RGBColor(0x67, 0x00, 0x1f),
];

/// The color for NaN cells of a heatmap.
pub(crate) const MISSING: RGBColor = RGBColor(0xd9, 0xd9, 0xd9);

/// The diverging color of `v` on −1..1 (clamped), linearly interpolated in RGB between the
/// stops of `RdBu_r`; NaN gets [`MISSING`].
pub(crate) fn diverging(v: f64) -> RGBColor {
    if v.is_nan() {
        return MISSING;
    }
    let t = (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * (RDBU_R.len() - 1) as f64;
    let i = (t.floor() as usize).min(RDBU_R.len() - 2);
    let f = t - i as f64;
    let (a, b) = (RDBU_R[i], RDBU_R[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `background` (by its relative luminance).
pub(crate) fn text_on(background: RGBColor) -> RGBColor {
    let luminance =
        0.2126 * background.0 as f64 + 0.7152 * background.1 as f64 + 0.0722 * background.2 as f64;
    if luminance < 140.0 {
        RGBColor(0xff, 0xff, 0xff)
    } else {
        RGBColor(0x22, 0x22, 0x22)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(-1.0), RDBU_R[0]);
        assert_eq!(diverging(0.0), RDBU_R[5]);
        assert_eq!(diverging(1.0), RDBU_R[10]);
        assert_eq!(diverging(7.0), RDBU_R[10]);
        assert_eq!(diverging(f64::NAN), MISSING);
        assert_eq!(text_on(diverging(1.0)), RGBColor(0xff, 0xff, 0xff));
        assert_eq!(text_on(diverging(0.1)), RGBColor(0x22, 0x22, 0x22));
    }
}

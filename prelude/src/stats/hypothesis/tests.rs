//! Edge cases and errors of the hypothesis tests; values are checked against scipy in
//! `tests/test_hypothesis_reference.py`.

use polars::prelude::*;

use super::*;
use crate::error::Error;

fn s(values: &[f64]) -> Series {
    Series::new("x".into(), values)
}

#[test]
fn too_few_values_is_an_invalid_parameter() {
    let one = s(&[1.0]);
    let two = s(&[1.0, 2.0]);
    for err in [
        ttest_1samp(&one, 0.0, Alternative::TwoSided).unwrap_err(),
        ttest_ind(&one, &two, true, Alternative::TwoSided).unwrap_err(),
        ttest_rel(&one, &one, Alternative::TwoSided).unwrap_err(),
        pearsonr(&one, &one).unwrap_err(),
        jarque_bera(&one).unwrap_err(),
        chisquare(&one, None).unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        assert!(
            err.to_string().contains("should be at least 2, but is 1")
                || err.to_string().contains("at least 2"),
            "{err}"
        );
    }
}

#[test]
fn nulls_and_nans_are_dropped() {
    let with = Series::new(
        "x".into(),
        [Some(1.0), None, Some(f64::NAN), Some(3.0), Some(4.0)],
    );
    let without = s(&[1.0, 3.0, 4.0]);
    assert_eq!(
        ttest_1samp(&with, 1.0, Alternative::TwoSided).unwrap(),
        ttest_1samp(&without, 1.0, Alternative::TwoSided).unwrap()
    );
    let other = s(&[2.0, 9.0, 1.0, 5.0, 7.0]);
    let paired = ttest_rel(&with, &other, Alternative::TwoSided).unwrap();
    assert_eq!(paired.df, Some(2.0));
}

#[test]
fn non_numeric_input_is_an_invalid_dtype() {
    let text = Series::new("name".into(), ["a", "b", "c"]);
    let err = ttest_1samp(&text, 0.0, Alternative::TwoSided).unwrap_err();
    assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
    assert!(err.to_string().contains("`name`"), "{err}");
}

#[test]
fn paired_tests_need_equal_lengths() {
    let err = ttest_rel(&s(&[1.0, 2.0, 3.0]), &s(&[1.0, 2.0]), Alternative::TwoSided).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(pearsonr(&s(&[1.0, 2.0, 3.0]), &s(&[1.0, 2.0])).is_err());
}

#[test]
fn constant_samples_give_nan_or_infinity_not_panics() {
    let c = s(&[2.0, 2.0, 2.0]);
    let res = ttest_1samp(&c, 2.0, Alternative::TwoSided).unwrap();
    assert!(res.statistic.is_nan() && res.pvalue.is_nan());
    let res = ttest_1samp(&c, 1.0, Alternative::TwoSided).unwrap();
    assert!(res.statistic.is_infinite() && res.pvalue == 0.0);
    let r = pearsonr(&c, &s(&[1.0, 2.0, 3.0])).unwrap();
    assert!(r.statistic.is_nan() && r.pvalue.is_nan());
    assert!(jarque_bera(&c).unwrap().statistic.is_nan());
}

#[test]
fn alternatives_split_the_two_sided_pvalue() {
    let x = s(&[0.5, -0.2, 0.9, 0.4, 1.3, 0.1]);
    let two = ttest_1samp(&x, 0.0, Alternative::TwoSided).unwrap().pvalue;
    let less = ttest_1samp(&x, 0.0, Alternative::Less).unwrap().pvalue;
    let greater = ttest_1samp(&x, 0.0, Alternative::Greater).unwrap().pvalue;
    assert!((less + greater - 1.0).abs() < 1e-14);
    assert!((two - 2.0 * greater).abs() < 1e-14);
}

#[test]
fn student_and_welch_agree_for_equal_sizes_and_variances() {
    let a = s(&[1.0, 2.0, 3.0, 4.0]);
    let b = s(&[3.0, 4.0, 5.0, 6.0]);
    let student = ttest_ind(&a, &b, true, Alternative::TwoSided).unwrap();
    let welch = ttest_ind(&a, &b, false, Alternative::TwoSided).unwrap();
    assert!((student.statistic - welch.statistic).abs() < 1e-14);
    assert_eq!(student.df, Some(6.0));
    assert!((welch.df.unwrap() - 6.0).abs() < 1e-12);
}

#[test]
fn pearsonr_of_two_pairs_is_one_with_pvalue_one() {
    let r = pearsonr(&s(&[1.0, 2.0]), &s(&[5.0, 3.0])).unwrap();
    assert_eq!((r.statistic, r.pvalue), (-1.0, 1.0));
}

#[test]
fn chisquare_checks_the_sums() {
    let err = chisquare(&s(&[10.0, 20.0]), Some(&s(&[10.0, 10.0]))).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(err.to_string().contains("observed sums to 30"), "{err}");
    let ok = chisquare(&s(&[10.0, 20.0]), Some(&s(&[15.0, 15.0]))).unwrap();
    assert!((ok.statistic - 10.0 / 3.0).abs() < 1e-14);
}

#[test]
fn chi2_contingency_applies_yates_only_to_2x2() {
    // 2×2: |o − e| = 5 everywhere, corrected to 4.5; e = 10, 10, 20, 20 → Σ 4.5²/e.
    let t = df!("a" => [15.0, 15.0], "b" => [5.0, 25.0]).unwrap();
    let res = chi2_contingency(&t).unwrap();
    let expected = 4.5f64.powi(2) * (2.0 / 10.0 + 2.0 / 20.0);
    assert!((res.statistic - expected).abs() < 1e-12, "{res}");
    let zeros = df!("a" => [0.0, 0.0], "b" => [1.0, 2.0]).unwrap();
    assert!(matches!(
        chi2_contingency(&zeros).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
    let negative = df!("a" => [-1.0, 2.0], "b" => [1.0, 2.0]).unwrap();
    assert!(chi2_contingency(&negative).is_err());
    let missing = df!("a" => [Some(1.0), None], "b" => [Some(1.0), Some(2.0)]).unwrap();
    assert!(chi2_contingency(&missing).is_err());
    let single = df!("a" => [3.0], "b" => [4.0]).unwrap();
    assert_eq!(chi2_contingency(&single).unwrap().pvalue, 1.0);
}

#[test]
fn results_render_as_scipy_prints_them() {
    let r = TestResult {
        statistic: 1.5,
        pvalue: 0.25,
        df: None,
        name: "SignificanceResult",
    };
    assert_eq!(
        r.to_string(),
        "SignificanceResult(statistic=1.5, pvalue=0.25)"
    );
    let html = crate::display::Render::mime_bundle(&r);
    assert!(!html.get("text/html").unwrap().contains("df"));
}

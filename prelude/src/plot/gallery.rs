//! Every kind of chart on the bundled data, saved as PNG (and SVG) to look at.
//!
//! `EDDY_PLOT_GALLERY=/tmp/eddy-plots cargo test -p eddy-prelude --lib plot::gallery` writes
//! them there; without the variable they go to a temporary directory and are only checked.

use std::path::PathBuf;

use super::*;
use crate::data::{ReturnKind, returns, sp500};
use crate::model::ols;
use crate::stats::{CorrMethod, corr};
use polars::prelude::*;

fn dir() -> PathBuf {
    let dir = std::env::var_os("EDDY_PLOT_GALLERY")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eddy-plot-gallery"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn save(chart: Chart, name: &str) {
    let dir = dir();
    let png = chart.png().unwrap();
    assert!(png.as_bytes().starts_with(b"\x89PNG"));
    png.save(dir.join(format!("{name}.png"))).unwrap();
    chart.save(dir.join(format!("{name}.svg"))).unwrap();
}

#[test]
fn gallery_of_every_chart_on_sp500() {
    let df = sp500().unwrap();
    let r = returns(&df, ReturnKind::Log).unwrap();

    save(
        line(&df, "Date", &["AAPL", "MSFT", "JPM", "XOM"])
            .unwrap()
            .title("Adjusted close"),
        "line",
    );
    save(hist(&r, "KO", 80).unwrap().title("KO log returns"), "hist");
    save(scatter(&r, "BAC", "JPM").unwrap(), "scatter");
    save(
        scatter_fit(&df, "BAC", "JPM").unwrap(),
        "scatter_fit_prices",
    );
    save(
        scatter_fit(&r, "BAC", "JPM")
            .unwrap()
            .title("JPM vs BAC, daily log returns"),
        "scatter_fit_returns",
    );
    save(
        scatter_fit(&df, "RRC", "AMD").unwrap(),
        "scatter_fit_falling",
    );
    save(
        hist_kde(&r, "JPM", 100)
            .unwrap()
            .title("JPM daily log returns"),
        "hist_kde",
    );
    save(hist_kde(&df, "JPM", 60).unwrap(), "hist_kde_prices");
    save(
        heatmap(&corr(&r, CorrMethod::Pearson).unwrap())
            .unwrap()
            .title("Correlation of daily log returns"),
        "heatmap",
    );
    save(
        heatmap(
            &corr(
                &df.select(["JPM", "BAC", "XOM", "KO"]).unwrap(),
                CorrMethod::Spearman,
            )
            .unwrap(),
        )
        .unwrap(),
        "heatmap_small",
    );

    let fit = ols(&df, "JPM", &["BAC", "WMT", "XOM"]).unwrap();
    save(residplot(&fit).unwrap(), "residplot");
    save(qqplot(&fit.resid()).unwrap(), "qqplot_resid");
    save(
        qqplot(r.column("JPM").unwrap().as_materialized_series()).unwrap(),
        "qqplot_returns",
    );
    let predicted = fit.predict(&df).unwrap();
    save(
        predicted_vs_actual(&df, "Date", "JPM", &predicted).unwrap(),
        "predicted_vs_actual",
    );

    let since_2020 = df
        .clone()
        .lazy()
        .filter(col("Date").gt_eq(lit(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap())))
        .collect()
        .unwrap();
    let predicted = fit.predict(&since_2020).unwrap();
    save(
        predicted_vs_actual(&since_2020, "Date", "JPM", &predicted).unwrap(),
        "predicted_vs_actual_2020",
    );
}

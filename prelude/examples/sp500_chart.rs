//! Draws the bundled S&P 500 sample as a line chart and a histogram, as SVG and PNG.
//!
//! `cargo run --release -p eddy-prelude --example sp500_chart -- /tmp` writes
//! `eddy-line.svg`, `eddy-line.png`, `eddy-hist.svg` and `eddy-hist.png` there.

use eddy::prelude::*;

fn main() -> Result<(), eddy::Error> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let dir = std::path::Path::new(&dir);

    let df = sp500()?;
    let chart = line(&df, "Date", &["AAPL", "MSFT", "JPM", "XOM"])?
        .title("Adjusted close, 1990–2022")
        .ylabel("price (USD)");
    chart.save(dir.join("eddy-line.svg"))?;
    chart.save(dir.join("eddy-line.png"))?;

    let returns = df
        .lazy()
        .select([(col("KO") / col("KO").shift(lit(1)) - lit(1.0)).alias("KO daily return")])
        .collect()?;
    let chart = hist(&returns, "KO daily return", 80)?.title("Coca-Cola daily returns");
    chart.save(dir.join("eddy-hist.svg"))?;
    chart.save(dir.join("eddy-hist.png"))?;
    println!(
        "wrote eddy-line.svg/png and eddy-hist.svg/png to {}",
        dir.display()
    );
    Ok(())
}

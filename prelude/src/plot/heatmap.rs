//! [`heatmap`]: a labelled matrix, such as [`corr`](crate::stats::corr())'s, as coloured cells
//! with their values written in them and a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::{DataFrame, DataType};

use super::axis::Axis;
use super::chart::{Chart, Kind};
use super::font::FAMILY;
use super::palette::{diverging, text_on};
use crate::error::{Error, Result};

/// Pixels right of the matrix for the colour bar and its labels.
const COLORBAR_AREA: u32 = 96;
/// The colour bar's width.
const COLORBAR_WIDTH: i32 = 18;
/// Gap between the matrix and the colour bar.
const COLORBAR_GAP: i32 = 22;
/// Outer margin.
const MARGIN: u32 = 12;
/// Font size of the row and column names.
const NAME_SIZE: u32 = 14;

/// Draws a labelled matrix as a heatmap on a diverging colour scale from −1 (blue) through 0
/// (white) to 1 (red), as seaborn's `heatmap(m, annot=True, fmt=".2f", cmap="RdBu_r",
/// vmin=-1, vmax=1)`: the value of each cell is written in it (2 decimals, white on dark
/// cells), the names label both axes (the first row on top, column names turned upright when
/// they do not fit across a cell), and a colour bar sits on the right.
///
/// `matrix` is laid out as [`corr`](crate::stats::corr()) and [`cov`](crate::stats::cov())
/// return it: a first text column with the row names (`column`), then one numeric column per
/// matrix column. It need not be square. Values beyond −1..1 are written as they are and
/// coloured as the nearest end of the scale; null and NaN cells are grey. The chart is sized
/// for square cells (about 36 px for 20 names) and titled `Correlation matrix`; cells too small
/// for text get none.
///
/// # Errors
///
/// [`Error::InvalidDtype`] if the first column is not text or a value column is not numeric;
/// [`Error::InvalidParameter`] for a frame with no value column or no row.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Log)?;
/// let matrix = corr(&r, CorrMethod::Pearson)?;
/// let svg = heatmap(&matrix)?.svg()?;
/// assert!(svg.contains("Correlation matrix") && svg.contains("JPM") && svg.contains("1.00"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn heatmap(matrix: &DataFrame) -> Result<Chart> {
    const OP: &str = "heatmap";
    const LAYOUT: &str =
        "a labelled matrix as `corr` returns: a text column of names, then numeric columns";
    let columns = matrix.columns();
    let Some(first) = columns.first() else {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "matrix",
            value: "a frame with no columns".into(),
            rule: LAYOUT,
        });
    };
    if first.dtype() != &DataType::String {
        return Err(Error::InvalidDtype {
            operation: OP,
            column: first.name().to_string(),
            dtype: first.dtype().to_string(),
            expected: "the row names (a text column) first, as `corr` returns",
        });
    }
    if columns.len() < 2 || matrix.height() == 0 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "matrix",
            value: format!(
                "{} rows × {} value columns",
                matrix.height(),
                columns.len() - 1
            ),
            rule: "at least one row and one value column (a labelled matrix as `corr` returns)",
        });
    }
    let rows: Vec<String> = first
        .str()?
        .iter()
        .map(|name| name.unwrap_or("null").to_string())
        .collect();
    let mut cols = Vec::with_capacity(columns.len() - 1);
    let mut by_column = Vec::with_capacity(columns.len() - 1);
    for column in &columns[1..] {
        if !column.dtype().is_primitive_numeric() {
            return Err(Error::InvalidDtype {
                operation: OP,
                column: column.name().to_string(),
                dtype: column.dtype().to_string(),
                expected: "numeric value columns after the names",
            });
        }
        let cast = column.cast(&DataType::Float64)?;
        let values: Vec<f64> = cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        cols.push(column.name().to_string());
        by_column.push(values);
    }
    let values = (0..rows.len())
        .map(|i| by_column.iter().map(|c| c[i]).collect())
        .collect();
    let data = HeatmapData { rows, cols, values };
    let (width, height) = data.default_size();
    let summary = format!("heatmap of {}×{}", data.rows.len(), data.cols.len());
    Ok(Chart::new(Kind::Heatmap(data), summary, None, None)
        .title("Correlation matrix")
        .size(width, height))
}

/// A labelled matrix.
#[derive(Clone, Debug)]
pub(crate) struct HeatmapData {
    rows: Vec<String>,
    cols: Vec<String>,
    /// `values[i][j]`: row `i`, column `j`; NaN for missing.
    values: Vec<Vec<f64>>,
}

impl HeatmapData {
    /// Square cells of 36 to 80 px (the matrix about 720 px across), room for names (about
    /// 9 px a character), the title and the colour bar.
    fn default_size(&self) -> (u32, u32) {
        let (r, c) = (self.rows.len() as u32, self.cols.len() as u32);
        let cell = (720 / r.max(c)).clamp(36, 80);
        let chars = |names: &[String]| names.iter().map(|n| n.chars().count()).max().unwrap_or(1);
        let row_names = 12 + 9 * chars(&self.rows) as u32;
        let col_names = 12 + 9 * chars(&self.cols) as u32;
        let width = 2 * MARGIN + row_names + c * cell + COLORBAR_AREA;
        let height = 2 * MARGIN + 36 + r * cell + col_names.max(30);
        (width.max(300), height.max(240))
    }

    /// The matrix's names as categorical axes: columns left to right, rows top to bottom.
    pub(crate) fn axes(&self) -> (Axis, Axis) {
        (
            Axis::categories(&self.cols, false),
            Axis::categories(&self.rows, true),
        )
    }

    /// Draws the whole chart on `root`: title, cells with values, names, colour bar.
    pub(crate) fn draw_chart<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        title: Option<&str>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (r, c) = (self.rows.len(), self.cols.len());
        let (width, height) = root.dim_in_pixel();
        let text_width = |text: &str, size: u32| {
            root.estimate_text_size(text, &TextStyle::from((FAMILY, size).into_font()))
                .map_or(text.chars().count() as u32 * size * 6 / 10, |(w, _)| w)
        };
        let widest = |names: &[String], size: u32| {
            names.iter().map(|n| text_width(n, size)).max().unwrap_or(0)
        };

        // Estimate the cell size to pick the names' font and whether column names stand up.
        let title_height = if title.is_some() { 36 } else { 0 };
        let row_names_width = widest(&self.rows, NAME_SIZE) + 12;
        let cell_w = width.saturating_sub(2 * MARGIN + row_names_width + COLORBAR_AREA) / c as u32;
        let cell_h = height.saturating_sub(2 * MARGIN + title_height + 30) / r as u32;
        let y_size = (cell_h * 4 / 5).clamp(7, NAME_SIZE);
        let x_size = NAME_SIZE.min(cell_w.max(7) * 4 / 5).max(7);
        let upright = widest(&self.cols, NAME_SIZE) + 6 > cell_w;
        let x_size = if upright { x_size } else { NAME_SIZE };
        let x_area = if upright {
            widest(&self.cols, x_size) + 14
        } else {
            NAME_SIZE + 16
        };

        let mut builder = ChartBuilder::on(root);
        builder
            .margin(MARGIN)
            .margin_right(MARGIN + COLORBAR_AREA)
            .x_label_area_size(x_area)
            .y_label_area_size(widest(&self.rows, y_size) + 12);
        if let Some(title) = title {
            builder.caption(title, (FAMILY, 22, FontStyle::Bold));
        }
        let (x_axis, y_axis) = self.axes();
        let mut cc = builder.build_cartesian_2d(x_axis, y_axis)?;

        // Cells, with white lines between them.
        let cell = |i: usize, j: usize| {
            let top = (r - i) as f64;
            [(j as f64, top - 1.0), (j as f64 + 1.0, top)]
        };
        let all = || (0..r).flat_map(move |i| (0..c).map(move |j| (i, j)));
        cc.draw_series(
            all().map(|(i, j)| Rectangle::new(cell(i, j), diverging(self.values[i][j]).filled())),
        )?;
        cc.draw_series(all().map(|(i, j)| Rectangle::new(cell(i, j), WHITE.stroke_width(1))))?;

        // Values, in the largest font (up to 16 px) in which the widest fits a cell.
        let (px, py) = cc.plotting_area().get_pixel_range();
        let cell_px = (
            (px.end - px.start) / c as i32,
            (py.end - py.start) / r as i32,
        );
        let widest_value = all()
            .map(|(i, j)| cell_value(self.values[i][j]))
            .max_by_key(|text| text.chars().count())
            .unwrap_or_default();
        let fits = |size: u32| {
            let w = text_width(&widest_value, size) as i32;
            w + 8 <= cell_px.0 && size as i32 + 4 <= cell_px.1
        };
        if let Some(size) = (8..=16).rev().find(|s| fits(*s)) {
            let centre = Pos::new(HPos::Center, VPos::Center);
            cc.draw_series(all().map(|(i, j)| {
                let v = self.values[i][j];
                let style = (FAMILY, size)
                    .into_font()
                    .color(&text_on(diverging(v)))
                    .pos(centre);
                Text::new(cell_value(v), (j as f64 + 0.5, (r - i) as f64 - 0.5), style)
            }))?;
        }

        // Names: rows right-aligned on the left, columns below (upright if they do not fit).
        let y_style = (FAMILY, y_size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, name) in self.rows.iter().enumerate() {
            let y = cc.backend_coord(&(0.0, (r - i) as f64 - 0.5)).1;
            root.draw_text(name, &y_style, (px.start - 6, y))?;
        }
        let x_style = if upright {
            (FAMILY, x_size)
                .into_font()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            (FAMILY, x_size)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top))
        };
        for (j, name) in self.cols.iter().enumerate() {
            let x = cc.backend_coord(&(j as f64 + 0.5, 0.0)).0;
            root.draw_text(name, &x_style, (x, py.end + 6))?;
        }

        draw_colorbar(root, px.end + COLORBAR_GAP, py.start, py.end)
    }
}

/// A cell's text: 2 decimals, a true minus sign, `NaN` for missing.
fn cell_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    let text = format!("{v:.2}");
    if text == "-0.00" {
        "0.00".into()
    } else {
        text.replacen('-', "−", 1)
    }
}

/// The colour scale from −1 (bottom) to 1 (top), `x` pixels from the left, from `top` to
/// `bottom`, with ticks every 0.5.
fn draw_colorbar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    top: i32,
    bottom: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let span = (bottom - top).max(1);
    // Bands 2 px high: smooth to the eye, a few hundred SVG elements.
    for y in (top..bottom).step_by(2) {
        let v = 1.0 - 2.0 * ((y - top) as f64 + 1.0) / span as f64;
        root.draw(&Rectangle::new(
            [(x, y), (x + COLORBAR_WIDTH, (y + 2).min(bottom))],
            diverging(v).filled(),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(x, top), (x + COLORBAR_WIDTH, bottom)],
        BLACK.mix(0.5).stroke_width(1),
    ))?;
    let style = (FAMILY, 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for k in 0..=4 {
        let v = 1.0 - 0.5 * k as f64;
        let y = top + (span as f64 * k as f64 / 4.0).round() as i32;
        let right = x + COLORBAR_WIDTH;
        root.draw(&PathElement::new(
            vec![(right, y), (right + 4, y)],
            BLACK.mix(0.5),
        ))?;
        let label = format!("{v:.1}").replacen('-', "−", 1);
        root.draw_text(&label, &style, (right + 7, y))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::chart::svg_has_text;
    use crate::stats::{CorrMethod, corr};
    use polars::prelude::*;

    #[test]
    fn corr_of_the_20_stocks_has_names_values_and_a_colour_bar() {
        let df = crate::data::sp500().unwrap();
        let r = crate::data::returns(&df, crate::data::ReturnKind::Log).unwrap();
        let matrix = corr(&r, CorrMethod::Pearson).unwrap();
        let chart = heatmap(&matrix).unwrap();
        let (w, h) = chart.dimensions();
        assert!(
            (700..1100).contains(&w) && (700..1100).contains(&h),
            "{w}×{h}"
        );
        let svg = chart.svg().unwrap();
        assert!(svg_has_text(&svg, "Correlation matrix"), "title");
        for name in ["AAPL", "XOM", "JPM"] {
            // Once as a row name, once as a column name.
            assert_eq!(
                svg.matches(&format!(">\n{name}\n</text>")).count(),
                2,
                "{name}"
            );
        }
        assert_eq!(svg.matches(">\n1.00\n</text>").count(), 20, "the diagonal");
        assert!(
            svg_has_text(&svg, "−1.0") && svg_has_text(&svg, "0.5"),
            "colour bar"
        );
        // JPM and BAC: pandas' r.corr().loc["JPM", "BAC"] rounds to 0.78.
        let jpm = matrix.column("JPM").unwrap().f64().unwrap().get(2).unwrap();
        assert!(svg_has_text(&svg, &cell_value(jpm)));
    }

    #[test]
    fn cells_and_names() {
        assert_eq!(cell_value(-0.004), "0.00");
        assert_eq!(cell_value(-0.25), "−0.25");
        assert_eq!(cell_value(f64::NAN), "NaN");
        let m = df!("column" => ["a", "b"], "a" => [1.0, -0.5], "b" => [-0.5, 1.0]).unwrap();
        let chart = heatmap(&m).unwrap();
        let (x, y) = match chart.kind() {
            Kind::Heatmap(data) => data.axes(),
            _ => panic!(),
        };
        assert_eq!(x.label(0.5), "a");
        assert_eq!(y.label(1.5), "a", "the first row on top");
        let svg = chart.title("two").svg().unwrap();
        assert!(svg_has_text(&svg, "−0.50") && svg_has_text(&svg, "two"));
    }

    #[test]
    fn bad_matrices_are_errors() {
        let err = heatmap(&df!("x" => [1.0], "y" => [2.0]).unwrap()).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
        assert!(err.to_string().contains("row names"), "{err}");
        let err = heatmap(&df!("column" => ["a"], "a" => ["x"]).unwrap()).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
        let err = heatmap(&df!("column" => ["a"]).unwrap()).unwrap_err();
        assert!(
            err.to_string()
                .contains("at least one row and one value column"),
            "{err}"
        );
        assert!(heatmap(&DataFrame::empty()).is_err());
        let empty = df!("column" => Vec::<String>::new(), "a" => Vec::<f64>::new()).unwrap();
        assert!(matches!(
            heatmap(&empty),
            Err(Error::InvalidParameter { .. })
        ));
        let with_null = df!("column" => ["a"], "a" => [None::<f64>]).unwrap();
        let svg = heatmap(&with_null).unwrap().svg().unwrap();
        assert!(svg_has_text(&svg, "NaN"));
    }
}

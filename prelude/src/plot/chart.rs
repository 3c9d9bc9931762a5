//! [`Chart`]: a finished chart's data and labels, drawn on demand as SVG or PNG.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::font::{self, FAMILY};
use super::heatmap::HeatmapData;
use super::hist::HistData;
use super::line::LineData;
use super::png::Png;
use super::scatter::ScatterData;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// Default size in pixels, a 16:9 that fits a notebook column.
const DEFAULT_SIZE: (u32, u32) = (800, 450);

/// A chart: made by [`line`](super::line()), [`hist`](super::hist()), [`scatter`](super::scatter())
/// or another function of [`plot`](super), styled with
/// [`title`](Chart::title), [`xlabel`](Chart::xlabel), [`ylabel`](Chart::ylabel),
/// [`size`](Chart::size), shown as SVG in the notebook, saved as SVG or PNG.
///
/// A chart owns a copy of its data, so it can outlive the frame it came from.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let chart = line(&df, "Date", &["AAPL", "MSFT"])?.title("Apple and Microsoft").size(900, 400);
/// assert_eq!(chart.mime_bundle().text(), "Chart(Apple and Microsoft, 900×400)");
/// assert!(chart.svg()?.starts_with("<svg"));
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Chart {
    title: Option<String>,
    xlabel: Option<String>,
    ylabel: Option<String>,
    width: u32,
    height: u32,
    /// What the chart shows, for `text/plain` when it has no title.
    summary: String,
    kind: Kind,
}

/// The kinds of chart.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Lines over x.
    Line(LineData),
    /// A histogram, as counts or as a density with a curve.
    Hist(HistData),
    /// Points, with straight lines (fits, references) over them.
    Scatter(ScatterData),
    /// A labelled matrix as coloured cells.
    Heatmap(HeatmapData),
}

impl Chart {
    /// A chart of `kind`, default size, with default axis labels.
    pub(crate) fn new(
        kind: Kind,
        summary: String,
        xlabel: Option<String>,
        ylabel: Option<String>,
    ) -> Chart {
        Chart {
            title: None,
            xlabel,
            ylabel,
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
            summary,
            kind,
        }
    }

    /// Sets the title, drawn above the chart (`""` removes it).
    pub fn title(mut self, title: &str) -> Chart {
        self.title = Some(title.to_string()).filter(|t| !t.is_empty());
        self
    }

    /// Sets the x axis label (`""` removes it).
    pub fn xlabel(mut self, label: &str) -> Chart {
        self.xlabel = Some(label.to_string()).filter(|l| !l.is_empty());
        self
    }

    /// Sets the y axis label (`""` removes it).
    pub fn ylabel(mut self, label: &str) -> Chart {
        self.ylabel = Some(label.to_string()).filter(|l| !l.is_empty());
        self
    }

    /// Sets the size in pixels (default 800 × 450).
    pub fn size(mut self, width: u32, height: u32) -> Chart {
        self.width = width;
        self.height = height;
        self
    }

    /// What the chart draws.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The size in pixels, `(width, height)`.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The chart as an SVG document.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a size below 100 × 100 pixels, [`Error::Display`] if
    /// drawing fails.
    pub fn svg(&self) -> Result<String> {
        const OP: &str = "Chart::svg";
        self.check_size(OP)?;
        font::ensure_registered(OP)?;
        let mut svg = String::new();
        {
            let root =
                SVGBackend::with_string(&mut svg, (self.width, self.height)).into_drawing_area();
            self.draw(&root).map_err(|reason| Error::Display {
                operation: OP,
                format: "svg",
                reason,
            })?;
        }
        Ok(svg)
    }

    /// The chart as a PNG image, text included (drawn with the bundled DejaVu Sans).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let png = hist(&sp500()?, "KO", 40)?.png()?;
    /// assert!(png.as_bytes().starts_with(b"\x89PNG"));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`svg`](Chart::svg).
    pub fn png(&self) -> Result<Png> {
        const OP: &str = "Chart::png";
        self.check_size(OP)?;
        font::ensure_registered(OP)?;
        let (w, h) = (self.width, self.height);
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|reason| Error::Display {
                operation: OP,
                format: "png",
                reason,
            })?;
        }
        Png::encode(rgb, w, h, OP)
    }

    /// Writes the chart to `path`, as SVG or PNG after the file's extension.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let path = std::env::temp_dir().join("eddy-doc-chart.svg");
    /// line(&sp500()?, "Date", &["KO"])?.save(&path)?;
    /// assert!(std::fs::read_to_string(&path)?.contains("KO"));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for another extension, [`Error::Io`] if writing fails,
    /// and those of [`svg`](Chart::svg).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_at(path.as_ref())
    }

    /// The non-generic body of [`save`](Chart::save).
    fn save_at(&self, path: &Path) -> Result<()> {
        const OP: &str = "Chart::save";
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = match ext.as_str() {
            "svg" => self.svg()?.into_bytes(),
            "png" => self.png()?.as_bytes().to_vec(),
            _ => {
                return Err(Error::InvalidParameter {
                    operation: OP,
                    name: "the file extension",
                    value: format!("{:?}", path.display().to_string()),
                    rule: "`.svg` or `.png`",
                });
            }
        };
        std::fs::write(path, bytes).map_err(|source| Error::Io {
            operation: OP,
            path: path.to_path_buf(),
            source,
        })
    }

    /// Rejects sizes too small to hold axes and labels.
    fn check_size(&self, operation: &'static str) -> Result<()> {
        if self.width < 100 || self.height < 100 {
            return Err(Error::InvalidParameter {
                operation,
                name: "the chart size",
                value: format!("{}×{}", self.width, self.height),
                rule: "at least 100×100 pixels",
            });
        }
        Ok(())
    }

    /// The axes for the chart's data.
    fn axes(&self) -> (Axis, Axis) {
        match &self.kind {
            Kind::Line(data) => data.axes(),
            Kind::Hist(data) => data.axes(),
            Kind::Scatter(data) => data.axes(),
            Kind::Heatmap(data) => data.axes(),
        }
    }

    /// Draws the whole chart on `root`; errors as text.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        self.draw_inner(root).map_err(|err| err.to_string())
    }

    fn draw_inner<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        if let Kind::Heatmap(data) = &self.kind {
            // Categorical axes and a colour bar: its own layout.
            data.draw_chart(root, self.title.as_deref())?;
            return root.present();
        }
        let (x_axis, y_axis) = self.axes();
        // Room for the longest y tick label, and for the y label if any.
        let y_chars = y_axis
            .ticks()
            .iter()
            .map(|t| y_axis.label(*t).chars().count())
            .max()
            .unwrap_or(1);
        let y_area = 16 + 8 * y_chars as u32 + if self.ylabel.is_some() { 24 } else { 0 };
        let x_area = 30 + if self.xlabel.is_some() { 22 } else { 0 };

        let mut builder = ChartBuilder::on(root);
        builder
            .margin(12)
            .margin_right(28)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area);
        if let Some(title) = &self.title {
            builder.caption(title, (FAMILY, 22, FontStyle::Bold));
        }
        let mut cc = builder.build_cartesian_2d(x_axis.clone(), y_axis.clone())?;

        let x_fmt = |v: &f64| x_axis.label(*v);
        let y_fmt = |v: &f64| y_axis.label(*v);
        let mut mesh = cc.configure_mesh();
        mesh.x_labels(24)
            .y_labels(24)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .bold_line_style(BLACK.mix(0.1))
            .light_line_style(TRANSPARENT)
            .axis_style(BLACK.mix(0.5));
        if let Some(label) = &self.xlabel {
            mesh.x_desc(label.as_str());
        }
        if let Some(label) = &self.ylabel {
            mesh.y_desc(label.as_str());
        }
        mesh.draw()?;

        match &self.kind {
            Kind::Line(data) => data.draw(&mut cc, self.width)?,
            Kind::Hist(data) => data.draw(&mut cc)?,
            Kind::Scatter(data) => data.draw(&mut cc)?,
            Kind::Heatmap(_) => {}
        }
        root.present()
    }
}

/// True if `svg` has a text element reading exactly `text` (plotters puts text on its own line).
#[cfg(test)]
pub(crate) fn svg_has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

/// The chart area type every chart kind draws on.
pub(crate) type Canvas<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Shows the chart as SVG (`image/svg+xml`), with `Chart(title, w×h)` as text.
impl Render for Chart {
    fn mime_bundle(&self) -> MimeBundle {
        let name = self.title.as_deref().unwrap_or(&self.summary);
        let text = format!("Chart({name}, {}×{})", self.width, self.height);
        match self.svg() {
            Ok(svg) => MimeBundle::new(text).with("image/svg+xml", svg),
            Err(err) => MimeBundle::new(format!("{text}: {err}")),
        }
    }
}

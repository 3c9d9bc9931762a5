//! [`Png`]: an encoded PNG image, shown in the notebook as `image/png`.

use std::io::Cursor;
use std::path::Path;

use base64::Engine;

use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// A PNG image, as made by [`Chart::png`](super::Chart::png).
///
/// ```
/// use eddy::prelude::*;
///
/// let png = line(&sp500()?, "Date", &["PG"])?.size(400, 300).png()?;
/// assert_eq!(png.dimensions(), (400, 300));
/// assert!(png.mime_bundle().get("image/png").is_some());
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Png {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

impl Png {
    /// Encodes an RGB buffer of `width × height` pixels.
    pub(crate) fn encode(
        rgb: Vec<u8>,
        width: u32,
        height: u32,
        operation: &'static str,
    ) -> Result<Png> {
        let display_error = |reason: String| Error::Display {
            operation,
            format: "png",
            reason,
        };
        let image = image::RgbImage::from_raw(width, height, rgb)
            .ok_or_else(|| display_error("the pixel buffer does not match the size".into()))?;
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), image::ImageOutputFormat::Png)
            .map_err(|err| display_error(err.to_string()))?;
        Ok(Png {
            bytes,
            width,
            height,
        })
    }

    /// The encoded file contents.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The size in pixels, `(width, height)`.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Writes the PNG file to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.bytes).map_err(|source| Error::Io {
            operation: "Png::save",
            path: path.to_path_buf(),
            source,
        })
    }
}

impl std::fmt::Debug for Png {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Png({}×{}, {} bytes)",
            self.width,
            self.height,
            self.bytes.len()
        )
    }
}

/// `image/png` as base64, with `Png(w×h, n bytes)` as text.
impl Render for Png {
    fn mime_bundle(&self) -> MimeBundle {
        let base64 = base64::engine::general_purpose::STANDARD.encode(&self.bytes);
        MimeBundle::new(format!("{self:?}")).with("image/png", base64)
    }
}

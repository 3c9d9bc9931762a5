//! evcxr's output contract: a bundle printed on stdout between `EVCXR_BEGIN_CONTENT <mime>`
//! and `EVCXR_END_CONTENT` lines, and the [`EvcxrDisplay`] trait that does it.

use std::io::{self, Write};

use super::mime::{MimeBundle, Render};

/// Writes `bundle` in evcxr's marker format, one block per MIME type.
///
/// ```
/// use eddy::display::{write_evcxr_markers, MimeBundle};
///
/// let mut out = Vec::new();
/// write_evcxr_markers(&mut out, &MimeBundle::new("42"))?;
/// assert_eq!(out, b"EVCXR_BEGIN_CONTENT text/plain\n42\nEVCXR_END_CONTENT\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_evcxr_markers(out: &mut dyn Write, bundle: &MimeBundle) -> io::Result<()> {
    for (mime, content) in bundle.iter() {
        writeln!(out, "EVCXR_BEGIN_CONTENT {mime}")?;
        out.write_all(content.as_bytes())?;
        if !content.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.write_all(b"EVCXR_END_CONTENT\n")?;
    }
    out.flush()
}

/// Prints `bundle` on locked stdout in evcxr's marker format; IO errors go to stderr.
pub(crate) fn print_evcxr_markers(bundle: &MimeBundle) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if let Err(err) = write_evcxr_markers(&mut out, bundle) {
        super::report_once(&format!("cannot write the cell's output to stdout: {err}"));
    }
}

/// `value.evcxr_display()`, as evcxr users know it, for every [`Render`] type.
///
/// It prints the value's bundle as the cell's rich output. Usually not needed in eddy,
/// where a cell's last expression shows itself.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("a" => [1, 2])?;
/// df.evcxr_display(); // prints EVCXR_BEGIN_CONTENT text/plain … on stdout
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait EvcxrDisplay {
    /// Prints the value's MIME bundle between evcxr's markers on stdout.
    fn evcxr_display(&self);
}

impl<T: Render + ?Sized> EvcxrDisplay for T {
    fn evcxr_display(&self) {
        print_evcxr_markers(&self.mime_bundle());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_block_per_mime_and_no_doubled_newline() {
        let bundle = MimeBundle::new("a\nb\n").with("text/html", "<p>a</p>");
        let mut out = Vec::new();
        write_evcxr_markers(&mut out, &bundle).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "EVCXR_BEGIN_CONTENT text/plain\na\nb\nEVCXR_END_CONTENT\n\
             EVCXR_BEGIN_CONTENT text/html\n<p>a</p>\nEVCXR_END_CONTENT\n"
        );
    }
}

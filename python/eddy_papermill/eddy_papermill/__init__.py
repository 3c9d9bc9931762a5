"""Papermill parameters for Rust notebooks (the eddy kernel).

Installed next to papermill, `papermill nb.ipynb out.ipynb -p backend cassandra` injects
`let backend = "cassandra";` after the cell tagged `parameters`. The translator is
`eddy_papermill.translator.RustTranslator`; `eddy_papermill.engine` registers it with
papermill when papermill is imported (through its `papermill.engine` entry point), and
`register()` does it by hand (e.g. in a process where the package is on `sys.path` but not
installed).
"""

from .translator import RustTranslator

__all__ = ["RustTranslator", "register"]
__version__ = "0.1.0"


def register() -> None:
    """Registers RustTranslator with papermill (imports papermill)."""
    from .engine import register as _register

    _register()

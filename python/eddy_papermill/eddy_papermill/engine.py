"""The hook that registers RustTranslator with papermill.

papermill 2.7 looks translators up in a registry filled at import time and reads no entry
points for it, but it does load every `papermill.engine` entry point while it is imported
(`papermill.engines.papermill_engines.register_entry_points()`). This module is such an
entry point (named `eddy`): loading it registers the translator for the language `rust` and
the kernel `eddy`. `Engine` stands for papermill's own default engine (`NBClientEngine`), so
`--engine eddy` runs exactly as the default does.

Import order matters, because this module and papermill import each other: `Engine` is
defined before anything from papermill is imported, and looks `NBClientEngine` up only when
used. Whichever is imported first, papermill's `entrypoint.load()` then finds `Engine` here.
"""

from .translator import RustTranslator

__all__ = ["Engine", "register"]


class _DefaultEngine(type):
    def __getattr__(cls, name):
        from papermill.engines import NBClientEngine

        return getattr(NBClientEngine, name)


class Engine(metaclass=_DefaultEngine):
    """papermill's `NBClientEngine`, looked up when used (see the module's docs)."""


def register() -> None:
    """Registers RustTranslator for notebooks of language `rust` and the kernel `eddy`."""
    from papermill.translators import papermill_translators

    papermill_translators.register("rust", RustTranslator)
    papermill_translators.register("eddy", RustTranslator)


register()

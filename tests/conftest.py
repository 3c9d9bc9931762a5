"""Fixtures for the tests of the installed eddy kernel (see tests/README.md).

Every test needs the kernelspec named `eddy` that ./install.sh writes; without it each test
fails (never skips) with a message that says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from kernel_helpers import KERNEL_NAME, Kernel


@pytest.fixture(scope="session", autouse=True)
def kernelspec() -> KernelSpec:
    manager = KernelSpecManager()
    try:
        return manager.get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.fail(
            f"no Jupyter kernelspec named {KERNEL_NAME!r} in {manager.kernel_dirs}: "
            "run ./install.sh (and run the tests with $EDDY_HOME/venv/bin/python)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def eddy_binary(kernelspec: KernelSpec) -> str:
    """The `eddy` executable the kernelspec launches."""
    binary = kernelspec.argv[0]
    if not (Path(binary).is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"the eddy kernelspec points at {binary!r}, which is not an executable: run ./install.sh",
                    pytrace=False)
    return binary


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    """A fresh kernel for one test, shut down afterwards."""
    k = Kernel.start()
    try:
        yield k
    finally:
        k.shutdown()

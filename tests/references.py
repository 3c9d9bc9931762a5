"""Shared tools of the reference tests: the Python libraries eddy's numbers are checked
against (numpy, pandas, scipy, statsmodels, scikit-learn, installed by ./install.sh in the
venv), and helpers to move numbers between the kernel and Python at full precision.

A missing reference library fails the test (never skips) with the command that installs it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

SP500 = Path(__file__).resolve().parent.parent / "data" / "sp500_dataset.csv.gz"


def versions() -> str:
    """The reference libraries and their versions, for failure messages; fails if one is missing."""
    try:
        import numpy
        import pandas
        import scipy
        import sklearn
        import statsmodels
    except ImportError as e:
        pytest.fail(
            f"the reference libraries are missing ({e}): run ./install.sh, which installs "
            "requirements.txt into $EDDY_HOME/venv, and run pytest with $EDDY_HOME/venv/bin/python",
            pytrace=False,
        )
    return (
        f"numpy {numpy.__version__}, pandas {pandas.__version__}, scipy {scipy.__version__}, "
        f"statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}"
    )


def write_price_csv(df, path: Path) -> Path:
    """Writes `df` as a price table (a `Date` column first, daily dates), floats at full precision."""
    import pandas as pd

    dates = pd.date_range("2000-01-03", periods=len(df), freq="D").strftime("%Y-%m-%d")
    df.assign(Date=dates)[["Date", *df.columns]].to_csv(path, index=False, float_format="%.17g")
    return path


def parse_values(stdout: str) -> dict:
    """Lines `name<TAB>value` printed by a cell with `{:?}`: floats, lists of floats, tuples."""
    got = {}
    for line in stdout.splitlines():
        if "\t" not in line:
            continue
        name, value = line.split("\t", 1)
        value = value.strip()
        if value.startswith(("[", "(")):
            inner = value[1:-1].strip()
            got[name] = [float(v) for v in inner.split(", ")] if inner else []
        else:
            got[name] = float(value)
    return got


def assert_close(what: str, got: float, expected: float, rtol: float, atol: float = 0.0, context: str = "") -> None:
    ok = (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
    assert ok, f"{what}: expected {expected!r} ({context}), got {got!r} from eddy (rtol {rtol}, atol {atol})"


def assert_all_close(what: str, got, expected, rtol: float, atol: float = 0.0, context: str = "") -> None:
    got, expected = list(got), [float(e) for e in expected]
    assert len(got) == len(expected), f"{what}: expected {len(expected)} values, got {len(got)}: {got}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_close(f"{what}[{i}]", g, e, rtol, atol, context)


def rust_vec(values) -> str:
    """A Rust `&[f64]` literal at full precision."""
    return "&[" + ", ".join(repr(float(v)) for v in values) + "]"


def rust_str_slice(names) -> str:
    return "&" + json.dumps(list(names))

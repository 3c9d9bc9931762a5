"""The walkthrough notebooks run headless through papermill on the installed kernel, with their
parameters (python/eddy_papermill), against the real servers of tests/services.py, and their
key numbers equal a reference computed in the same run:

- 01-stream on Kafka (`-p backend kafka -p brokers ...`): the quotes streamed, the 28-day
  windowed means of JPM and the batch / running / mean-of-batch-means averages, against pandas
  on data/sp500_dataset.csv.gz;
- 02-store on a Cassandra node (`-p backend cassandra`), then with the three-node cluster
  (`-p cluster3 ...`, RF 3, reads at ONE, QUORUM and ALL): counts after writing twice (an
  upsert changes nothing), a range read row by row, the scan, the symbols, against pandas;
- 04-model (no server): the OLS R², coefficients and AIC it prints, against statsmodels'
  `OLS(y, add_constant(X)).fit()` on the same training rows, to a relative 1e-9;
- a misspelt backend fails 01 and 02 naming the allowed values (through papermill's command
  line, so a fresh process finds the translator through its entry point), and Kafka without a
  broker fails naming `services/kafka.sh start`.

Each notebook writes its key numbers as `name<TAB>value` lines in its last cell. Every
keyspace and topic is new, so runs never see each other's rows.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError
from references import SP500
from services import Cassandra, Kafka, cassandra_cluster3, cassandra_node, kafka_broker, spark_cluster  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
KERNEL = "eddy"
CELL_TIMEOUT_S = 600
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
OLS_RTOL = 1e-9  # eddy and statsmodels agree to ~1e-13 on this fit (condition number ~700)

pytestmark = pytest.mark.timeout(900)


def execute(name: str, out_dir: Path, **parameters) -> tuple[nbformat.NotebookNode, float]:
    """Runs notebooks/NAME with papermill; returns the executed notebook and its wall time."""
    t0 = time.monotonic()
    nb = papermill.execute_notebook(
        str(NOTEBOOKS / name), str(out_dir / name), parameters=parameters or None,
        kernel_name=KERNEL, cwd=str(NOTEBOOKS), progress_bar=False, log_output=False,
        start_timeout=120, execution_timeout=CELL_TIMEOUT_S)
    took = time.monotonic() - t0
    print(f"{name} {parameters}: {took:.1f} s")
    return nb, took


def printed(nb: nbformat.NotebookNode) -> dict:
    """The `name<TAB>value` lines the notebook printed: numbers, lists of numbers or text."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream" or out.get("name") != "stdout":
                continue
            for line in out["text"].splitlines():
                if "\t" not in line:
                    continue
                key, value = line.split("\t", 1)
                value = value.strip()
                try:
                    if value.startswith("["):
                        values[key] = [float(v) for v in value[1:-1].split(", ") if v]
                    else:
                        values[key] = float(value)
                except ValueError:
                    values[key] = value
    return values


def injected(nb: nbformat.NotebookNode) -> str:
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "papermill injects one parameters cell"
    return cells[0].source


def sp500_quotes() -> pd.DataFrame:
    """The bundled prices as quotes: symbol, ts (ms since the epoch, UTC midnight), price."""
    wide = pd.read_csv(SP500, float_precision="round_trip")  # correctly rounded, as eddy reads them
    long = wide.melt(id_vars="Date", var_name="symbol", value_name="price").dropna()
    long["ts"] = pd.to_datetime(long["Date"]).astype("int64") // 1_000_000
    return long.sort_values(["ts", "symbol"], kind="stable").reset_index(drop=True)


def fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------- 01-stream


def test_01_stream_on_kafka_equals_pandas(kafka_broker: Kafka, tmp_path):
    nb, _ = execute("01-stream.ipynb", tmp_path, backend="kafka", brokers=kafka_broker.bootstrap)
    assert injected(nb) == (f'// Parameters\nlet backend = "kafka";\n'
                            f'let brokers = "{kafka_broker.bootstrap}";\n')
    got = printed(nb)
    quotes = sp500_quotes()
    assert got["quotes"] == len(quotes) == 166_260
    assert got["streamed"] == len(quotes), "every quote reached the per-key state exactly once"
    assert got["live_messages"] > 0

    # Weekly event-time batches (epoch-aligned), 28-day windows sliding by 7 days: the window
    # ending at e holds the batches ending in (e - 28 d, e], i.e. the quotes in [e - 28 d, e),
    # from the first batch's end to the end of the batch holding the last quote.
    jpm = quotes[quotes["symbol"] == "JPM"]
    first_end = (quotes["ts"].min() // WEEK_MS + 1) * WEEK_MS
    last_end = (jpm["ts"].max() // WEEK_MS + 1) * WEEK_MS
    means = []
    for end in range(first_end, last_end + 1, WEEK_MS):
        window = jpm[(jpm["ts"] >= end - 4 * WEEK_MS) & (jpm["ts"] < end)]
        if len(window):
            means.append(window["price"].mean())
    assert got["windows"] == len(means)
    np.testing.assert_allclose(got["window_means_tail"], means[-10:], rtol=1e-12)

    batch_mean = jpm["price"].mean()
    weekly = jpm.groupby(jpm["ts"] // WEEK_MS)["price"].mean()
    assert math.isclose(got["batch_mean"], batch_mean, rel_tol=1e-12)
    assert math.isclose(got["running_mean"], batch_mean, rel_tol=1e-12), "a count and a sum merge exactly"
    assert math.isclose(got["mean_of_batch_means"], weekly.mean(), rel_tol=1e-12)
    assert not math.isclose(got["mean_of_batch_means"], batch_mean, rel_tol=1e-6), "the point of the comparison"


# ---------------------------------------------------------------------------------- 02-store


def check_store_numbers(got: dict) -> None:
    quotes = sp500_quotes()
    jpm = quotes[quotes["symbol"] == "JPM"]
    day = lambda s: pd.Timestamp(s).value // 1_000_000  # noqa: E731
    march = jpm[(jpm["ts"] >= day("2020-03-01")) & (jpm["ts"] < day("2020-04-01"))]
    two_years = jpm[(jpm["ts"] >= day("2020-01-01")) & (jpm["ts"] < day("2022-01-01"))]
    assert got["quotes"] == got["stored"] == len(quotes)
    assert got["stored_again"] == got["stored"], "writing the same quotes again adds no row"
    assert got["march_rows"] == len(march)
    assert got["march_prices"] == march["price"].tolist(), "prices come back bit for bit, in ts order"
    assert got["jpm_rows"] == len(two_years)
    assert got["scan_rows"] == len(quotes)
    assert got["symbols"] == quotes["symbol"].nunique() == 20


def test_02_store_on_cassandra_equals_pandas(cassandra_node: Cassandra, tmp_path):
    nodes = ",".join(f"{a}:{cassandra_node.port}" for a in cassandra_node.contact_points)
    nb, _ = execute("02-store.ipynb", tmp_path, backend="cassandra", nodes=nodes, keyspace=fresh("nb"))
    got = printed(nb)
    check_store_numbers(got)
    assert "rf3_rows" not in got
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "skipped: run with -p backend cassandra -p cluster3" in text


@pytest.mark.cluster3
def test_02_store_with_the_three_node_cluster(cassandra_node: Cassandra, cassandra_cluster3: Cassandra, tmp_path):
    nodes = ",".join(f"{a}:{cassandra_node.port}" for a in cassandra_node.contact_points)
    cluster3 = ",".join(cassandra_cluster3.contact_points)
    nb, _ = execute("02-store.ipynb", tmp_path, backend="cassandra", nodes=nodes,
                    keyspace=fresh("nb"), cluster3=cluster3)
    got = printed(nb)
    check_store_numbers(got)
    jpm_days = int((sp500_quotes()["symbol"] == "JPM").sum())
    assert got["rf3_rows"] == [jpm_days] * 3, "ONE, QUORUM and ALL reads all see the write at ALL"
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "replication factor 3" in text


# ---------------------------------------------------------------------------------- 04-model


def test_04_model_ols_equals_statsmodels(tmp_path):
    import statsmodels.api as sm

    nb, _ = execute("04-model.ipynb", tmp_path)
    got = printed(nb)
    names = got["names"].split()
    assert names[0] == "const" and len(names) == 20, names
    data = pd.read_csv(SP500, float_precision="round_trip")
    n_test = math.ceil(0.2 * len(data))  # train_test_split(&prices, 0.2): the last ⌈0.2 n⌉ rows
    train = data.iloc[: len(data) - n_test]
    res = sm.OLS(train["JPM"], sm.add_constant(train[names[1:]])).fit()
    np.testing.assert_allclose(got["params"], res.params.to_numpy(), rtol=OLS_RTOL)
    assert math.isclose(got["rsquared"], res.rsquared, rel_tol=OLS_RTOL), (got["rsquared"], res.rsquared)
    assert math.isclose(got["aic"], res.aic, rel_tol=OLS_RTOL), (got["aic"], res.aic)


# ---------------------------------------------------------------------------------- failures


@pytest.mark.parametrize("notebook, wrong, allowed", [
    ("01-stream.ipynb", "kafak", '"embedded" | "kafka"'),
    ("02-store.ipynb", "postgres", '"embedded" | "cassandra"'),
])
def test_a_wrong_backend_fails_naming_the_allowed_values(notebook, wrong, allowed, tmp_path):
    """Through papermill's command line: a new process finds the Rust translator by itself."""
    papermill_cli = Path(sys.executable).parent / "papermill"
    proc = subprocess.run(
        [str(papermill_cli), str(NOTEBOOKS / notebook), str(tmp_path / notebook), "-p", "backend", wrong,
         "-k", KERNEL, "--cwd", str(NOTEBOOKS), "--no-progress-bar"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    message = f'backend should be one of {allowed}, but is "{wrong}"'
    assert message in proc.stderr, proc.stderr[-3000:]
    executed = nbformat.read(tmp_path / notebook, as_version=4)
    assert f'let backend = "{wrong}";' in injected(executed)


def test_kafka_without_a_broker_names_the_start_command(tmp_path):
    with pytest.raises(PapermillExecutionError) as failure:
        execute("01-stream.ipynb", tmp_path, backend="kafka", brokers="127.0.0.1:1")
    assert "cannot reach the Kafka broker at 127.0.0.1:1" in failure.value.evalue
    assert "services/kafka.sh start" in failure.value.evalue


# ---------------------------------------------------------------------------------- scale-out


def test_06_scale_out_equals_statsmodels_on_the_original_data(spark_cluster, tmp_path):  # noqa: F811
    """The JPM model on a market 100× larger, built and fitted on the cluster, has the
    coefficients and R² of statsmodels' fit on the original days (repeating every row
    changes neither), and 100× the observations."""
    import statsmodels.api as sm

    nb, _ = execute("06-scale-out.ipynb", tmp_path, spark_url=spark_cluster.url)
    got = printed(nb)
    data = pd.read_csv(SP500, float_precision="round_trip")
    others = [c for c in data.columns if c not in ("Date", "JPM")]
    res = sm.OLS(data["JPM"], sm.add_constant(data[others])).fit()
    np.testing.assert_allclose(got["params"], res.params.to_numpy(), rtol=OLS_RTOL)
    np.testing.assert_allclose(got["local_params"], res.params.to_numpy(), rtol=OLS_RTOL)
    assert math.isclose(got["rsquared"], res.rsquared, rel_tol=OLS_RTOL)
    assert got["copies"] == 1000 and got["nobs"] == got["copies"] * len(data)


def test_06_is_skipped_with_a_note_by_the_embedded_main_run(tmp_path):
    """The main command (no cluster) skips 06 and says what to start, instead of failing."""
    runner = Path(__file__).resolve().parent.parent / "scripts" / "run_notebooks.py"
    proc = subprocess.run([sys.executable, str(runner), "--out", str(tmp_path), str(NOTEBOOKS / "06-scale-out.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped" in proc.stdout and "services/spark.sh start" in proc.stdout, proc.stdout

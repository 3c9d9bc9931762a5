"""The real Spark cluster of services/spark.sh, through PySpark's Spark Connect client.

A standalone master with two one-core workers, and a Spark Connect server that is an
application of the master (fixture `spark_cluster` in services.py). The tests check exact
query results, that a job's tasks ran in both workers' executors (the master's, the workers'
and the driver's own JSON, before and after the job), and the script's start, status and stop,
including the one-process `start --local`.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession
from services import (  # noqa: F401 (the fixture is used by name)
    SPARK_SH,
    Spark,
    run_script,
    spark_cluster,
)

# A cluster start takes 10-20 s on an idle machine and minutes on a busy one; the first test
# of the session pays for it (pytest-timeout counts fixture setup).
pytestmark = pytest.mark.timeout(480)

CONNECT_APP = "eddy Spark Connect (connect)"


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.load(reply)


def new_session(url: str) -> SparkSession:
    """A Connect session of its own (getOrCreate would hand back a cached one, perhaps of a
    server that has since been stopped)."""
    return SparkSession.builder.remote(url).create()


@pytest.fixture
def spark(spark_cluster: Spark) -> Iterator[SparkSession]:
    session = new_session(spark_cluster.url)
    try:
        yield session
    finally:
        session.stop()


def need_managed(cluster: Spark) -> None:
    if not cluster.managed:
        pytest.skip("EDDY_SPARK points at an external server: spark.sh does not manage it")


def driver_executors(cluster: Spark) -> tuple[str, dict[str, dict]]:
    """(application id, executor id -> the driver's record of it), without the driver."""
    apps = get_json(f"{cluster.driver_ui}/api/v1/applications")
    assert len(apps) == 1, apps
    app = apps[0]["id"]
    executors = get_json(f"{cluster.driver_ui}/api/v1/applications/{app}/executors")
    return app, {e["id"]: e for e in executors if e["id"] != "driver"}


def wait_executors(cluster: Spark, n: int, timeout: float = 120) -> tuple[str, dict[str, dict]]:
    deadline = time.monotonic() + timeout
    while True:
        app, executors = driver_executors(cluster)
        active = {k: e for k, e in executors.items() if e["isActive"]}
        if len(active) >= n or time.monotonic() > deadline:
            assert len(active) == n, f"{n} executors wanted, the driver has {executors}"
            return app, active
        time.sleep(1)


# ---------------------------------------------------------------------------- queries


def test_spark_status_says_running(spark_cluster: Spark) -> None:
    need_managed(spark_cluster)
    proc = run_script(SPARK_SH, "status", check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in ("master", "worker1", "worker2", "connect"):
        assert any(line.startswith(f"spark.sh: {name}: running") for line in lines), proc.stdout
    assert "ALIVE on spark://127.0.0.1:7077" in proc.stdout
    assert proc.stdout.count("ALIVE at the master") == 2, proc.stdout
    assert "answers on sc://127.0.0.1:15002" in proc.stdout


def test_spark_connect_exact_results(spark: SparkSession) -> None:
    assert spark.version == "4.3.0"
    n = 1_000_000
    row = spark.range(n).selectExpr("sum(id) AS s", "count(*) AS c", "max(id) AS m").collect()[0]
    assert (row.s, row.c, row.m) == (n * (n - 1) // 2, n, n - 1)
    # a shuffle: counts by residue mod 7, each exact
    got = {r.k: r.c for r in spark.range(n).selectExpr("id % 7 AS k").groupBy("k").count()
           .withColumnRenamed("count", "c").collect()}
    assert got == {k: len(range(k, n, 7)) for k in range(7)}
    # SQL text, and a DataFrame that starts on the client (sent as Arrow)
    assert spark.sql("SELECT 6 * 7 AS x").collect()[0].x == 42
    df = spark.createDataFrame([(i, float(i) / 4) for i in range(100)], "i long, q double")
    assert df.selectExpr("sum(q) AS s").collect()[0].s == sum(i / 4 for i in range(100))


def test_spark_job_runs_on_both_workers(spark_cluster: Spark, spark: SparkSession) -> None:
    if spark_cluster.master_json is None:
        pytest.skip("EDDY_SPARK points at an external server: its master is unknown")
    master = get_json(spark_cluster.master_json)
    assert master["status"] == "ALIVE"
    workers = {w["webuiaddress"]: w for w in master["workers"] if w["state"] == "ALIVE"}
    assert sorted(workers) == ["http://127.0.0.1:8081", "http://127.0.0.1:8082"], master["workers"]
    apps = [a for a in master["activeapps"] if a["name"] == CONNECT_APP]
    assert len(apps) == 1 and apps[0]["state"] == "RUNNING", master["activeapps"]
    # the master granted the application both cores, one on each worker
    assert apps[0]["cores"] == 2
    assert [w["coresused"] for w in workers.values()] == [1, 1]

    app, executors = wait_executors(spark_cluster, 2)
    assert app == apps[0]["id"]
    # which executor lives in which worker: each worker lists the executors it launched
    on_worker = {}
    for url in workers:
        mine = [e for e in get_json(f"{url}/json/")["executors"] if e["appid"] == app]
        assert len(mine) == 1, (url, mine)
        on_worker[url] = str(mine[0]["id"])
    assert sorted(on_worker.values()) == sorted(executors), (on_worker, executors)
    assert len({e["hostPort"] for e in executors.values()}) == 2

    before = {k: e["completedTasks"] for k, e in executors.items()}
    n, parts = 20_000_000, 8
    row = spark.range(0, n, 1, parts).selectExpr("sum(id % 1000) AS s", "count(*) AS c").collect()[0]
    assert (row.s, row.c) == (sum(range(1000)) * (n // 1000), n)
    _, after = driver_executors(spark_cluster)
    done = {url: after[ex]["completedTasks"] - before[ex] for url, ex in on_worker.items()}
    # every partition is a task of the first stage, spread over the two one-core executors
    assert all(d > 0 for d in done.values()), done
    assert sum(done.values()) >= parts, done


# ---------------------------------------------------------------------------- the script


@pytest.mark.timeout(900)
def test_spark_stop_status_local_and_start_again(spark_cluster: Spark) -> None:
    """stop -> status 3; a taken port is named; start --local serves Connect from one JVM and
    keeps `start` from mixing in the cluster; stop; start brings the cluster back (as the
    session found it, for the tests that come after)."""
    need_managed(spark_cluster)
    stop = run_script(SPARK_SH, "stop", timeout=180)
    assert "stopped" in stop.stdout
    status = run_script(SPARK_SH, "status", check=False)
    assert status.returncode == 3, status.stdout + status.stderr
    assert status.stdout.strip() == "spark.sh: stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 15002), timeout=2).close()

    # a port that is taken: the error names the holder
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 15002))
        holder.listen()
        taken = run_script(SPARK_SH, "start", "--local", check=False, timeout=120)
    assert taken.returncode != 0
    assert "port 15002 on 127.0.0.1 (Spark Connect) is taken by python" in taken.stderr, taken.stderr
    assert run_script(SPARK_SH, "status", check=False).returncode == 3

    try:
        run_script(SPARK_SH, "start", "--local")
        status = run_script(SPARK_SH, "status", check=False)
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.startswith("spark.sh: connect (local[2]): running, answers"), status.stdout
        mixed = run_script(SPARK_SH, "start", check=False, timeout=120)
        assert mixed.returncode != 0 and "local mode" in mixed.stderr, mixed.stdout + mixed.stderr
        session = new_session(spark_cluster.url)
        try:
            n = 100_000
            assert session.range(n).selectExpr("sum(id) AS s").collect()[0].s == n * (n - 1) // 2
        finally:
            session.stop()
        # one JVM: no master answers, and the driver has no executors but itself
        with pytest.raises(OSError):
            get_json("http://127.0.0.1:8080/json/")
        _, executors = driver_executors(spark_cluster)
        assert executors == {}
    finally:
        run_script(SPARK_SH, "stop", timeout=180)
    assert run_script(SPARK_SH, "status", check=False).returncode == 3

    run_script(SPARK_SH, "start")
    status = run_script(SPARK_SH, "status", check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count("ALIVE at the master") == 2, status.stdout

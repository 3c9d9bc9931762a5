"""Real Kafka, Cassandra and Spark servers for the tests, run through services/kafka.sh,
services/cassandra.sh and services/spark.sh (see services/README.md).

Session-scoped fixtures; import the ones a test module needs into it (pytest finds fixtures
in the module's namespace), or list this module in conftest.py's `pytest_plugins`:

    from services import kafka_broker, cassandra_node  # noqa: F401 (fixtures)

- `kafka_broker` -> `Kafka`: the single-node broker on 127.0.0.1:9092.
- `cassandra_node` -> `Cassandra`: the one-node cluster on 127.0.0.1:9042.
- `cassandra_cluster3` -> `Cassandra`: the three-node cluster on 127.0.3.1-3:9042; it can run
  next to the one-node cluster.
- `cassandra_tls` -> `Cassandra` with `tls_ca`: the one-node cluster restarted with `--tls`
  (CQL only over TLS; `tls_ca` is the CA's PEM file, `ssl_context()` a verifying context) for
  one test, then restarted plain (not in between when the next test uses it too).
- `spark_cluster` -> `Spark`: the standalone Spark cluster (master and two one-core workers)
  with its Spark Connect server on sc://127.0.0.1:15002.

Each fixture starts its service if it is not running and stops it at the end of the session
only if it started it: a service you started yourself stays up, and a second test run reuses
it. Set EDDY_KAFKA=host:port, EDDY_CASSANDRA=host[:port] or EDDY_SPARK=sc://host:port to test
against servers you run elsewhere; the fixtures then start and stop nothing (the kill and
stop/start tests need the scripts' servers).
A service that cannot start fails the test with the script's output; nothing is skipped.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
KAFKA_SH = REPO / "services" / "kafka.sh"
CASSANDRA_SH = REPO / "services" / "cassandra.sh"
SPARK_SH = REPO / "services" / "spark.sh"

# The scripts bound their own waits (60 s for Kafka, 120 s a Cassandra node, 180 s for the
# Spark cluster); these only stop a hung script.
START_TIMEOUT = 400
STOP_TIMEOUT = 180


class ServiceError(AssertionError):
    """A services/*.sh command failed; the message has its output."""


def run_script(script: Path, *args: str, timeout: float = START_TIMEOUT,
               check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a services script; with `check`, raise ServiceError (with its output) on failure."""
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise ServiceError(f"{script.name} {' '.join(args)} exited with {proc.returncode}:\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc


@dataclass(frozen=True)
class Kafka:
    bootstrap: str
    managed: bool = True  # started/stopped through services/kafka.sh

    def create_topic(self, name: str, partitions: int) -> None:
        """Create a topic (replication factor 1) through the script's admin tool."""
        if self.managed:
            run_script(KAFKA_SH, "create-topic", name, str(partitions), timeout=120)
            return
        from confluent_kafka.admin import AdminClient, NewTopic

        futures = AdminClient({"bootstrap.servers": self.bootstrap}).create_topics(
            [NewTopic(name, partitions, 1)], operation_timeout=30)
        futures[name].result(timeout=60)


@dataclass(frozen=True)
class Cassandra:
    nodes: int  # 1 or 3
    addresses: list[str]  # node i (1-based) is addresses[i - 1]
    port: int = 9042
    managed: bool = True
    tls_ca: Path | None = None  # with `start --tls`: the CA that signed the node's certificate

    @property
    def contact_points(self) -> list[str]:
        return list(self.addresses)

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only `tls_ca` and checks the host name (the node's
        certificate names 127.0.0.1, localhost and 127.0.3.1-3); for cassandra-driver's
        `Cluster(ssl_context=...)`, which then verifies each node's address."""
        if self.tls_ca is None:
            raise ServiceError("this node was not started with --tls (use the cassandra_tls fixture)")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
        ctx.load_verify_locations(cafile=str(self.tls_ca))
        return ctx

    def script(self, command: str, *args: str, timeout: float = START_TIMEOUT,
               check: bool = True) -> subprocess.CompletedProcess[str]:
        """services/cassandra.sh COMMAND --nodes N ARGS..."""
        if not self.managed:
            raise ServiceError(f"cassandra.sh {command}: this cluster is external (EDDY_CASSANDRA)")
        return run_script(CASSANDRA_SH, command, "--nodes", str(self.nodes), *args, timeout=timeout,
                          check=check)

    def kill(self, node: int) -> None:
        """SIGKILL node `node` (1-based)."""
        self.script("kill", str(node), timeout=60)

    def start_node(self, node: int) -> None:
        """Start node `node` again and wait until its peers see it UN."""
        self.script("start-node", str(node))

    def nodetool(self, *args: str, node: int | None = None) -> str:
        extra = ["--node", str(node)] if node else []
        return self.script("nodetool", *extra, *args, timeout=120).stdout

    def ring_states(self, node: int | None = None) -> dict[str, str]:
        """Address -> two-letter state (UN, DN, UJ, ...) in `nodetool status` of `node`."""
        states = {}
        for line in self.nodetool("status", node=node).splitlines():
            m = re.match(r"^([UD][NLJM])\s+([0-9.]+)(?::\d+)?\s", line)
            if m:
                states[m.group(2)] = m.group(1)
        return states

    def wait_ring(self, want: dict[str, str], node: int | None = None, timeout: float = 90) -> float:
        """Poll nodetool status until every address in `want` has its state; return the wait."""
        t0 = time.monotonic()
        while True:
            states = self.ring_states(node)
            if all(states.get(addr) == state for addr, state in want.items()):
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise ServiceError(f"nodetool status after {timeout:.0f} s: {states}, want {want}")
            time.sleep(1)


@dataclass(frozen=True)
class Spark:
    url: str  # Spark Connect, sc://host:port
    # the standalone master's JSON and the Connect driver's web UI (REST API under /api/v1);
    # None for an external server (EDDY_SPARK), whose layout is unknown
    master_json: str | None = "http://127.0.0.1:8080/json/"
    driver_ui: str | None = "http://127.0.0.1:4040"
    managed: bool = True  # started/stopped through services/spark.sh
    started: bool = False  # this session started it (and stops it at the end)


def _running(script: Path, *args: str) -> bool:
    return run_script(script, "status", *args, timeout=60, check=False).returncode == 0


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Kafka]:
    external = os.environ.get("EDDY_KAFKA")
    if external:
        yield Kafka(bootstrap=external, managed=False)
        return
    started = not _running(KAFKA_SH)
    if started:
        run_script(KAFKA_SH, "start")
    try:
        yield Kafka(bootstrap="127.0.0.1:9092")
    finally:
        if started:
            run_script(KAFKA_SH, "stop", timeout=STOP_TIMEOUT)


def _cassandra(nodes: int, addresses: list[str]) -> Iterator[Cassandra]:
    status = run_script(CASSANDRA_SH, "status", "--nodes", str(nodes), timeout=60, check=False)
    started = status.returncode != 0
    cluster = Cassandra(nodes=nodes, addresses=addresses)
    if not started and "over TLS" in status.stdout:
        # left in --tls mode (an interrupted cassandra_tls test): these fixtures mean plain CQL
        cluster.script("stop", timeout=STOP_TIMEOUT)
        started = True
    if started:
        cluster.script("start")
    try:
        yield cluster
    finally:
        if started:
            cluster.script("stop", timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def cassandra_node() -> Iterator[Cassandra]:
    external = os.environ.get("EDDY_CASSANDRA")
    if external:
        host, _, port = external.partition(":")
        yield Cassandra(nodes=1, addresses=[host], port=int(port or 9042), managed=False)
        return
    yield from _cassandra(1, ["127.0.0.1"])


@pytest.fixture(scope="session")
def cassandra_cluster3() -> Iterator[Cassandra]:
    yield from _cassandra(3, ["127.0.3.1", "127.0.3.2", "127.0.3.3"])


def _next_test_uses(request: pytest.FixtureRequest, fixture: str) -> bool:
    """Whether the test that runs after this one requests `fixture` (and the session goes on)."""
    session = request.session
    if session.shouldstop or session.shouldfail:
        return False
    items = session.items
    try:
        i = items.index(request.node)
    except ValueError:
        return False
    return i + 1 < len(items) and fixture in getattr(items[i + 1], "fixturenames", ())


CA_PATH_RE = re.compile(r"verify the nodes against the CA (/\S+) ")


@pytest.fixture
def cassandra_tls(request: pytest.FixtureRequest, cassandra_node: Cassandra) -> Iterator[Cassandra]:
    """The one-node cluster restarted with --tls (client_encryption_options: CQL on 9042 only
    over TLS, plaintext clients refused), as `cassandra_node` with `tls_ca` set to the CA's PEM
    file. Afterwards the node is restarted plain, as the other tests expect it, unless the
    next test uses this fixture too: consecutive TLS tests share one start. Function-scoped
    (like test_store.py's --auth fixture), so tests in any order see the node they ask for."""
    if not cassandra_node.managed:
        pytest.fail("the --tls tests restart services/cassandra.sh's node: unset EDDY_CASSANDRA", pytrace=False)
    proc = cassandra_node.script("start", "--tls", check=False)  # at once if it runs with --tls
    if proc.returncode != 0:
        if "stop it first" not in proc.stderr:
            raise ServiceError(f"cassandra.sh start --tls exited with {proc.returncode}:\n"
                               f"{proc.stdout}{proc.stderr}")
        cassandra_node.script("stop", timeout=STOP_TIMEOUT)
        proc = cassandra_node.script("start", "--tls")
    m = CA_PATH_RE.search(proc.stdout)
    if not m:
        raise ServiceError(f"cassandra.sh start --tls did not name the CA file:\n{proc.stdout}")
    try:
        yield replace(cassandra_node, tls_ca=Path(m.group(1)))
    finally:
        if not _next_test_uses(request, "cassandra_tls"):
            cassandra_node.script("stop", timeout=STOP_TIMEOUT)
            cassandra_node.script("start")


@pytest.fixture(scope="session")
def spark_cluster() -> Iterator[Spark]:
    external = os.environ.get("EDDY_SPARK")
    if external:
        yield Spark(url=external, master_json=None, driver_ui=None, managed=False)
        return
    status = run_script(SPARK_SH, "status", timeout=60, check=False)
    # status also says 0 for the local-mode server (start --local); `start` then refuses with
    # a message that says to stop it
    started = status.returncode != 0 or "local[2]" in status.stdout
    if started:
        run_script(SPARK_SH, "start")
    try:
        yield Spark(url="sc://127.0.0.1:15002", started=started)
    finally:
        if started:
            run_script(SPARK_SH, "stop", timeout=STOP_TIMEOUT)

"""The Rust integration tests that need the real servers, against the servers the fixtures start.

`cargo test` leaves them out (they are `#[ignore]`d: a plain `cargo test` must pass on a laptop
with nothing running); here the session fixtures of tests/services.py start Apache Kafka
through services/kafka.sh and Apache Cassandra (one node, and three) through
services/cassandra.sh, and the ignored tests run against it with `-- --ignored`. The
test binary is the one the `cargo test -p eddy-prelude` suite already built (same flags,
same target dir), so this costs the tests' own time only. A run that executes no test fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from services import (  # noqa: F401 (the fixtures are used by name)
    cassandra_cluster3,
    cassandra_node,
    kafka_broker,
)

REPO = Path(__file__).resolve().parent.parent


def cargo_ignored(filter_: str, env: dict[str, str], *skip: str) -> str:
    full = {**os.environ, **env, "EDDY_PYTHON": sys.executable}
    full.pop("CI", None)  # install.sh builds without CI set; the same here, so nothing rebuilds
    full.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "eddy" / "target"))
    cmd = ["cargo", "test", "--release", "--locked", "-p", "eddy-prelude", "--lib", filter_,
           "--", "--ignored", "--test-threads=1", *(a for name in skip for a in ("--skip", name))]
    proc = subprocess.run(cmd, cwd=REPO, env=full, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{out[-6000:]}"
    ran = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", out))
    assert ran > 0, f"{' '.join(cmd)} ran no test:\n{out[-3000:]}"
    return out


@pytest.mark.timeout(1800)
def test_stream_against_kafka(kafka_broker):  # noqa: F811
    out = cargo_ignored("stream::kafka", {"EDDY_KAFKA": kafka_broker.bootstrap})
    print(out[-2000:])


@pytest.mark.timeout(1800)
def test_store_against_cassandra(cassandra_node, cassandra_cluster3):  # noqa: F811
    """The store's suite, the cross-backend and Python cross-checks and the killed-node test.
    The PasswordAuthenticator case needs a node restarted with --auth: tests/test_store.py
    runs it through the kernel."""
    out = cargo_ignored(
        "store::tests::cassandra",
        {"EDDY_CASSANDRA": f"{cassandra_node.addresses[0]}:{cassandra_node.port}",
         "EDDY_CASSANDRA3": ",".join(cassandra_cluster3.addresses),
         "EDDY_CASSANDRA_SH": str(REPO / "services" / "cassandra.sh")},
        "cassandra_password_authenticator",
    )
    print(out[-2000:])

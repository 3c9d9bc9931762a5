"""Health probes of services/spark.sh: they ask the running Spark processes, never start one.

    probe.py connect ADDR:PORT        Spark Connect: one AnalyzePlan(SparkVersion) call over gRPC;
                                      prints the server's Spark version
    probe.py master URL [WORKERS]     the standalone master's JSON (URL/json/): prints one line
                                      for the master, one a worker and one an application;
                                      exit 0 when it is ALIVE with at least WORKERS alive workers
    probe.py executors URL N          a driver's REST API (URL/api/v1/...): exit 0 when its
                                      application has N live executors; prints them

Exit 0 yes, 1 no (with what was seen on stdout), 2 usage. Each call gives up after
PROBE_TIMEOUT seconds (default 5). Only the standard library and grpcio are needed: the
Connect request is encoded here by hand (spark/connect/base.proto, the fields below), so a
probe costs a Python start and no pyspark import (Connect is gRPC over HTTP/2, which bash's
/dev/tcp cannot speak).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "5"))

# One fixed session for every probe: each new session id would make the server keep another
# SparkSession (for an hour, spark.connect.session.manager.defaultSessionTimeout).
PROBE_SESSION = "00000000-0000-4000-8000-0000000edd1e"


# ---------------------------------------------------------------------------- protobuf


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _fields(buf: bytes) -> dict[int, list[bytes | int]]:
    """Top-level fields of a protobuf message: number -> values (bytes or ints)."""
    out: dict[int, list[bytes | int]] = {}
    i = 0

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            b = buf[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value: bytes | int = varint()
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n = varint()
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def connect(target: str) -> int:
    import grpc

    # AnalyzePlanRequest: session_id = 1, user_context = 2 (UserContext.user_id = 1),
    # client_type = 3, spark_version = 10 (an empty message)
    request = (_field(1, PROBE_SESSION.encode()) + _field(2, _field(1, b"eddy-probe"))
               + _field(3, b"eddy services/spark/probe.py") + _field(10, b""))
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary("/spark.connect.SparkConnectService/AnalyzePlan")
        try:
            reply = call(request, timeout=TIMEOUT)
        except grpc.RpcError as e:
            print(f"no answer from Spark Connect on {target}: {e.code().name}: {e.details()}")
            return 1
    # AnalyzePlanResponse.spark_version = 8 (SparkVersion.version = 1)
    versions = _fields(reply).get(8)
    if not versions:
        print(f"Spark Connect on {target} answered without a version ({len(reply)} bytes)")
        return 1
    version = _fields(versions[0]).get(1, [b""])[0]
    print(f"Spark {version.decode()}")
    return 0


# ---------------------------------------------------------------------------- HTTP JSON


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
        return json.load(reply)


def master(url: str, want_workers: int) -> int:
    try:
        state = _get_json(url.rstrip("/") + "/json/")
    except (OSError, ValueError) as e:
        print(f"master: no answer from {url}/json/: {e}")
        return 1
    alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
    print(f"master {state.get('url')} {state.get('status')} workers {len(alive)} alive")
    for w in state.get("workers", []):
        print(f"worker {w.get('webuiaddress')} {w.get('state')} cores {w.get('coresused')}/"
              f"{w.get('cores')} memory {w.get('memoryused')}/{w.get('memory')} MB")
    for app in state.get("activeapps", []):
        print(f"app {app.get('id')} {app.get('state')} cores {app.get('cores')} "
              f"name {app.get('name')!r}")
    ok = state.get("status") == "ALIVE" and len(alive) >= want_workers
    return 0 if ok else 1


def executors(url: str, want: int) -> int:
    base = url.rstrip("/") + "/api/v1/applications"
    try:
        apps = _get_json(base)
        if not apps:
            print(f"driver {url}: no application yet")
            return 1
        app = apps[0]["id"]
        found = [e for e in _get_json(f"{base}/{app}/executors")
                 if e.get("id") != "driver" and e.get("isActive")]
    except (OSError, ValueError, KeyError) as e:
        print(f"driver: no answer from {base}: {e}")
        return 1
    print(f"app {app}: {len(found)} executors " + " ".join(e["hostPort"] for e in found))
    return 0 if len(found) >= want else 1


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["connect"] and len(argv) == 2:
            return connect(argv[1])
        if argv[:1] == ["master"] and len(argv) in (2, 3):
            return master(argv[1], int(argv[2]) if len(argv) == 3 else 0)
        if argv[:1] == ["executors"] and len(argv) == 3:
            return executors(argv[1], int(argv[2]))
    except ValueError as e:
        print(e)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

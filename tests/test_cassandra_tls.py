"""Client-to-node TLS: services/cassandra.sh start --tls, checked with the Python cassandra-driver.

The `cassandra_tls` fixture (services.py) restarts the one-node cluster with
client_encryption_options on (optional: false) and gives the CA's PEM file; the tests check
that a verifying TLS client round-trips rows exactly, that clear-text clients and clients that
do not trust the CA, or expect another host name, are refused, and that `status` still
tells a TLS node that answers. These tests share one TLS start; the node is plain again after
the last of them.
"""

from __future__ import annotations

import os
import socket
import ssl
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cassandra.cluster import Cluster, NoHostAvailable, Session
from cassandra.concurrent import execute_concurrent_with_args
from services import (  # noqa: F401 (the fixtures are used by name)
    Cassandra,
    cassandra_node,
    cassandra_tls,
)

# a restart to --tls and one back to plain, at load 5-10 on two cores
pytestmark = pytest.mark.timeout(420)

STARTUP = b"\x04\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0"


def eddy_home() -> Path:
    home = os.environ.get("EDDY_HOME")
    if home:
        return Path(home)
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "eddy"


def tls_connect(c: Cassandra, ctx: ssl.SSLContext, **kwargs) -> tuple[Cluster, Session]:
    cluster = Cluster(c.contact_points, port=c.port, ssl_context=ctx, connect_timeout=20, **kwargs)
    try:
        return cluster, cluster.connect()
    except BaseException:
        cluster.shutdown()
        raise


def refused(c: Cassandra, **kwargs) -> NoHostAvailable:
    """Connect with these Cluster arguments; the connection must fail. Returns the error."""
    cluster = Cluster(c.contact_points, port=c.port, connect_timeout=10, **kwargs)
    try:
        with pytest.raises(NoHostAvailable) as err:
            cluster.connect()
    finally:
        cluster.shutdown()
    return err.value


def test_tls_status_and_certificate(cassandra_tls: Cassandra) -> None:
    c = cassandra_tls
    assert c.tls_ca == eddy_home() / "services" / "cassandra" / "tls" / "ca.pem"
    assert c.tls_ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    status = c.script("status", check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "eddy node 1 (127.0.0.1): running, CQL answers over TLS (pid " in status.stdout

    # the node's certificate: signed by the CA, and names 127.0.0.1 and localhost
    ctx = c.ssl_context()
    for name in ("127.0.0.1", "localhost"):
        with socket.create_connection(("127.0.0.1", c.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                cert = tls.getpeercert()
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert {("IP Address", "127.0.0.1"), ("DNS", "localhost")} <= set(cert["subjectAltName"])
        assert dict(x[0] for x in cert["issuer"])["commonName"] == "eddy test CA"


def test_tls_write_read_exact(cassandra_tls: Cassandra) -> None:
    ctx = cassandra_tls.ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    cluster, session = tls_connect(cassandra_tls, ctx)
    try:
        # every connection of the pool is TLS, verified against the CA
        conns = [cluster.control_connection._connection]
        for pool in session.get_pools():
            conns.append(pool._connection)  # HostConnection: one connection a host
        assert conns and all(isinstance(conn._socket, ssl.SSLSocket) for conn in conns)
        assert all(conn._socket.getpeercert() for conn in conns)

        ks = f"eddy_tls_{uuid.uuid4().hex}"
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute(f"CREATE TABLE {ks}.quotes (symbol text, ts timestamp, price double, "
                        "volume bigint, note text, raw blob, amount decimal, "
                        "PRIMARY KEY (symbol, ts)) WITH CLUSTERING ORDER BY (ts ASC)")
        t0 = datetime(2024, 1, 2, 14, 30)
        rows = [(s, t0 + timedelta(minutes=i), round(100 + 10 * k + i * 0.25, 2) + 1e-9,
                 2**40 + i, f"{s} № {i} ✓", bytes([i % 256, 0, 255]), Decimal(f"{i}.{k}01"))
                for k, s in enumerate(["AAPL", "MSFT", "XOM"]) for i in range(200)]
        insert = session.prepare(f"INSERT INTO {ks}.quotes (symbol, ts, price, volume, note, raw, amount) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)")
        results = execute_concurrent_with_args(session, insert, rows[::-1], concurrency=50)
        assert all(ok for ok, _ in results)

        assert session.execute(f"SELECT count(*) FROM {ks}.quotes").one()[0] == len(rows)
        select = session.prepare(f"SELECT symbol, ts, price, volume, note, raw, amount "
                                 f"FROM {ks}.quotes WHERE symbol = ?")
        for symbol in ["AAPL", "MSFT", "XOM"]:
            got = [tuple(r) for r in session.execute(select, [symbol])]
            assert got == [r for r in rows if r[0] == symbol]  # exact values, ts ascending
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()


def test_tls_refuses_plaintext(cassandra_tls: Cassandra) -> None:
    err = refused(cassandra_tls)  # cassandra-driver without ssl_context
    assert "127.0.0.1:9042" in str(err)
    # on the wire: a clear-text STARTUP gets no CQL answer (a v4 response starts with 0x84)
    with socket.create_connection(("127.0.0.1", cassandra_tls.port), timeout=10) as raw:
        raw.sendall(STARTUP)
        try:
            answer = raw.recv(64)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert not answer.startswith(b"\x84"), answer


def test_tls_refuses_unverified_node(cassandra_tls: Cassandra) -> None:
    # the system's CAs did not sign the node's certificate
    system = ssl.create_default_context()
    assert system.verify_mode == ssl.CERT_REQUIRED
    err = refused(cassandra_tls, ssl_context=system)
    assert "CERTIFICATE_VERIFY_FAILED" in str(err), err
    # the right CA, but another host name than the certificate's
    err = refused(cassandra_tls, ssl_context=cassandra_tls.ssl_context(),
                  ssl_options={"server_hostname": "cassandra.example.com"})
    assert "CERTIFICATE_VERIFY_FAILED" in str(err) and "cassandra.example.com" in str(err), err
    # an IP address the certificate does not name
    with socket.create_connection(("127.0.0.1", cassandra_tls.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="127.0.0.9"):
            cassandra_tls.ssl_context().wrap_socket(raw, server_hostname="127.0.0.9")


def test_eddy_store_over_tls_round_trips_and_needs_the_ca(kernel, cassandra_tls: Cassandra) -> None:
    """eddy's Store in a cell: `tls_ca_file` connects over TLS and round-trips the bundled
    quotes exactly (counted and summed by the Python driver over its own TLS connection);
    without TLS, and with a CA that did not sign the node's certificate, it fails clearly."""
    ks = f"eddy_tls_{uuid.uuid4().hex[:10]}"
    ca = cassandra_tls.tls_ca
    cell = kernel.ok(
        f'let store = Store::cassandra_builder(&["127.0.0.1"], "{ks}").tls_ca_file("{ca}").build()?;\n'
        'let quotes = to_long(&sp500()?.select(["Date", "JPM", "KO"])?, "Date")?;\n'
        "store.write(&quotes)?;\n"
        'let back = store.range("JPM", ..)?;\n'
        'println!("rows\\t{}\\t{}", store.count()?, back.height());\n'
        'println!("sum\\t{:?}", back.column("price")?.f64()?.sum().unwrap());',
        timeout=300,
    )
    out = dict(line.split("\t", 1) for line in cell.stream().splitlines() if "\t" in line)
    cluster = Cluster(["127.0.0.1"], ssl_context=cassandra_tls.ssl_context())
    try:
        session = cluster.connect()
        prices = [r.price for r in session.execute(f"SELECT price FROM {ks}.quotes WHERE symbol = 'JPM'")]
        total = session.execute(f"SELECT count(*) FROM {ks}.quotes").one()[0]
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()
    assert out["rows"].split("\t") == [str(total), str(len(prices))]
    assert float(out["sum"]) == pytest.approx(sum(prices), rel=1e-12)

    plain = kernel.execute(f'let plain = Store::cassandra(&["127.0.0.1"], "{ks}")?;')
    assert plain.status == "error" and "Store::cassandra" in plain.error_text(), plain.describe()
    wrong_ca = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    bad = kernel.execute(
        f'let bad = Store::cassandra_builder(&["127.0.0.1"], "{ks}").tls_ca_file("{wrong_ca}").build()?;')
    assert bad.status == "error", bad.describe()
    missing = kernel.execute(
        f'let missing = Store::cassandra_builder(&["127.0.0.1"], "{ks}").tls_ca_file("/nonexistent/ca.pem").build()?;')
    assert missing.status == "error" and "/nonexistent/ca.pem" in missing.error_text()

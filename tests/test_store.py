"""eddy's Store in the kernel, against the real Cassandra started by services/cassandra.sh
and checked with the Python cassandra-driver (and sqlite3 for the embedded file) in the same
run: what a cell writes Python reads back bit for bit and the other way round, both backends
give identical frames, range bounds are half-open, a three-node cluster with RF 3 keeps
QUORUM working with a node killed while ALL fails clearly, PasswordAuthenticator logins,
and an unreachable cluster fails clearly within 10 s.

Values cross the kernel boundary as exact text: prices as the 16 hex digits of their bits,
symbols as the hex of their UTF-8 bytes (they carry quotes, CQL and newlines).
"""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
import struct
import time
import uuid

import pandas as pd
import pytest
from cassandra import ConsistencyLevel
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.query import tuple_factory
from references import SP500
from services import (  # noqa: F401 (the fixtures are used by name)
    Cassandra,
    cassandra_cluster3,
    cassandra_node,
)

EPOCH = dt.datetime(1970, 1, 1)

# Rows that catch any conversion: signed zero, subnormals, extremes, infinities, not-short
# decimals, a null price, times before the epoch and with odd milliseconds, and symbols that
# are CQL, SQL, quotes and non-ASCII text.
HOSTILE = "'); DROP TABLE quotes; --"
HARD_ROWS = [
    (HOSTILE, -1, -0.0),
    (HOSTILE, 1_704_187_800_123, 5e-324),
    ("x' OR '1'='1", 0, 1.7976931348623157e308),
    ("ünïcødé 株式 📈", 86_400_000, 0.1 + 0.2),
    ("semi;colon\nnewline", -2_208_988_800_001, -1.0 / 3.0),
    ("KO", 1, float("inf")),
    ("KO", 2, float("-inf")),
    ("KO", 3, None),
    ("KO", 4, 2.2250738585072014e-308),
]


def bits(price: float | None) -> str | None:
    return None if price is None else struct.pack(">d", price).hex()


def ms(ts: dt.datetime) -> int:
    return (ts - EPOCH) // dt.timedelta(milliseconds=1)


def node_addr(c: Cassandra) -> str:
    return f"{c.addresses[0]}:{c.port}"


def connect(c: Cassandra, **kw) -> tuple[Cluster, object]:
    profile = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, row_factory=tuple_factory,
                               request_timeout=30)
    cluster = Cluster(c.contact_points, port=c.port, execution_profiles={EXEC_PROFILE_DEFAULT: profile}, **kw)
    return cluster, cluster.connect()


def keyspace_name() -> str:
    return f"eddy_test_{uuid.uuid4().hex[:12]}"


def rust_frame(rows) -> str:
    """A Rust expression building the canonical quote frame of `rows` (symbol, ms, price)."""
    symbols = ", ".join(rust_string(s) for s, _, _ in rows)
    ts = ", ".join(f"{t}i64" for _, t, _ in rows)
    prices = ", ".join("None" if p is None else f"Some(f64::from_bits(0x{bits(p)}))" for _, _, p in rows)
    return (f'df!("symbol" => [{symbols}], "ts" => [{ts}], "price" => [{prices}])?'
            '.lazy().with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None))).collect()?')


def rust_string(s: str) -> str:
    """A Rust string literal for any text: every character as a \\u{...} escape."""
    return '"' + "".join(f"\\u{{{ord(ch):x}}}" for ch in s) + '"'


# A cell helper: prints every row of a quote frame as `row<TAB>symbol hex<TAB>ms<TAB>price bits`.
PRINT_ROWS = """
fn print_rows(tag: &str, df: &DataFrame) -> Result<(), Box<dyn std::error::Error>> {
    let s = df.column("symbol")?.str()?.clone();
    let t = df.column("ts")?.to_physical_repr().i64()?.clone();
    let p = df.column("price")?.f64()?.clone();
    for i in 0..df.height() {
        let hex: String = s.get(i).unwrap().bytes().map(|b| format!("{b:02x}")).collect();
        let price = p.get(i).map(|v| format!("{:016x}", v.to_bits())).unwrap_or("null".into());
        println!("{tag}\\t{hex}\\t{}\\t{price}", t.get(i).unwrap());
    }
    Ok(())
}
"""


def parse_rows(stdout: str, tag: str) -> list[tuple[str, int, str | None]]:
    out = []
    for line in stdout.splitlines():
        parts = line.split("\t")
        if parts[0] == tag and len(parts) == 4:
            out.append((bytes.fromhex(parts[1]).decode(), int(parts[2]), None if parts[3] == "null" else parts[3]))
    return out


def sp500_long(symbols: list[str]) -> list[tuple[str, int, str]]:
    """pandas' melt of the bundled CSV, as the store should hold it (nulls dropped)."""
    df = pd.read_csv(SP500, parse_dates=["Date"], float_precision="round_trip")
    long = df.melt(id_vars=["Date"], value_vars=symbols, var_name="symbol", value_name="price").dropna()
    return sorted((r.symbol, ms(r.Date.to_pydatetime()), bits(r.price)) for r in long.itertuples())


def test_cell_writes_python_reads_bit_for_bit(kernel, cassandra_node: Cassandra, tmp_path) -> None:
    ks = keyspace_name()
    db = tmp_path / "quotes.db"
    kernel.ok(
        f'let cassandra = Store::cassandra(&["{node_addr(cassandra_node)}"], "{ks}")?;\n'
        f'let embedded = Store::embedded("{db}")?;\n'
        'let quotes = to_long(&sp500()?.select(["Date", "AAPL", "KO"])?, "Date")?;\n'
        f"let hard = {rust_frame([(s, t, p) for s, t, p in HARD_ROWS])};\n"
        "for store in [&cassandra, &embedded] { store.write(&quotes)?; store.write(&hard)?; store.write(&quotes)?; }\n"
        'println!("count\\t{}\\t{}", cassandra.count()?, embedded.count()?);'
    )
    want = sorted(set(sp500_long(["AAPL", "KO"]) + [(s, t, bits(p)) for s, t, p in HARD_ROWS]))
    cluster, session = connect(cassandra_node)
    try:
        got = sorted((s, ms(t), bits(p)) for s, t, p in session.execute(f"SELECT symbol, ts, price FROM {ks}.quotes"))
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()
    assert got == want
    with sqlite3.connect(db) as con:
        embedded = sorted((s, t, bits(p)) for s, t, p in con.execute("SELECT symbol, ts, price FROM quotes"))
    assert embedded == want


def test_python_writes_cell_reads_bit_for_bit(kernel, cassandra_node: Cassandra) -> None:
    ks = keyspace_name()
    cluster, session = connect(cassandra_node)
    try:
        # the store creates the keyspace and table; Python writes into them
        kernel.ok(f'let store = Store::cassandra(&["{node_addr(cassandra_node)}"], "{ks}")?;\n{PRINT_ROWS}')
        insert = session.prepare(f"INSERT INTO {ks}.quotes (symbol, ts, price) VALUES (?, ?, ?)")
        for s, t, p in HARD_ROWS:
            session.execute(insert, (s, EPOCH + dt.timedelta(milliseconds=t), p))
        cell = kernel.ok(
            'print_rows("scan", &store.scan()?)?;\n'
            f'print_rows("range", &store.range({rust_string(HOSTILE)}, ..)?)?;\n'
            'println!("symbols\\t{}", store.symbols()?.len());'
        )
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()
    want = sorted((s, t, bits(p)) for s, t, p in HARD_ROWS)
    assert parse_rows(cell.stream(), "scan") == want  # scan: ordered by symbol, then ts
    assert parse_rows(cell.stream(), "range") == [r for r in want if r[0] == HOSTILE]
    assert f"symbols\t{len({s for s, _, _ in HARD_ROWS})}" in cell.stream()


def test_both_backends_give_identical_frames_and_half_open_ranges(kernel, cassandra_node: Cassandra) -> None:
    ks = keyspace_name()
    cell = kernel.ok(
        f'let cassandra = Store::cassandra_builder(&["{node_addr(cassandra_node)}"], "{ks}").consistency(Consistency::One).build()?;\n'
        "let embedded = Store::embedded_in_memory()?;\n"
        'let quotes = to_long(&sp500()?.select(["Date", "MSFT", "XOM", "JNJ"])?, "Date")?;\n'
        f"let hard = {rust_frame(HARD_ROWS)};\n"
        "for store in [&cassandra, &embedded] { store.write(&quotes)?; store.write(&hard)?; }\n"
        'println!("scan\\t{}", cassandra.scan()?.equals_missing(&embedded.scan()?));\n'
        "let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();\n"
        'for (from, to) in [(d(2020, 3, 9), d(2020, 3, 16)), (d(1990, 1, 1), d(2000, 1, 1)), (d(2021, 1, 4), d(2021, 1, 5))] {\n'
        '    let (a, b) = (cassandra.range("MSFT", from..to)?, embedded.range("MSFT", from..to)?);\n'
        '    println!("range\\t{from}\\t{to}\\t{}\\t{}", a.height(), a.equals_missing(&b));\n'
        "}\n"
        'println!("symbols\\t{}", cassandra.symbols()? == embedded.symbols()?);\n'
        'println!("count\\t{}\\t{}", cassandra.count()?, embedded.count()?);'
    )
    out = cell.stream()
    assert "scan\ttrue" in out, cell.describe()
    assert "symbols\ttrue" in out
    df = pd.read_csv(SP500, parse_dates=["Date"])
    msft = df.dropna(subset=["MSFT"])
    for line in out.splitlines():
        if line.startswith("range\t"):
            _, start, end, n, same = line.split("\t")
            want = ((msft.Date >= start) & (msft.Date < end)).sum()  # half-open, as pandas' between(inclusive="left")
            assert (int(n), same) == (want, "true"), line
    n_long = int(df[["MSFT", "XOM", "JNJ"]].notna().sum().sum()) + len(HARD_ROWS)
    assert f"count\t{n_long}\t{n_long}" in out
    cluster, session = connect(cassandra_node)
    try:
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()


def test_unreachable_cluster_fails_clearly_within_10_s(kernel) -> None:
    # A port that accepts TCP but never answers the CQL handshake: the slow case.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        for addr in ["127.0.0.1:1", f"127.0.0.1:{port}"]:
            cell = kernel.ok(
                "let t0 = std::time::Instant::now();\n"
                f'let err = Store::cassandra(&["{addr}"], "course").unwrap_err();\n'
                'println!("elapsed\\t{}", t0.elapsed().as_secs_f64());\n'
                'println!("kind\\t{}", matches!(err, eddy::Error::Store { kind: eddy::store::StoreErrorKind::Connect, .. }));\n'
                'println!("message\\t{err}");'
            )
            out = dict(line.split("\t", 1) for line in cell.stream().splitlines() if "\t" in line)
            assert float(out["elapsed"]) < 10, out
            assert out["kind"] == "true", out
            assert addr in out["message"] and "services/cassandra.sh start" in out["message"], out
    finally:
        silent.close()


@pytest.mark.cluster3
@pytest.mark.timeout(600)
def test_rf3_quorum_survives_a_killed_node_and_all_fails(kernel, cassandra_cluster3: Cassandra) -> None:
    c = cassandra_cluster3
    c.wait_ring({a: "UN" for a in c.addresses}, timeout=120)
    ks = keyspace_name()
    nodes = ", ".join(f'"{a}:{c.port}"' for a in c.addresses)
    kernel.ok(
        f"let store = Store::cassandra_builder(&[{nodes}], \"{ks}\").replication_factor(3).consistency(Consistency::Quorum).build()?;\n"
        'let before = to_long(&sp500()?.select(["Date", "AAPL", "KO"])?, "Date")?;\n'
        'let after = to_long(&sp500()?.select(["Date", "MSFT", "XOM"])?, "Date")?;\n'
        "store.write(&before)?;"
    )
    c.kill(3)
    try:
        # At once, before the peers notice: QUORUM writes and reads, nothing lost.
        cell = kernel.ok(
            "store.write(&after)?;\n"
            'println!("count\\t{}", store.count()?);\n'
            'println!("scan\\t{}", store.scan()?.height());\n'
            'println!("msft\\t{}", store.range("MSFT", ..)?.height());',
            timeout=180,
        )
        df = pd.read_csv(SP500)
        n = int(df[["AAPL", "KO", "MSFT", "XOM"]].notna().sum().sum())
        assert f"count\t{n}" in cell.stream() and f"scan\t{n}" in cell.stream(), cell.describe()
        assert f"msft\t{int(df.MSFT.notna().sum())}" in cell.stream()
        # Once the peers mark the node down, Python's driver reads the same at QUORUM (before,
        # its range read may time out on the dead replica; the store retries that case).
        c.wait_ring({c.addresses[2]: "DN"}, node=1, timeout=90)
        c.wait_ring({c.addresses[2]: "DN"}, node=2, timeout=60)
        cluster, session = connect(c)
        try:
            got = session.execute(f"SELECT count(*) FROM {ks}.quotes").one()[0]
        finally:
            cluster.shutdown()
        assert got == n
        # ALL needs the dead replica: Unavailable, named as such, with the hint to restart
        # the node or lower the level.
        cell = kernel.execute(
            "let all = store.with_consistency(Consistency::All);\n"
            'println!("write\\t{}", all.write(&before).unwrap_err());\n'
            'println!("read\\t{}", all.scan().unwrap_err());'
        )
        assert cell.status == "ok", cell.describe()
        out = dict(line.split("\t", 1) for line in cell.stream().splitlines() if "\t" in line)
        for what in ("write", "read"):
            msg = out[what]
            assert "Not enough nodes are alive" in msg and "consistency ALL" in msg, msg
            assert "start-node" in msg and "Consistency::Quorum" in msg, msg
    finally:
        c.start_node(3)
    cell = kernel.ok(
        'println!("all\\t{}", store.with_consistency(Consistency::All).scan()?.height());', timeout=180
    )
    assert f"all\t{n}" in cell.stream(), cell.describe()
    cluster, session = connect(c)
    try:
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()


@pytest.fixture
def auth_node(cassandra_node: Cassandra):
    """The one-node cluster restarted with --auth (PasswordAuthenticator), then without."""
    if not cassandra_node.managed:
        pytest.fail("the --auth test restarts services/cassandra.sh's node: unset EDDY_CASSANDRA", pytrace=False)
    cassandra_node.script("stop")
    cassandra_node.script("start", "--auth")
    try:
        yield cassandra_node
    finally:
        cassandra_node.script("stop")
        cassandra_node.script("start")


@pytest.mark.timeout(600)
def test_password_authenticator(kernel, auth_node: Cassandra) -> None:
    ks = keyspace_name()
    addr = node_addr(auth_node)
    cell = kernel.ok(
        f'let anonymous = Store::cassandra(&["{addr}"], "{ks}").unwrap_err();\n'
        f'let wrong = Store::cassandra_builder(&["{addr}"], "{ks}").credentials("cassandra", "wrong").build().unwrap_err();\n'
        "for err in [&anonymous, &wrong] {\n"
        '    println!("auth\\t{}\\t{err}", matches!(err, eddy::Error::Store { kind: eddy::store::StoreErrorKind::Auth, .. }));\n'
        "}\n"
        f'let store = Store::cassandra_builder(&["{addr}"], "{ks}").credentials("cassandra", "cassandra").build()?;\n'
        'store.write(&to_long(&sp500()?.select(["Date", "KO"])?, "Date")?)?;\n'
        'println!("count\\t{}", store.count()?);\n'
        'println!("debug\\t{store:?}");'
    )
    lines = [line.split("\t") for line in cell.stream().splitlines()]
    auth = [rest for tag, *rest in lines if tag == "auth"]
    assert len(auth) == 2 and all(ok == "true" and "credentials(" in msg for ok, msg in auth), auth
    n = int(pd.read_csv(SP500).KO.notna().sum())
    assert ["count", str(n)] in lines
    cluster, session = connect(auth_node, auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
    try:
        assert session.execute(f"SELECT count(*) FROM {ks}.quotes").one()[0] == n
        session.execute(f"DROP KEYSPACE {ks}")
    finally:
        cluster.shutdown()

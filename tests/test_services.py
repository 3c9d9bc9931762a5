"""The real servers behind eddy's streaming and storage tests.

services/kafka.sh and services/cassandra.sh start Apache Kafka and Apache Cassandra (fixtures
in services.py); the reference clients, confluent-kafka and cassandra-driver, round-trip data
through them with exact counts. The three-node test kills a node with SIGKILL and checks what
Cassandra promises: QUORUM keeps working, ALL is refused as Unavailable.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
from cassandra import ConsistencyLevel, Unavailable
from cassandra.cluster import Cluster, Session
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient
from services import (  # noqa: F401 (the fixtures are used by name)
    KAFKA_SH,
    Cassandra,
    Kafka,
    cassandra_cluster3,
    cassandra_node,
    kafka_broker,
    run_script,
)

N_MESSAGES = 3000
PARTITIONS = 3
SYMBOLS = ["AAPL", "MSFT", "NVDA", "XOM"]
ROWS_PER_SYMBOL = 250


# ---------------------------------------------------------------------------- Kafka


def produce_json(kafka: Kafka, topic: str, n: int, partitions: int) -> Counter[int]:
    """Produce n JSON messages, message i to partition i % partitions; delivered per partition."""
    producer = Producer({"bootstrap.servers": kafka.bootstrap, "acks": "all",
                         "enable.idempotence": True, "linger.ms": 5})
    delivered: Counter[int] = Counter()
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, msg) -> None:
        if err is not None:
            errors.append(err)
        else:
            delivered[msg.partition()] += 1

    for i in range(n):
        symbol = SYMBOLS[i % len(SYMBOLS)]
        value = json.dumps({"seq": i, "symbol": symbol, "price": 100.0 + i / 100})
        producer.produce(topic, key=symbol, value=value, partition=i % partitions,
                         on_delivery=on_delivery)
        producer.poll(0)
    assert producer.flush(30) == 0, "messages still in the producer queue after 30 s"
    assert errors == []
    return delivered


def consume_all(kafka: Kafka, topic: str, want: int, timeout: float = 60) -> list[tuple[int, int, dict]]:
    """Read the topic from the start with a fresh group until `want` messages came, then check
    for one more second that nothing else does. Returns (partition, offset, value) tuples."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": f"eddy-test-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    got: list[tuple[int, int, dict]] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                got.append((msg.partition(), msg.offset(), json.loads(msg.value())))
        extra = [m for m in consumer.consume(num_messages=10, timeout=1.0) if m.error() is None]
        assert extra == [], f"{len(extra)} messages more than the {want} produced"
    finally:
        consumer.close()
    return got


def test_kafka_status_says_running(kafka_broker: Kafka) -> None:
    if not kafka_broker.managed:
        pytest.skip("EDDY_KAFKA points at an external broker: kafka.sh does not manage it")
    proc = run_script(KAFKA_SH, "status")
    assert "running on 127.0.0.1:9092" in proc.stdout


def test_kafka_three_partitions_exact_counts(kafka_broker: Kafka) -> None:
    topic = f"eddy-test-{uuid.uuid4()}"
    kafka_broker.create_topic(topic, PARTITIONS)
    metadata = AdminClient({"bootstrap.servers": kafka_broker.bootstrap}).list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == PARTITIONS

    delivered = produce_json(kafka_broker, topic, N_MESSAGES, PARTITIONS)
    assert delivered == {p: N_MESSAGES // PARTITIONS for p in range(PARTITIONS)}

    got = consume_all(kafka_broker, topic, N_MESSAGES)
    assert len(got) == N_MESSAGES
    assert sorted(v["seq"] for _, _, v in got) == list(range(N_MESSAGES))  # each exactly once
    assert Counter(p for p, _, _ in got) == delivered
    for p in range(PARTITIONS):  # a partition keeps the produce order
        in_partition = sorted((off, v["seq"]) for part, off, v in got if part == p)
        assert [off for off, _ in in_partition] == list(range(N_MESSAGES // PARTITIONS))
        assert [seq for _, seq in in_partition] == list(range(p, N_MESSAGES, PARTITIONS))


def test_kafka_create_topic_is_idempotent_and_checks_partitions(kafka_broker: Kafka) -> None:
    if not kafka_broker.managed:
        pytest.skip("EDDY_KAFKA points at an external broker: kafka.sh does not manage it")
    topic = f"eddy-test-{uuid.uuid4()}"
    kafka_broker.create_topic(topic, 2)
    again = run_script(KAFKA_SH, "create-topic", topic, "2")
    assert "exists with 2 partitions" in again.stdout
    other = run_script(KAFKA_SH, "create-topic", topic, "5", check=False)
    assert other.returncode != 0
    assert "exists with 2 partitions, not 5" in other.stderr


def test_kafka_stop_status_start_keeps_messages(kafka_broker: Kafka) -> None:
    if not kafka_broker.managed:
        pytest.skip("EDDY_KAFKA points at an external broker: this test stops kafka.sh's")
    topic = f"eddy-test-{uuid.uuid4()}"
    kafka_broker.create_topic(topic, 1)
    produce_json(kafka_broker, topic, 100, 1)

    t0 = time.monotonic()
    assert "stopped" in run_script(KAFKA_SH, "stop", timeout=120).stdout
    stop_s = time.monotonic() - t0
    status = run_script(KAFKA_SH, "status", check=False)
    assert (status.returncode, status.stdout.strip()) == (3, "kafka.sh: stopped")

    t0 = time.monotonic()
    run_script(KAFKA_SH, "start")
    start_s = time.monotonic() - t0
    assert run_script(KAFKA_SH, "status", check=False).returncode == 0
    print(f"kafka: stop {stop_s:.1f} s, start {start_s:.1f} s")

    got = consume_all(kafka_broker, topic, 100)
    assert [v["seq"] for _, _, v in got] == list(range(100))


# ---------------------------------------------------------------------------- Cassandra


def connect(cassandra: Cassandra) -> tuple[Cluster, Session]:
    cluster = Cluster(cassandra.contact_points, port=cassandra.port, connect_timeout=10)
    return cluster, cluster.connect()


def create_quotes(session: Session, replication_factor: int) -> str:
    keyspace = f"eddy_test_{uuid.uuid4().hex}"
    session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = "
                    f"{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")
    session.execute(f"CREATE TABLE {keyspace}.quotes (symbol text, ts timestamp, price double, "
                    "PRIMARY KEY (symbol, ts)) WITH CLUSTERING ORDER BY (ts ASC)")
    return keyspace


def quote_rows(start: int = 0, per_symbol: int = ROWS_PER_SYMBOL) -> list[tuple[str, datetime, float]]:
    """(symbol, ts, price) rows, one a minute; timestamps are naive UTC with millisecond
    precision, which is what Cassandra stores and the driver returns."""
    t0 = datetime(2024, 1, 2, 14, 30)
    return [(s, t0 + timedelta(minutes=i), round(100 + 10 * k + i * 0.25, 2))
            for k, s in enumerate(SYMBOLS) for i in range(start, start + per_symbol)]


def test_cassandra_write_read_quotes(cassandra_node: Cassandra) -> None:
    cluster, session = connect(cassandra_node)
    try:
        keyspace = create_quotes(session, 1)
        rows = quote_rows()
        insert = session.prepare(f"INSERT INTO {keyspace}.quotes (symbol, ts, price) VALUES (?, ?, ?)")
        # written in reverse time order: the clustering order must sort them back
        results = execute_concurrent_with_args(session, insert, rows[::-1], concurrency=50)
        assert all(ok for ok, _ in results)

        count = session.execute(f"SELECT count(*) FROM {keyspace}.quotes").one()[0]
        assert count == len(rows)
        select = session.prepare(f"SELECT symbol, ts, price FROM {keyspace}.quotes WHERE symbol = ?")
        for symbol in SYMBOLS:
            got = [tuple(r) for r in session.execute(select, [symbol])]
            assert got == [r for r in rows if r[0] == symbol]  # exact values, ts ascending
        window = session.execute(
            f"SELECT price FROM {keyspace}.quotes WHERE symbol = 'MSFT' AND ts >= %s AND ts < %s",
            [datetime(2024, 1, 2, 15, 0), datetime(2024, 1, 2, 15, 10)]).all()
        assert [r.price for r in window] == [round(110 + i * 0.25, 2) for i in range(30, 40)]
        session.execute(f"DROP KEYSPACE {keyspace}")
    finally:
        cluster.shutdown()


def test_cassandra_status_says_running(cassandra_node: Cassandra) -> None:
    if not cassandra_node.managed:
        pytest.skip("EDDY_CASSANDRA points at an external node: cassandra.sh does not manage it")
    proc = cassandra_node.script("status")
    assert "eddy node 1 (127.0.0.1): running, CQL answers" in proc.stdout


def test_cassandra_stop_status_start_keeps_rows(cassandra_node: Cassandra) -> None:
    if not cassandra_node.managed:
        pytest.skip("EDDY_CASSANDRA points at an external node: this test stops cassandra.sh's")
    cluster, session = connect(cassandra_node)
    try:
        keyspace = create_quotes(session, 1)
        insert = session.prepare(f"INSERT INTO {keyspace}.quotes (symbol, ts, price) VALUES (?, ?, ?)")
        rows = quote_rows(per_symbol=10)
        assert all(ok for ok, _ in execute_concurrent_with_args(session, insert, rows))
    finally:
        cluster.shutdown()

    t0 = time.monotonic()
    assert "stopped node(s) 1" in cassandra_node.script("stop").stdout
    stop_s = time.monotonic() - t0
    status = cassandra_node.script("status", check=False)
    assert status.returncode == 3
    assert "eddy node 1 (127.0.0.1): stopped" in status.stdout
    t0 = time.monotonic()
    cassandra_node.script("start")
    start_s = time.monotonic() - t0
    print(f"cassandra (1 node): stop {stop_s:.1f} s, start {start_s:.1f} s")

    cluster, session = connect(cassandra_node)
    try:
        got = [tuple(r) for r in session.execute(f"SELECT symbol, ts, price FROM {keyspace}.quotes")]
        assert sorted(got) == sorted(rows)
        session.execute(f"DROP KEYSPACE {keyspace}")
    finally:
        cluster.shutdown()


@pytest.mark.cluster3
@pytest.mark.timeout(480)
def test_cluster3_quorum_survives_a_killed_node(cassandra_cluster3: Cassandra) -> None:
    c = cassandra_cluster3
    killed = c.addresses[2]
    c.wait_ring({a: "UN" for a in c.addresses}, timeout=120)
    cluster, session = connect(c)
    keyspace = None
    try:
        keyspace = create_quotes(session, 3)
        insert = session.prepare(f"INSERT INTO {keyspace}.quotes (symbol, ts, price) VALUES (?, ?, ?)")
        before = quote_rows(per_symbol=20)
        insert.consistency_level = ConsistencyLevel.ALL
        assert all(ok for ok, _ in execute_concurrent_with_args(session, insert, before))

        c.kill(3)
        # both peers must see it down: then the coordinator refuses ALL up front (Unavailable)
        dn_s = c.wait_ring({killed: "DN"}, node=1, timeout=90)
        c.wait_ring({killed: "DN"}, node=2, timeout=60)
        print(f"cassandra (3 nodes): killed node seen DN after {dn_s:.1f} s")

        insert.consistency_level = ConsistencyLevel.QUORUM
        after = quote_rows(start=20, per_symbol=20)
        assert all(ok for ok, _ in execute_concurrent_with_args(session, insert, after))
        read = SimpleStatement(f"SELECT symbol, ts, price FROM {keyspace}.quotes",
                               consistency_level=ConsistencyLevel.QUORUM)
        assert sorted(tuple(r) for r in session.execute(read)) == sorted(before + after)

        write_all = SimpleStatement(
            f"INSERT INTO {keyspace}.quotes (symbol, ts, price) VALUES ('AAPL', '2030-01-01', 1.0)",
            consistency_level=ConsistencyLevel.ALL)
        with pytest.raises(Unavailable) as err:
            session.execute(write_all)
        assert err.value.consistency == ConsistencyLevel.ALL
        assert (err.value.required_replicas, err.value.alive_replicas) == (3, 2)
        read.consistency_level = ConsistencyLevel.ALL
        with pytest.raises(Unavailable):
            session.execute(read)
    finally:
        cluster.shutdown()
        # leave the cluster whole for the tests that come after
        c.start_node(3)
        c.wait_ring({a: "UN" for a in c.addresses}, node=1, timeout=120)
        if keyspace:
            cluster, session = connect(c)
            try:
                session.execute(f"DROP KEYSPACE {keyspace}")
            finally:
                cluster.shutdown()

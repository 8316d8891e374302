# Diagnostic smoke check of the running test broker (tansu) with PyPI confluent-kafka; not part of the test suite.
"""Usage: python3 tests/scripts/smoke_broker.py [BOOTSTRAP]   (needs `pip install confluent-kafka`)

BOOTSTRAP defaults to 127.0.0.1:${CONNECT_BROKER_PORT:-9092}. Checks what the tests rely on: CreateTopics,
keyed produce with headers, group consume, offset commit, compacted-topic config, DeleteTopics. Known tansu
deviations from Apache Kafka (see TEST-INFRA.md) are printed as NOTE lines, not failures. Exit 1 on any FAIL.
"""

import os
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, OffsetSpec, ResourceType

N = 1000
BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else f"127.0.0.1:{os.environ.get('CONNECT_BROKER_PORT', '9092')}"
RUN = uuid.uuid4().hex[:8]
failures = []


def ok(msg):
    print(f"ok    {msg}")


def note(msg):
    print(f"NOTE  {msg}")


def fail(msg):
    print(f"FAIL  {msg}")
    failures.append(msg)


def create_topic(admin, name, partitions, config=None):
    t0 = time.monotonic()
    fut = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})])
    fut[name].result(timeout=30)
    return time.monotonic() - t0


def partition_count(admin, name):
    md = admin.list_topics(topic=name, timeout=10)
    t = md.topics.get(name)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


def main():
    print(f"broker {BOOTSTRAP}, run id {RUN}, confluent-kafka {__import__('confluent_kafka').version()}, "
          f"librdkafka {__import__('confluent_kafka').libversion()[0]}")
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    md = admin.list_topics(timeout=10)
    ok(f"metadata: brokers {[(b.id, b.host, b.port) for b in md.brokers.values()]}, cluster id {md.cluster_id}")

    topic = f"smoke-{RUN}"
    took = create_topic(admin, topic, 1)
    n = partition_count(admin, topic)
    (ok if n == 1 else fail)(f"created {topic} with 1 partition in {took * 1000:.0f} ms (metadata says {n})")

    # Produce N keyed records with headers; small linger so several records share a batch.
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5})
    delivered, errors = [], []

    def on_delivery(err, msg):
        (errors if err else delivered).append(err or msg.offset())

    t0 = time.monotonic()
    for i in range(N):
        producer.produce(topic, key=f"key-{i}", value=f"value-{i}".encode(), partition=0,
                         headers=[("seq", str(i).encode()), ("source", b"smoke")], on_delivery=on_delivery)
    left = producer.flush(30)
    took = time.monotonic() - t0
    if errors or left or len(delivered) != N:
        fail(f"produce: {len(delivered)} delivered, {len(errors)} errors {errors[:3]}, {left} left in queue")
    else:
        ok(f"produced {N} keyed records with headers in {took * 1000:.0f} ms, "
           f"offsets {min(delivered)}..{max(delivered)}")

    # Watermarks and ListOffsets: Kafka would say low 0, high N.
    probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"probe-{RUN}"})
    low, high = probe.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    probe.close()
    tp = TopicPartition(topic, 0)
    lo = admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result(timeout=10).offset
    hi = admin.list_offsets({tp: OffsetSpec.latest()})[tp].result(timeout=10).offset
    msg = f"watermarks low={low} high={high}; ListOffsets earliest={lo} latest={hi} (Kafka: 0 and {N})"
    (ok if (low, high, lo, hi) == (0, N, 0, N) else note)(msg)

    # Consume with a consumer group: time the first join, check order, keys, values, headers, commit.
    # tansu holds the first JoinGroup for about half of session.timeout.ms (librdkafka default 45 s -> ~23 s);
    # 10 s is Kafka Connect's default and gives ~5 s.
    joined = {}
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"smoke-group-{RUN}", "session.timeout.ms": 10000,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    t0 = time.monotonic()
    consumer.subscribe([topic], on_assign=lambda c, parts: joined.setdefault("at", time.monotonic()))
    got, first_at, deadline = [], None, time.monotonic() + 60
    while len(got) < N and time.monotonic() < deadline:
        m = consumer.poll(1.0)
        if m is None:
            continue
        if m.error():
            fail(f"consume error {m.error()}")
            break
        first_at = first_at or time.monotonic()
        got.append(m)
    join_s = (joined.get("at", t0) - t0) if joined else float("nan")
    first_s = (first_at - t0) if first_at else float("nan")
    bad = [m.offset() for i, m in enumerate(got)
           if m.offset() != i or m.key() != f"key-{i}".encode() or m.value() != f"value-{i}".encode()
           or m.headers() != [("seq", str(i).encode()), ("source", b"smoke")]]
    if len(got) == N and not bad:
        ok(f"group consume: {N} records in order with keys and headers; join {join_s:.2f} s, "
           f"first record {first_s:.2f} s, all {time.monotonic() - t0:.2f} s after subscribe")
    else:
        fail(f"group consume: got {len(got)}/{N}, {len(bad)} mismatched (first at offsets {bad[:5]})")
    if got:
        consumer.commit(message=got[-1], asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        (ok if committed == len(got) else fail)(f"committed offset {committed} (expected {len(got)})")
    consumer.close()

    # Same records without a group (assign): isolates group-join latency from fetch latency.
    c2 = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"unused-{RUN}", "enable.auto.commit": False})
    t0 = time.monotonic()
    c2.assign([TopicPartition(topic, 0, 0)])
    count, deadline = 0, time.monotonic() + 30
    while count < N and time.monotonic() < deadline:
        m = c2.poll(1.0)
        if m is not None and not m.error():
            count += 1
    c2.close()
    (ok if count == N else fail)(f"assign consume (no group): {count}/{N} records in {time.monotonic() - t0:.2f} s")

    # Auto-created topic: how many partitions does the broker give it?
    auto = f"smoke-auto-{RUN}"
    p2 = Producer({"bootstrap.servers": BOOTSTRAP})
    p2.produce(auto, key=b"k", value=b"v")
    left = p2.flush(30)
    n = partition_count(admin, auto)
    if left or n is None:
        fail(f"auto-create {auto} by producing: {left} undelivered, metadata partitions {n}")
    else:
        (ok if n == 1 else note)(f"auto-created {auto} has {n} partitions (create topics explicitly in tests)")

    # Compacted topic and its config.
    compact = f"smoke-compact-{RUN}"
    create_topic(admin, compact, 1, {"cleanup.policy": "compact"})
    res = ConfigResource(ResourceType.TOPIC, compact)
    entries = admin.describe_configs([res])[res].result(timeout=10)
    policy = entries["cleanup.policy"].value if "cleanup.policy" in entries else None
    (ok if policy == "compact" else fail)(
        f"describe_configs({compact}): cleanup.policy={policy}, {len(entries)} entries: {sorted(entries)[:8]}")

    # Broker configs (TEST-INFRA.md: tansu returns none).
    try:
        bres = ConfigResource(ResourceType.BROKER, str(next(iter(md.brokers))))
        bentries = admin.describe_configs([bres])[bres].result(timeout=10)
        note(f"describe_configs(broker): {len(bentries)} entries")
    except KafkaException as e:
        note(f"describe_configs(broker) failed: {e}")

    # Clean up.
    topics = [topic, auto, compact]
    for name, fut in admin.delete_topics(topics, operation_timeout=30).items():
        try:
            fut.result(timeout=30)
        except KafkaException as e:
            fail(f"delete {name}: {e}")
    left = [t for t in topics if t in admin.list_topics(timeout=10).topics]
    (ok if not left else fail)(f"deleted {len(topics)} topics" + (f", still listed: {left}" if left else ""))

    print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

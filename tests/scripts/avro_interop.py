#!/usr/bin/env python3
"""Avro interop helper for tests/tests/avro_converter.rs: confluent-kafka's AvroSerializer/AvroDeserializer (an
independent implementation of the Confluent wire format) against a Schema Registry.

usage: avro_interop.py REGISTRY_URL serialize|deserialize TOPIC   (request JSON on stdin, answer JSON on stdout)
  serialize:   {"schema": "<avro schema>", "values": [...], "key": false, "conf": {...}} -> ["<hex>", ...]
  deserialize: {"hex": ["<hex>", ...], "key": false}                                     -> [value, ...]
JSON stand-ins: {"$bytes": "<hex>"} for bytes, {"$decimal": "1.56"} for decimals; dates, times and timestamps come
back as ISO strings. Run with PYTHONPATH=<state dir>/schema_registry/python (installed by schema_registry.sh).
"""

import datetime
import decimal
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402


def from_json(v):
    if isinstance(v, dict):
        if set(v) == {"$bytes"}:
            return bytes.fromhex(v["$bytes"])
        if set(v) == {"$decimal"}:
            return decimal.Decimal(v["$decimal"])
        return {k: from_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_json(x) for x in v]
    return v


def to_json(v):
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    return v


def main():
    url, action, topic = sys.argv[1:4]
    request = json.load(sys.stdin)
    client = SchemaRegistryClient({"url": url})
    field = MessageField.KEY if request.get("key") else MessageField.VALUE
    ctx = SerializationContext(topic, field)
    if action == "serialize":
        serializer = AvroSerializer(client, request["schema"], conf=request.get("conf") or None)
        out = [serializer(from_json(v), ctx).hex() for v in request["values"]]
    elif action == "deserialize":
        deserializer = AvroDeserializer(client)
        out = [to_json(deserializer(bytes.fromhex(h), ctx)) for h in request["hex"]]
    else:
        raise SystemExit(f"unknown action {action}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

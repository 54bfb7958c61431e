#!/usr/bin/python3
"""Publishes a PyTorch model's activations to aen-stream's activations topic.

Hooks a layer of any torch.nn.Module and writes what it outputs as ActivationBatch records: Avro
single-object encoding (marker C3 01, the schema's CRC-64-AVRO fingerprint, then the body), the rows
as one little-endian float32 payload, keyed producer-id/sequence like the Java publisher.

    from aen_producer import ActivationPublisher, hook_layer
    with ActivationPublisher("localhost:9092", "aen.activations", "my-model", "blocks.3") as pub:
        handle = hook_layer(model.blocks[3], pub)
        model(tokens)             # every forward pass publishes the hooked rows
        handle.remove()

Needs Debian's python3-confluent-kafka and python3-avro (and python3-torch for hooking).
"""
import argparse
import io
import json
import os
import re
import struct
import sys
import time

import avro.io
import avro.schema
import numpy as np
from confluent_kafka import Producer

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "avro", "src", "main", "avro",
                           "ActivationBatch.avsc")
_EMPTY = 0xC15D213AA4D7A795


def _table():
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_TABLE = _table()


def fingerprint64(data: bytes) -> int:
    """CRC-64-AVRO (Rabin) fingerprint, as the Avro specification defines it."""
    fp = _EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


# Java client settings librdkafka takes under the same name and meaning.
_SAME_KEYS = {"security.protocol", "sasl.mechanism", "client.id", "ssl.endpoint.identification.algorithm",
              "socket.connection.setup.timeout.ms", "metadata.max.age.ms", "retry.backoff.ms",
              "reconnect.backoff.ms", "reconnect.backoff.max.ms"}
_JAAS_VALUE = r'{}\s*=\s*"((?:[^"\\]|\\.)*)"'


def _unescape(text):
    """Undoes Java properties escapes: \\t, \\n, \\r, \\f, \\uXXXX, and a backslash before anything else."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n == "u" and i + 6 <= len(text):
            out.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
        i += 2
    return "".join(out)


def read_java_properties(path):
    """Reads a Java properties file as java.util.Properties does: key=value, key: value or key value lines,
    # and ! comments, backslash continuations and escapes."""
    props, pending = {}, ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            part = raw.rstrip("\r\n").lstrip()
            if not pending and (not part or part[0] in "#!"):
                continue
            line, pending = pending + part, ""
            trailing = len(line) - len(line.rstrip("\\"))
            if trailing % 2 == 1:
                pending = line[:-1]
                continue
            m = re.match(r"((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)", line)
            if m:
                props[_unescape(m.group(1))] = _unescape(m.group(2)).strip()
    return props


def client_config(java_properties):
    """librdkafka settings for the Java client settings of aen's --command-config file.

    Translates what a secured cluster needs (SASL username and password from sasl.jaas.config, a PEM trust
    store to ssl.ca.location, a PEM client key and certificate); refuses what it cannot translate, naming the
    key, never the value.
    """
    out = {}
    for key, value in java_properties.items():
        if key in _SAME_KEYS:
            out[key] = value
        elif key == "sasl.jaas.config":
            for field, target in (("username", "sasl.username"), ("password", "sasl.password")):
                m = re.search(_JAAS_VALUE.format(field), value)
                if m:
                    out[target] = m.group(1).replace('\\"', '"')
        elif key == "ssl.truststore.location":
            if java_properties.get("ssl.truststore.type", "").upper() != "PEM":
                raise ValueError("ssl.truststore.location: the Python producer takes a PEM trust store only"
                                 " (ssl.truststore.type=PEM)")
            out["ssl.ca.location"] = value
        elif key == "ssl.keystore.location":
            if java_properties.get("ssl.keystore.type", "").upper() != "PEM":
                raise ValueError("ssl.keystore.location: the Python producer takes a PEM key store only")
            out["ssl.certificate.location"] = value
            out["ssl.key.location"] = value
        elif key in ("ssl.truststore.type", "ssl.keystore.type", "bootstrap.servers"):
            continue
        elif key in ("ssl.key.password", "ssl.keystore.password"):
            out["ssl.key.password"] = value
        else:
            print(f"aen_producer: ignoring Java-only client setting {key}", file=sys.stderr)
    return out


class ActivationPublisher:
    """Publishes rows x n float32 activations as ActivationBatch records, idempotently and lz4-compressed."""

    def __init__(self, bootstrap_servers, topic, source_model, hook_point, producer_id=None, rows_per_record=512,
                 schema_file=SCHEMA_FILE, client_settings=None):
        with open(schema_file) as f:
            self.schema = avro.schema.parse(f.read())
        self.header = b"\xc3\x01" + struct.pack("<Q", fingerprint64(self.schema.canonical_form.encode("utf-8")))
        self.writer = avro.io.DatumWriter(self.schema)
        settings = dict(client_settings or {})
        settings.update({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True,
                         "compression.type": "lz4", "linger.ms": 5, "message.max.bytes": 16 << 20})
        self.producer = Producer(settings)
        self.topic = topic
        self.source_model = source_model
        self.hook_point = hook_point
        self.producer_id = producer_id or f"python-{os.getpid()}-{int(time.time())}"
        self.rows_per_record = rows_per_record
        self.sequence = 0
        self.rows_published = 0
        self.errors = []

    def publish(self, rows):
        """Publishes a rows x n array, split into records of at most rows_per_record rows."""
        rows = np.ascontiguousarray(rows, dtype="<f4")
        if rows.ndim != 2:
            raise ValueError(f"expected rows x n, got shape {rows.shape}")
        for start in range(0, rows.shape[0], self.rows_per_record):
            part = rows[start:start + self.rows_per_record]
            self._send(part)

    def _send(self, part):
        record = {"sourceModel": self.source_model, "hookPoint": self.hook_point, "rows": int(part.shape[0]),
                  "n": int(part.shape[1]), "dtype": "FLOAT32", "normalisation": "NONE", "scales": None,
                  "producerId": self.producer_id, "sequence": self.sequence, "payload": part.tobytes(),
                  "tokenIds": None, "textOffsets": None, "timestampMs": int(time.time() * 1000)}
        body = io.BytesIO()
        self.writer.write(record, avro.io.BinaryEncoder(body))
        key = f"{self.producer_id}/{self.sequence}".encode()
        while True:
            try:
                self.producer.produce(self.topic, key=key, value=self.header + body.getvalue(), on_delivery=self._delivered)
                break
            except BufferError:
                # Back-pressure: wait for deliveries to make room.
                self.producer.poll(0.1)
        self.producer.poll(0)
        self.sequence += 1
        self.rows_published += part.shape[0]

    def _delivered(self, error, message):
        if error is not None:
            self.errors.append(str(error))

    def flush(self, timeout=60):
        left = self.producer.flush(timeout)
        if left or self.errors:
            raise RuntimeError(f"{left} records undelivered; errors: {self.errors[:3]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.flush()


def hook_layer(module, publisher):
    """Publishes the output of module on every forward pass (all leading dimensions become rows)."""
    def hook(_module, _inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        publisher.publish(out.detach().to("cpu").float().reshape(-1, out.shape[-1]).numpy())
    return module.register_forward_hook(hook)


def _demo(args):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(100, args.n), torch.nn.Linear(args.n, args.n), torch.nn.GELU(),
                                torch.nn.Linear(args.n, args.n))
    settings = client_config(read_java_properties(args.command_config)) if args.command_config else {}
    bootstrap = args.bootstrap_servers
    if bootstrap is None and args.command_config:
        bootstrap = read_java_properties(args.command_config).get("bootstrap.servers")
    if not bootstrap:
        sys.exit("aen_producer: give --bootstrap-servers (or bootstrap.servers in --command-config)")
    with ActivationPublisher(bootstrap, args.topic, "tiny-torch", "1", args.producer_id, args.rows_per_record,
                             client_settings=settings) as pub:
        handle = hook_layer(model[1], pub)
        with torch.no_grad():
            for _ in range(args.batches):
                model(torch.randint(0, 100, (args.batch, args.seq_len)))
        handle.remove()
    print(json.dumps({"rows": pub.rows_published, "records": pub.sequence, "producer_id": pub.producer_id, "n": args.n}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Hook a tiny PyTorch model's layer and publish its activations to aen-stream.")
    parser.add_argument("--bootstrap-servers", "--bootstrap-server")
    parser.add_argument("--command-config", help="Java properties file of Kafka client settings, the file aen's"
                                                 " --command-config takes (SASL and TLS settings are translated)")
    parser.add_argument("--topic", default="aen.activations")
    parser.add_argument("--producer-id")
    parser.add_argument("--n", type=int, default=16, help="width of the hooked layer")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--rows-per-record", type=int, default=48)
    _demo(parser.parse_args())

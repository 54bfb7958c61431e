"""Readers of aen-stream's output topics: codes, alerts, feature statistics, trainer metrics and watch rules.

    from aen_stream import readers
    for batch in readers.codes("localhost:9092"):
        x = batch.csr()                 # scipy.sparse.csr_matrix, rows x D
        print(batch.sae_id, batch.version, x.nnz)

Each reader reads its topic from the start (or from the end with ``from_beginning=False``), committed records
only, without a consumer group's offsets, and stops after ``idle`` seconds without a record or after
``max_records``. Records it cannot read are skipped and counted in ``skipped`` of the reader object
(``readers.Reader``) when it is used directly.
"""
import time
import uuid

import numpy as np
from confluent_kafka import Consumer, KafkaError

from .wire import Codec

#: Bins of a feature's activation histogram (FeatureStats.activationHistogram): below 2^-8, one per octave, above.
HISTOGRAM_BINS = 16


class Reader:
    """Decoded records of one topic, in order per partition."""

    def __init__(self, bootstrap_servers, topic, record, from_beginning=True, client_settings=None):
        settings = dict(client_settings or {})
        settings.update({"bootstrap.servers": bootstrap_servers, "group.id": f"aen-reader-{uuid.uuid4()}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest" if from_beginning else "latest",
                         "fetch.message.max.bytes": 16 << 20})
        self.consumer = Consumer(settings)
        self.consumer.subscribe([topic])
        self.codec = Codec(record)
        self.skipped = 0

    def __iter__(self):
        return self.read()

    def read(self, idle=10.0, max_records=None):
        """Yields (key, record dict) until ``idle`` seconds pass without one, or ``max_records`` came."""
        count = 0
        last = time.monotonic()
        try:
            while max_records is None or count < max_records:
                message = self.consumer.poll(0.5)
                if message is None:
                    if time.monotonic() - last > idle:
                        return
                    continue
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise RuntimeError(f"reading {message.topic()}: {message.error()}")
                last = time.monotonic()
                if message.value() is None:
                    continue
                try:
                    record = self.codec.decode(message.value())
                except (ValueError, EOFError, AssertionError):
                    self.skipped += 1
                    continue
                count += 1
                key = message.key().decode("utf-8", "replace") if message.key() is not None else None
                yield key, record
        finally:
            self.consumer.close()


def _ints(data, dtype="<i4"):
    return None if data is None else np.frombuffer(data, dtype=dtype)


class Codes:
    """One codes record: the sparse codes of (part of) an activation batch by one SAE version."""

    def __init__(self, r):
        self.sae_id = r["saeId"]
        self.version = r["version"]
        self.d = r["d"]
        self.rows = r["rows"]
        self.producer_id = r["producerId"]
        self.sequence = r["sequence"]
        self.first_row = r.get("firstRow", 0)
        self.part = r.get("part", 0)
        self.parts = r.get("parts", 1)
        self.shard = r.get("shard", 0)
        self.shards = r.get("shards", 1)
        self.row_offsets = _ints(r["rowOffsets"])
        self.indices = _ints(r["indices"])
        self.values = np.frombuffer(r["values"], dtype="<f4")
        self.active_counts = _ints(r["activeCounts"])
        self.token_ids = _ints(r.get("tokenIds"))
        offsets = _ints(r.get("textOffsets"))
        self.text_offsets = None if offsets is None else offsets.reshape(-1, 2)
        self.document_ids = r.get("documentIds")
        self.row_documents = _ints(r.get("rowDocuments"))

    def csr(self):
        """The codes as a scipy.sparse.csr_matrix of rows x D (global feature ids)."""
        from scipy.sparse import csr_matrix
        return csr_matrix((self.values, self.indices, self.row_offsets), shape=(self.rows, self.d))

    def dense(self):
        """The codes as a NumPy array of rows x D."""
        out = np.zeros((self.rows, self.d), dtype=np.float32)
        for r in range(self.rows):
            s, e = self.row_offsets[r], self.row_offsets[r + 1]
            out[r, self.indices[s:e]] = self.values[s:e]
        return out

    def document_of(self, row):
        """The document id row ``row`` of this record comes from, or None."""
        if self.row_documents is None:
            return None
        return self.document_ids[self.row_documents[row]]


class FeatureStats:
    """Per-feature statistics of one SAE version over one window (or one shard's part of it)."""

    def __init__(self, r):
        self.sae_id = r["saeId"]
        self.version = r["version"]
        self.window_start_ms = r["windowStartMs"]
        self.window_end_ms = r["windowEndMs"]
        self.tokens = r["tokens"]
        self.d = r["d"]
        self.first_feature = r.get("firstFeature", 0)
        self.fire_counts = np.frombuffer(r["fireCounts"], dtype="<i8")
        self.activation_sums = np.frombuffer(r["activationSums"], dtype="<f8")
        self.activation_max = np.frombuffer(r["activationMax"], dtype="<f4")
        hist = r.get("activationHistogram")
        self.activation_histogram = None if hist is None else np.frombuffer(hist, dtype="<i8").reshape(
            self.d, HISTOGRAM_BINS)
        self.l0 = r["l0Sum"] / self.tokens if self.tokens else 0.0
        self.fve = r.get("fve")

    def density(self):
        """Per feature its fires per token in the window."""
        return self.fire_counts / max(1, self.tokens)


def _records(topic, record, wrap, bootstrap_servers, prefix, idle, max_records, client_settings):
    for _, r in Reader(bootstrap_servers, prefix + topic, record,
                       client_settings=client_settings).read(idle, max_records):
        yield wrap(r)


def codes(bootstrap_servers, prefix="aen.", idle=10.0, max_records=None, client_settings=None):
    """Yields the codes records of ``prefix``codes as Codes."""
    return _records("codes", "FeatureCodes", Codes, bootstrap_servers, prefix, idle, max_records, client_settings)


def alerts(bootstrap_servers, prefix="aen.", idle=10.0, max_records=None, client_settings=None, types=None):
    """Yields the alerts as dicts (alertType, severity, saeId, version, featureIds, value, message, ...);
    ``types`` (e.g. ``{"FEATURE_DRIFT", "WATCH_ACTIVATION"}``) keeps only those. A drift alert carries
    ``labels``, ``referenceDensities``, ``densities`` and ``driftScore``; a watch alert ``watch`` (rule,
    label, model, hook, document, character span, ``text`` with ``highlightStart``/``highlightEnd``,
    ``activation``, ``suppressed``). Alerts written before those fields existed read with their defaults."""
    for a in _records("alerts", "Alert", dict, bootstrap_servers, prefix, idle, max_records, client_settings):
        if types is None or a["alertType"] in types:
            yield a


def watched_token(alert):
    """The text of a WATCH_ACTIVATION alert's token, or None: ``alert["watch"]["text"]`` between its highlight."""
    hit = alert.get("watch") or {}
    if hit.get("text") is None:
        return None
    return hit["text"][hit["highlightStart"]:hit["highlightEnd"]]


def watch_rules(bootstrap_servers, prefix="aen.", idle=10.0, client_settings=None):
    """The watch rules as the compacted watch-rules topic holds them now: {ruleId: rule dict}, a removed
    rule absent (``aen watch`` sets them; docs/monitoring.md, "Watch rules")."""
    reader = Reader(bootstrap_servers, prefix + "watch-rules", "WatchRule", client_settings=client_settings)
    rules = {}
    try:
        while True:
            message = reader.consumer.poll(0.5 if rules else idle)
            if message is None:
                return rules
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"reading {message.topic()}: {message.error()}")
            key = message.key().decode("utf-8", "replace") if message.key() is not None else None
            if message.value() is None:
                rules.pop(key, None)
                continue
            try:
                rules[key] = reader.codec.decode(message.value())
            except (ValueError, EOFError, AssertionError):
                reader.skipped += 1
    finally:
        reader.consumer.close()


def feature_stats(bootstrap_servers, prefix="aen.", idle=10.0, max_records=None, client_settings=None):
    """Yields the merged statistics windows as FeatureStats."""
    return _records("feature-stats", "FeatureStats", FeatureStats, bootstrap_servers, prefix, idle, max_records,
                    client_settings)


def trainer_metrics(bootstrap_servers, prefix="aen.", idle=10.0, max_records=None, client_settings=None):
    """Yields the trainers' metrics as dicts (saeId, step, tokens, l0, fve, deadPct, ...)."""
    return _records("trainer-metrics", "TrainerMetrics", dict, bootstrap_servers, prefix, idle, max_records,
                    client_settings)

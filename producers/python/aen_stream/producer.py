"""Publishes a PyTorch model's activations to aen-stream's activations topic.

    from aen_stream import ActivationPublisher, hook
    with ActivationPublisher("localhost:9092", "aen.activations", "gpt2", "blocks.3.hook_resid_post") as pub:
        handle = hook(model, "blocks.3.hook_resid_post", pub)   # a TransformerLens HookPoint or any submodule
        model(tokens)                                          # every forward pass publishes the hooked rows
        handle.remove()

Rows go out as ActivationBatch records keyed producer-id/sequence, like the Java publisher's, with token ids,
character offsets and the text around them when given (``publish(rows, text=...)``), so that feature pages show
each token in its context.
"""
import os
import time

import numpy as np
from confluent_kafka import Producer

from .wire import Codec

#: Characters kept on each side of a record's rows, as the Java publisher keeps.
MARGIN_CHARS = 200


class RowText:
    """Where each row comes from in text: token id, (start, end) offsets and document, per row.

    ``documents`` maps a document id to its text; ``row_documents`` names each row's document id.
    """

    def __init__(self, token_ids, offsets, row_documents, documents):
        self.token_ids = np.asarray(token_ids, dtype="<i4")
        self.offsets = np.asarray(offsets, dtype="<i4").reshape(-1, 2)
        self.row_documents = list(row_documents)
        self.documents = dict(documents)
        n = len(self.token_ids)
        if len(self.offsets) != n or len(self.row_documents) != n:
            raise ValueError("need one token id, one (start, end) pair and one document per row")
        for r, doc in enumerate(self.row_documents):
            if doc not in self.documents:
                raise ValueError(f"row {r} names document {doc!r}, which is not given")
            start, end = self.offsets[r]
            if start < 0 or end < start or end > len(self.documents[doc]):
                raise ValueError(f"row {r} spans [{start}, {end}) outside its document")

    def part(self, start, stop):
        """The record fields of rows [start, stop): ids, offsets, the documents cut to them, each row's."""
        spans, index = [], {}
        lo, hi = {}, {}
        for r in range(start, stop):
            doc = self.row_documents[r]
            a, b = (int(v) for v in self.offsets[r])
            lo[doc] = min(lo.get(doc, a), a)
            hi[doc] = max(hi.get(doc, b), b)
            if doc not in index:
                index[doc] = len(index)
        for doc in index:
            text = self.documents[doc]
            s = max(0, lo[doc] - MARGIN_CHARS)
            e = min(len(text), hi[doc] + MARGIN_CHARS)
            spans.append({"documentId": str(doc), "start": s, "text": text[s:e]})
        rows = np.array([index[self.row_documents[r]] for r in range(start, stop)], dtype="<i4")
        return {"tokenIds": self.token_ids[start:stop].tobytes(), "textOffsets": self.offsets[start:stop].tobytes(),
                "documents": spans, "rowDocuments": rows.tobytes()}


class ActivationPublisher:
    """Publishes rows x n float32 activations as ActivationBatch records, idempotently and lz4-compressed."""

    def __init__(self, bootstrap_servers, topic, source_model, hook_point, producer_id=None, rows_per_record=512,
                 client_settings=None):
        self.codec = Codec("ActivationBatch")
        settings = dict(client_settings or {})
        settings.update({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True,
                         "compression.type": "lz4", "linger.ms": 5, "message.max.bytes": 16 << 20})
        self.producer = Producer(settings)
        self.topic = topic
        self.source_model = source_model
        self.hook_point = hook_point
        # The id, then the publisher's start in ms: sequence numbers start at 0 again when a
        # producer restarts, and readers key batches by producer id and sequence.
        base = producer_id or f"python-{os.getpid()}"
        self.producer_id = f"{base}@{int(time.time() * 1000)}"
        self.rows_per_record = rows_per_record
        self.sequence = 0
        self.rows_published = 0
        self.errors = []

    def publish(self, rows, text=None):
        """Publishes a rows x n array in records of at most rows_per_record rows; ``text`` a RowText or None."""
        rows = np.ascontiguousarray(rows, dtype="<f4")
        if rows.ndim != 2:
            raise ValueError(f"expected rows x n, got shape {rows.shape}")
        if text is not None and len(text.token_ids) != rows.shape[0]:
            raise ValueError(f"{len(text.token_ids)} rows of text for {rows.shape[0]} rows")
        for start in range(0, rows.shape[0], self.rows_per_record):
            stop = min(rows.shape[0], start + self.rows_per_record)
            self._send(rows[start:stop], None if text is None else text.part(start, stop))

    def _send(self, part, origins):
        record = {"sourceModel": self.source_model, "hookPoint": self.hook_point, "rows": int(part.shape[0]),
                  "n": int(part.shape[1]), "dtype": "FLOAT32", "normalisation": "NONE", "scales": None,
                  "producerId": self.producer_id, "sequence": self.sequence, "payload": part.tobytes(),
                  "tokenIds": None, "textOffsets": None, "documents": None, "rowDocuments": None,
                  "timestampMs": int(time.time() * 1000)}
        if origins:
            record.update(origins)
        value = self.codec.encode(record)
        key = f"{self.producer_id}/{self.sequence}".encode()
        while True:
            try:
                self.producer.produce(self.topic, key=key, value=value, on_delivery=self._delivered)
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
    """Publishes the output of ``module`` on every forward pass (all leading dimensions become rows)."""

    def on_forward(_module, _inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        publisher.publish(out.detach().to("cpu").float().reshape(-1, out.shape[-1]).numpy())

    return module.register_forward_hook(on_forward)


def hook(model, name, publisher):
    """Publishes what submodule ``name`` of ``model`` outputs on every forward pass.

    ``name`` is a dotted module path: a TransformerLens hook point (``blocks.3.hook_resid_post``, HookPoints are
    modules) or any layer of a plain torch.nn.Module (``transformer.h.3``). Returns the handle to remove.
    """
    try:
        module = model.get_submodule(name)
    except AttributeError as e:
        raise ValueError(f"{type(model).__name__} has no submodule {name!r}") from e
    return hook_layer(module, publisher)

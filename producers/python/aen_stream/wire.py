"""aen-stream's wire format: Avro single-object encoding against every schema version ever written.

A record is the marker C3 01, the writer schema's CRC-64-AVRO fingerprint (little-endian), then the Avro
body. Readers find the writer schema by its fingerprint among the archived versions and resolve it to the
newest one, as the Java side does, so records written before a schema gained a field still read.

The fingerprints are the Avro library's: the archive's FINGERPRINTS file holds, per schema version, the
fingerprint Java's Avro computes (SchemaNormalization.parsingFingerprint64; a test keeps the file true).
Debian's python3-avro (1.11) has no fingerprint function of its own.
"""
import io
import os
import struct

import avro.io
import avro.schema

MARKER = b"\xc3\x01"


def _schema_dir():
    """The archived schemas: inside the installed package, else in the checkout beside it."""
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, "schemas")
    if os.path.isdir(packaged):
        return packaged
    checkout = os.path.join(here, "..", "..", "..", "avro", "src", "main", "resources", "dev", "aenstream",
                            "avro", "history")
    if os.path.isdir(checkout):
        return os.path.normpath(checkout)
    raise FileNotFoundError("aen_stream: no schema history found (reinstall the package from the checkout)")


class SchemaStore:
    """Every archived schema version by fingerprint, and the newest version of each record name."""

    def __init__(self, directory=None):
        directory = directory or _schema_dir()
        with open(os.path.join(directory, "INDEX"), encoding="utf-8") as f:
            files = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        with open(os.path.join(directory, "FINGERPRINTS"), encoding="utf-8") as f:
            known = dict(line.split() for line in f if line.strip())
        self.by_fingerprint = {}
        self.newest = {}
        self.files = {}
        for name in files:
            if name not in known:
                raise ValueError(f"aen_stream: {name} has no fingerprint in FINGERPRINTS")
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                schema = avro.schema.parse(f.read())
            fp = int(known[name], 16)
            self.by_fingerprint[fp] = schema
            self.files[name] = fp
            # INDEX lists versions oldest first: the last of a name is its newest.
            self.newest[schema.fullname] = schema

    def fingerprint(self, schema):
        """The fingerprint of one of the archived schemas."""
        for fp, known in self.by_fingerprint.items():
            if known is schema:
                return fp
        raise KeyError(f"{schema.fullname} is not one of the archived schemas")

    def schema(self, name):
        """The newest schema of a record, by short or full name (ActivationBatch, dev.aenstream.avro.Alert)."""
        full = name if "." in name else "dev.aenstream.avro." + name
        if full not in self.newest:
            raise KeyError(f"no schema named {name}")
        return self.newest[full]


_STORE = None


def store():
    """The schema store of the installed package, loaded once."""
    global _STORE
    if _STORE is None:
        _STORE = SchemaStore()
    return _STORE


class Codec:
    """Writes and reads one record type in single-object encoding."""

    def __init__(self, name, schemas=None):
        self.schemas = schemas or store()
        self.schema = self.schemas.schema(name)
        self.header = MARKER + struct.pack("<Q", self.schemas.fingerprint(self.schema))
        self.writer = avro.io.DatumWriter(self.schema)
        self.readers = {}

    def encode(self, record):
        body = io.BytesIO()
        self.writer.write(record, avro.io.BinaryEncoder(body))
        return self.header + body.getvalue()

    def decode(self, data):
        """The record as a dict in the newest schema; ValueError for bytes that are not one of ours."""
        if data is None or len(data) < 10 or data[:2] != MARKER:
            raise ValueError("not an Avro single-object record")
        fp = struct.unpack("<Q", data[2:10])[0]
        writer = self.schemas.by_fingerprint.get(fp)
        if writer is None:
            raise ValueError(f"unknown schema fingerprint {fp:016x} (a newer aen-stream? reinstall the package)")
        if writer.fullname != self.schema.fullname:
            raise ValueError(f"a {writer.fullname} record, not a {self.schema.fullname}")
        reader = self.readers.get(fp)
        if reader is None:
            reader = self.readers[fp] = avro.io.DatumReader(writer, self.schema)
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[10:])))


def fingerprints():
    """{archived file name: fingerprint}, for checks against other implementations."""
    return dict(store().files)

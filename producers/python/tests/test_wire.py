"""The wire format without a broker: the installed package's fingerprints are the Java Avro library's;
records round-trip; a record written with an older schema version reads with the newest one's defaults."""
import io
import json
import os
import struct
import unittest

import avro.io
import numpy as np

import aen_stream
from aen_stream import wire


class WireTest(unittest.TestCase):
    def test_fingerprints_match_the_java_avro_library(self):
        path = os.environ.get("AEN_TEST_FINGERPRINTS")
        if not path:
            self.skipTest("AEN_TEST_FINGERPRINTS names the Java side's fingerprints file")
        with open(path, encoding="utf-8") as f:
            java = json.load(f)
        mine = {name: f"{fp:016x}" for name, fp in wire.fingerprints().items()}
        self.assertEqual(java, mine)

    def test_the_installed_package_carries_every_schema_version(self):
        self.assertIn("ActivationBatch.v1.avsc", wire.fingerprints())
        self.assertIn("FeatureContexts.v1.avsc", wire.fingerprints())

    def test_an_activation_batch_round_trips(self):
        codec = wire.Codec("ActivationBatch")
        text = aen_stream.RowText([7, 8], [0, 3, 4, 9], ["d", "d"], {"d": "the river"})
        record = {"sourceModel": "m", "hookPoint": "h", "rows": 2, "n": 3, "dtype": "FLOAT32",
                  "normalisation": "NONE", "scales": None, "producerId": "p", "sequence": 0,
                  "payload": np.arange(6, dtype="<f4").tobytes(), "tokenIds": None, "textOffsets": None,
                  "documents": None, "rowDocuments": None, "timestampMs": 1}
        record.update(text.part(0, 2))
        back = codec.decode(codec.encode(record))
        self.assertEqual(back["documents"], [{"documentId": "d", "start": 0, "text": "the river"}])
        self.assertEqual(np.frombuffer(back["tokenIds"], "<i4").tolist(), [7, 8])
        self.assertEqual(np.frombuffer(back["textOffsets"], "<i4").tolist(), [0, 3, 4, 9])

    def test_a_record_of_an_older_version_reads_with_the_newest_defaults(self):
        store = wire.store()
        old = next(s for fp, s in store.by_fingerprint.items()
                   if store.files.get("FeatureCodes.v1.avsc") == fp)
        body = io.BytesIO()
        avro.io.DatumWriter(old).write(
            {"saeId": "s", "version": 1, "d": 4, "rows": 1, "producerId": "p", "sequence": 3,
             "rowOffsets": struct.pack("<2i", 0, 1), "indices": struct.pack("<i", 2),
             "values": struct.pack("<f", 0.5), "activeCounts": struct.pack("<i", 1)},
            avro.io.BinaryEncoder(body))
        data = wire.MARKER + struct.pack("<Q", store.files["FeatureCodes.v1.avsc"]) + body.getvalue()
        back = wire.Codec("FeatureCodes").decode(data)
        self.assertEqual(back["shards"], 1)
        self.assertIsNone(back["tokenIds"])
        from aen_stream.readers import Codes
        self.assertEqual(Codes(back).dense().tolist(), [[0.0, 0.0, 0.5, 0.0]])

    def test_an_alert_of_v7_reads_with_the_watch_and_drift_fields_empty(self):
        store = wire.store()
        old = next(s for fp, s in store.by_fingerprint.items() if store.files.get("Alert.v7.avsc") == fp)
        body = io.BytesIO()
        avro.io.DatumWriter(old).write(
            {"alertType": "FEATURE_DEAD", "severity": "WARNING", "saeId": "s", "version": 2, "featureIds": [3],
             "value": 1.0, "threshold": 0.0, "message": "m", "timestampMs": 5, "crossLeverage": None},
            avro.io.BinaryEncoder(body))
        data = wire.MARKER + struct.pack("<Q", store.files["Alert.v7.avsc"]) + body.getvalue()
        back = wire.Codec("Alert").decode(data)
        self.assertEqual(back["labels"], [])
        self.assertIsNone(back["watch"])
        self.assertIsNone(back["driftScore"])

    def test_watch_and_drift_alerts_and_watch_rules_round_trip(self):
        codec = wire.Codec("Alert")
        hit = {"ruleId": "lighthouses", "label": "lighthouses", "sourceModel": "gpt2", "hookPoint": "h",
               "producerId": "p", "sequence": 4, "row": 7, "documentId": "doc", "tokenStart": 10,
               "tokenEnd": 20, "text": "the lighthouse at dusk", "highlightStart": 4, "highlightEnd": 14,
               "activation": 3.5, "suppressed": 2}
        alert = {"alertType": "WATCH_ACTIVATION", "severity": "INFO", "saeId": "aen", "version": 3,
                 "featureIds": [11], "value": 3.5, "threshold": 2.0, "message": "m", "timestampMs": 1,
                 "crossLeverage": None, "labels": ["lighthouses"], "referenceDensities": [], "densities": [],
                 "driftScore": None, "watch": hit}
        back = codec.decode(codec.encode(alert))
        from aen_stream.readers import watched_token
        self.assertEqual(watched_token(back), "lighthouse")
        rule = {"ruleId": "r", "saeId": "aen", "feature": 5, "version": 1, "label": "x",
                "condition": "DENSITY_ABOVE", "threshold": 0.01, "windowTokens": 1000, "dedupWindowMs": 0,
                "maxAlertsPerMinute": 1, "declaredFeature": -1, "declaredVersion": -1, "updatedMs": 0}
        self.assertEqual(wire.Codec("WatchRule").decode(wire.Codec("WatchRule").encode(rule))["condition"],
                         "DENSITY_ABOVE")

    def test_bytes_that_are_not_ours_are_refused(self):
        with self.assertRaises(ValueError):
            wire.Codec("Alert").decode(b"plain text, not a record")


if __name__ == "__main__":
    unittest.main()

"""The package against a running aen-stream (a broker and an encoder the Java test starts): a torch model's
hooked layer is published with its text, its codes come back as CSR matrices with their origins, and the
alerts, feature statistics and trainer metrics the Java side wrote read back as it wrote them."""
import json
import os
import unittest

import numpy as np

from aen_stream import ActivationPublisher, RowText, hook, readers

BOOTSTRAP = os.environ.get("AEN_TEST_BOOTSTRAP")
PREFIX = os.environ.get("AEN_TEST_PREFIX", "aen.")
PRODUCER = "py-test"
WORDS = "a quiet river runs past old mills and green fields".split()


@unittest.skipUnless(BOOTSTRAP, "AEN_TEST_BOOTSTRAP names the broker the Java test started")
class BrokerTest(unittest.TestCase):
    def test_1_a_hooked_models_rows_come_back_as_codes_with_their_text(self):
        import torch
        torch.manual_seed(0)
        n = int(os.environ["AEN_TEST_N"])
        model = torch.nn.Sequential(torch.nn.Linear(n, n), torch.nn.GELU(), torch.nn.Linear(n, n))
        with ActivationPublisher(BOOTSTRAP, PREFIX + "activations", "tiny-torch", "0", PRODUCER,
                                 rows_per_record=40) as pub:
            handle = hook(model, "0", pub)
            with torch.no_grad():
                model(torch.randn(3, 20, n))          # 60 rows through the hook
            handle.remove()
            text = " ".join(WORDS)
            starts = [text.index(w) for w in WORDS]
            rows = len(WORDS)
            pub.publish(np.random.default_rng(1).standard_normal((rows, n)),
                        text=RowText(list(range(rows)), [[s, s + len(w)] for s, w in zip(starts, WORDS)],
                                     ["doc-1"] * rows, {"doc-1": text}))
        self.assertEqual(pub.rows_published, 60 + rows)
        with self.assertRaises(ValueError):
            hook(model, "no.such.layer", pub)

        got = {}
        for batch in readers.codes(BOOTSTRAP, PREFIX, idle=30, max_records=3):
            if batch.producer_id.startswith(PRODUCER + "@"):
                got[batch.sequence] = batch
        self.assertEqual(sorted(got), [0, 1, 2])
        summary = {}
        for seq, batch in got.items():
            x = batch.csr()
            self.assertEqual(x.shape, (batch.rows, batch.d))
            np.testing.assert_array_equal(x.toarray(), batch.dense())
            self.assertTrue((batch.values > 0).all())
            summary[str(seq)] = {"rows": batch.rows, "nnz": int(x.nnz), "sum": float(batch.values.sum())}
        text_batch = got[2]
        self.assertEqual(text_batch.token_ids.tolist(), list(range(len(WORDS))))
        self.assertEqual(text_batch.document_of(3), "doc-1")
        s, e = text_batch.text_offsets[3]
        self.assertEqual(" ".join(WORDS)[s:e], WORDS[3])
        with open(os.environ["AEN_TEST_CODES_OUT"], "w", encoding="utf-8") as f:
            json.dump(summary, f)

    def test_2_alerts_read_as_written(self):
        alerts = list(readers.alerts(BOOTSTRAP, PREFIX, idle=5))
        mine = [a for a in alerts if a["saeId"] == "py"]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["alertType"], "FEATURE_DEAD")
        self.assertEqual(mine[0]["featureIds"], [3, 5, 8])
        self.assertEqual(mine[0]["message"], "three features starve")

    def test_3_feature_statistics_read_with_their_arrays(self):
        stats = [s for s in readers.feature_stats(BOOTSTRAP, PREFIX, idle=8) if s.sae_id == "py"]
        self.assertTrue(stats, "no statistics window of SAE py")
        d = int(os.environ["AEN_TEST_D"])
        total = sum(s.tokens for s in stats)
        self.assertGreater(total, 0)
        for s in stats:
            self.assertEqual(s.d, d)
            self.assertEqual(s.fire_counts.shape, (d,))
            self.assertEqual(s.activation_histogram.shape, (d, readers.HISTOGRAM_BINS))
            self.assertTrue(((s.density() >= 0) & (s.density() <= 1)).all())

    def test_4_trainer_metrics_read_as_written(self):
        metrics = [m for m in readers.trainer_metrics(BOOTSTRAP, PREFIX, idle=5) if m["saeId"] == "py"]
        self.assertEqual(len(metrics), 1)
        self.assertEqual(metrics[0]["step"], 42)
        self.assertAlmostEqual(metrics[0]["deadPct"], 12.5)


if __name__ == "__main__":
    unittest.main()

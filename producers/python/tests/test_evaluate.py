"""The package's spliced evaluation of a PyTorch model agrees with `aen eval` on the same model exported to
ONNX: the tiny GPT-2-style decoder of the producers' fixtures, rebuilt in PyTorch from its seed, with the
fixture SAE after layer 0, on the lines of eval.txt. PythonPackageIT runs `aen eval` first and names its
summary and the fixtures in the environment."""
import json
import os
import sys
import unittest

try:
    import torch
except ImportError:  # torch is optional for the package; these tests need it
    torch = None

FIXTURES = os.environ.get("AEN_TEST_FIXTURES")
EVAL_JSON = os.environ.get("AEN_TEST_EVAL_JSON")


@unittest.skipIf(torch is None or not FIXTURES or not EVAL_JSON, "needs python3-torch and aen eval's summary")
class EvaluateTest(unittest.TestCase):
    def test_every_figure_agrees_with_aen_eval(self):
        from aen_stream.evaluate import Sae, evaluate

        sys.path.insert(0, os.path.join(FIXTURES, "decoders"))
        import export_decoders as dec

        torch.manual_seed(0)  # export_decoders.py's seed of the gpt2 model
        model = dec.Decoder("gpt2").eval()
        sae = Sae.load(os.path.join(FIXTURES, "splice", "gpt2-sae"))
        with open(os.path.join(FIXTURES, "splice", "eval.txt"), encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        sequences = [(list(line.encode("utf-8")), [True] * len(line.encode("utf-8"))) for line in lines]
        figures = evaluate(model, "h.0", sae, sequences)
        with open(EVAL_JSON, encoding="utf-8") as f:
            java = json.load(f)
        self.assertEqual(set(figures), set(java["figures"]))
        for name, value in java["figures"].items():
            self.assertAlmostEqual(figures[name], value, delta=1e-4, msg=name)

    def test_a_perfect_reconstruction_keeps_everything(self):
        from aen_stream.evaluate import Sae, evaluate

        n = 6
        eye = torch.eye(n)
        sae = Sae(torch.cat([eye, -eye], 1), torch.zeros(2 * n), torch.cat([eye, -eye], 0), torch.zeros(n))
        model = torch.nn.Sequential(torch.nn.Embedding(10, n), torch.nn.Linear(n, 10))
        torch.manual_seed(1)
        f = evaluate(model, "0", sae, [([1, 2, 3, 4], [True] * 4), ([5, 6, 7], [True] * 3)])
        self.assertAlmostEqual(f["ce_loss_score"], 1.0, places=9)
        self.assertAlmostEqual(f["kl_div_score"], 1.0, places=9)
        self.assertAlmostEqual(f["explained_variance"], 1.0, places=6)


if __name__ == "__main__":
    unittest.main()

"""Hooks without a broker: a TransformerLens-style hook point (an identity module at a dotted name) and a
plain layer publish exactly what flows through them, every leading dimension a row."""
import unittest

try:
    import torch
except ImportError:  # torch is optional for the package; these tests need it
    torch = None

from aen_stream import hook


class Captured:
    """Stands in for an ActivationPublisher: keeps what would be published."""

    def __init__(self):
        self.batches = []

    def publish(self, rows, text=None):
        self.batches.append(rows)


@unittest.skipIf(torch is None, "needs python3-torch")
class HookTest(unittest.TestCase):
    def test_a_transformer_lens_style_hook_point_publishes_its_rows(self):
        class HookPoint(torch.nn.Identity):
            """What TransformerLens puts at blocks.i.hook_resid_post: a module passing its input on."""

        class Block(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.mlp = torch.nn.Linear(6, 6)
                self.hook_resid_post = HookPoint()

            def forward(self, x):
                return self.hook_resid_post(x + self.mlp(x))

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = torch.nn.ModuleList([Block(), Block()])

            def forward(self, x):
                for b in self.blocks:
                    x = b(x)
                return x

        torch.manual_seed(0)
        model = Model()
        captured = Captured()
        handle = hook(model, "blocks.1.hook_resid_post", captured)
        x = torch.randn(2, 5, 6)
        with torch.no_grad():
            out = model(x)
        handle.remove()
        self.assertEqual(len(captured.batches), 1)
        self.assertEqual(captured.batches[0].shape, (10, 6))
        self.assertTrue(torch.allclose(torch.from_numpy(captured.batches[0]), out.reshape(10, 6)))
        with torch.no_grad():
            model(x)
        self.assertEqual(len(captured.batches), 1, "a removed hook publishes nothing")

    def test_a_plain_layer_is_hooked_by_name_and_a_wrong_name_is_refused(self):
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())
        captured = Captured()
        handle = hook(model, "0", captured)
        with torch.no_grad():
            model(torch.randn(7, 4))
        handle.remove()
        self.assertEqual(captured.batches[0].shape, (7, 3))
        with self.assertRaises(ValueError):
            hook(model, "blocks.9.hook_resid_post", captured)


if __name__ == "__main__":
    unittest.main()

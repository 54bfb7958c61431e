#!/usr/bin/python3
"""Publishes a PyTorch model's activations to aen-stream's activations topic (the aen_stream package's demo).

Kept for scripts that run it from the checkout; the package itself is ``aen_stream`` beside it
(``pip install producers/python``):

    from aen_stream import ActivationPublisher, hook
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aen_stream import ActivationPublisher, client_config, hook_layer, read_java_properties  # noqa: E402,F401
from aen_stream.demo import main  # noqa: E402

if __name__ == "__main__":
    main()

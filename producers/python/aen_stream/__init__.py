"""aen-stream from Python: publish a model's activations, read codes, alerts, statistics and metrics, and
measure what a model loses with an SAE spliced in (aen_stream.evaluate, which needs torch)."""
from .producer import ActivationPublisher, RowText, hook, hook_layer
from .settings import client_config, read_java_properties
from .wire import Codec, SchemaStore

__all__ = ["ActivationPublisher", "RowText", "hook", "hook_layer", "client_config", "read_java_properties",
           "Codec", "SchemaStore", "readers"]
__version__ = "0.1.0"

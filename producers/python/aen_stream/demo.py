"""Hooks a tiny PyTorch model's layer and publishes its activations: a smoke test of a cluster."""
import argparse
import json
import sys

from .producer import ActivationPublisher, hook
from .settings import client_config, read_java_properties


def main(argv=None):
    parser = argparse.ArgumentParser(description="Hook a tiny PyTorch model's layer and publish its activations to"
                                                 " aen-stream.")
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
    args = parser.parse_args(argv)
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(100, args.n), torch.nn.Linear(args.n, args.n), torch.nn.GELU(),
                                torch.nn.Linear(args.n, args.n))
    settings = client_config(read_java_properties(args.command_config)) if args.command_config else {}
    bootstrap = args.bootstrap_servers
    if bootstrap is None and args.command_config:
        bootstrap = read_java_properties(args.command_config).get("bootstrap.servers")
    if not bootstrap:
        sys.exit("aen-produce-demo: give --bootstrap-servers (or bootstrap.servers in --command-config)")
    with ActivationPublisher(bootstrap, args.topic, "tiny-torch", "1", args.producer_id, args.rows_per_record,
                             client_settings=settings) as pub:
        handle = hook(model, "1", pub)
        with torch.no_grad():
            for _ in range(args.batches):
                model(torch.randint(0, 100, (args.batch, args.seq_len)))
        handle.remove()
    print(json.dumps({"rows": pub.rows_published, "records": pub.sequence, "producer_id": pub.producer_id,
                      "n": args.n}))


if __name__ == "__main__":
    main()

"""What a PyTorch model loses with an SAE spliced in: the figures of `aen eval`, with its definitions
(docs/evaluation.md), so a number computed here compares with one the JVM computed.

    from aen_stream.evaluate import Sae, evaluate
    sae = Sae.load("pulled/")            # as `aen models pull --format saelens --out pulled/` writes it
    figures = evaluate(model, "blocks.6.hook_resid_post", sae, sequences)

`model(input_ids)` returns next-token logits [batch, seq, vocab] (or a tuple starting with them), or,
with head="embedding", per-token embeddings [batch, seq, width] that are mean-pooled. The hook is a
dotted submodule name, a TransformerLens hook point or any layer, whose output (or its first element)
is replaced. `sequences` holds (token ids, text mask) pairs: the mask is False for special tokens
(BOS), which keep their own activations and count in no figure. Each sequence runs on its own, so no
padding enters. Needs torch, which the model needs anyway; nothing else beyond the standard library.
"""
import json
import math
import os
import struct

import torch

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def _safetensors(path):
    """The tensors of a .safetensors file, read with the standard library and torch alone."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} is {meta['dtype']}; F32, F16 and BF16 are read")
        start, end = meta["data_offsets"]
        raw = bytearray(data[start:end])
        out[name] = torch.frombuffer(raw, dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"]).float()
    return out


class Sae:
    """An SAE in SAELens's layout: standard (ReLU), topk or jumprelu, with SAELens's input rescaling."""

    def __init__(self, w_enc, b_enc, w_dec, b_dec, architecture="standard", k=None, threshold=None,
                 apply_b_dec_to_input=True, normalize_activations="none"):
        if architecture not in ("standard", "topk", "jumprelu"):
            raise ValueError(f"architecture {architecture!r}: standard, topk and jumprelu are read")
        if normalize_activations not in ("none", "constant_norm_rescale"):
            raise ValueError(f"normalize_activations {normalize_activations!r}: none and constant_norm_rescale "
                             "are read")
        self.w_enc, self.b_enc, self.w_dec, self.b_dec = w_enc, b_enc, w_dec, b_dec
        self.architecture, self.k, self.threshold = architecture, k, threshold
        self.apply_b_dec_to_input = apply_b_dec_to_input
        self.rescale = normalize_activations == "constant_norm_rescale"

    @classmethod
    def load(cls, folder):
        """Reads cfg.json and sae_weights.safetensors from ``folder``."""
        with open(os.path.join(folder, "cfg.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        w = _safetensors(os.path.join(folder, "sae_weights.safetensors"))
        k = cfg.get("activation_fn_kwargs", {}).get("k", cfg.get("k"))
        return cls(w["W_enc"], w["b_enc"], w["W_dec"], w["b_dec"], cfg.get("architecture", "standard"), k,
                   w.get("threshold"), cfg.get("apply_b_dec_to_input", True),
                   cfg.get("normalize_activations", "none"))

    @property
    def d_sae(self):
        return self.w_enc.shape[1]

    def encode(self, x):
        pre = (x - self.b_dec * float(self.apply_b_dec_to_input)) @ self.w_enc + self.b_enc
        if self.architecture == "jumprelu":
            return torch.relu(pre) * (pre > self.threshold)
        h = torch.relu(pre)
        if self.architecture == "topk":
            top = torch.topk(pre, self.k, dim=-1)
            h = torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
        return h

    def decode(self, h):
        return h @ self.w_dec + self.b_dec

    def reconstruct(self, x):
        """(codes, reconstruction) of rows ``x``; rows rescaled to norm sqrt(n) in and back out when asked."""
        scale = 1.0
        if self.rescale:
            scale = math.sqrt(x.shape[-1]) / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        h = self.encode(x * scale)
        return h, self.decode(h) / scale


def _replacing(model, hook, replace):
    """Registers a forward hook replacing the output (or its first element) of submodule ``hook``."""
    try:
        module = model.get_submodule(hook)
    except AttributeError as e:
        raise ValueError(f"{type(model).__name__} has no submodule {hook!r}") from e

    def on_forward(_module, _inputs, output):
        if isinstance(output, tuple):
            return (replace(output[0]),) + tuple(output[1:])
        return replace(output)

    return module.register_forward_hook(on_forward)


def _run(model, ids, hook=None, replace=None):
    handle = _replacing(model, hook, replace) if replace is not None else None
    try:
        with torch.no_grad():
            out = model(ids)
    finally:
        if handle is not None:
            handle.remove()
    return (out[0] if isinstance(out, tuple) else out)[0].double()


def _captured(model, hook, ids):
    seen = []

    def keep(x):
        seen.append(x)
        return x

    _run(model, ids, hook, keep)
    return seen[0][0]


def evaluate(model, hook, sae, sequences, head="logits"):
    """Every figure of docs/evaluation.md, by the names `aen eval --summary-json` uses."""
    ce, kl, dist = [0.0] * 3, [0.0] * 3, [0.0] * 3
    ce_n = kl_n = 0
    xs, xhats, hs = [], [], []
    for ids, text in sequences:
        ids = torch.as_tensor(ids, dtype=torch.long)[None]
        text = torch.as_tensor(text, dtype=torch.bool)
        with torch.no_grad():
            x = _captured(model, hook, ids)
            h, xhat = sae.reconstruct(x[text])
        xs.append(x[text].double())
        xhats.append(xhat.double())
        hs.append(h.double())

        def spliced(out):
            return torch.where(text[None, :, None], sae.reconstruct(out)[1].to(out.dtype), out)

        def zeroed(out):
            return torch.where(text[None, :, None], torch.zeros_like(out), out)

        outs = [_run(model, ids), _run(model, ids, hook, spliced), _run(model, ids, hook, zeroed)]
        if head == "embedding":
            pooled = [o.mean(0) for o in outs]
            for k in (1, 2):
                dist[k] += 1 - float(torch.nn.functional.cosine_similarity(pooled[0], pooled[k], dim=0))
            continue
        logp = [torch.log_softmax(o, -1) for o in outs]
        length = ids.shape[1]
        for t in range(length):
            if not text[t]:
                continue
            for k in (1, 2):
                kl[k] += float((logp[0][t].exp() * (logp[0][t] - logp[k][t])).sum())
            kl_n += 1
            if t + 1 < length:
                for k in range(3):
                    ce[k] -= float(logp[k][t, ids[0, t + 1]])
                ce_n += 1
    figures = {}
    if head == "embedding":
        d = [v / len(sequences) for v in dist]
        figures.update(embedding_score=(d[2] - d[1]) / d[2], embedding_cos_dist_with_sae=d[1],
                       embedding_cos_dist_with_ablation=d[2])
    else:
        ce = [v / ce_n for v in ce]
        kl = [v / kl_n for v in kl]
        figures.update(ce_loss_score=(ce[2] - ce[1]) / (ce[2] - ce[0]), ce_loss_without_sae=ce[0],
                       ce_loss_with_sae=ce[1], ce_loss_with_ablation=ce[2],
                       kl_div_score=(kl[2] - kl[1]) / kl[2], kl_div_with_sae=kl[1], kl_div_with_ablation=kl[2])
    x, xhat, h = torch.cat(xs), torch.cat(xhats), torch.cat(hs)
    r = x - xhat
    n_in, n_out = x.norm(dim=-1), xhat.norm(dim=-1)
    cos = (x * xhat).sum(-1) / (n_in * n_out)
    figures.update(
        explained_variance=float(1 - r.pow(2).sum() / (x - x.mean(0)).pow(2).sum()),
        fve=float(1 - r.var(0, unbiased=False).sum() / x.var(0, unbiased=False).sum()),
        mse=float(r.pow(2).sum(-1).mean()),
        cossim=float(torch.nan_to_num(cos, nan=0.0).mean()),
        l2_norm_in=float(n_in.mean()), l2_norm_out=float(n_out.mean()),
        l2_ratio=float((n_out / torch.where(n_in < 1e-4, torch.ones_like(n_in), n_in)).mean()),
        relative_reconstruction_bias=float(xhat.pow(2).sum(-1).mean() / (x * xhat).sum(-1).mean()),
        l0=float((h > 0).sum(-1).double().mean()), l1=float(h.sum(-1).mean()),
        features_never_fired=float(((h > 0).sum(0) == 0).sum()),
    )
    return figures

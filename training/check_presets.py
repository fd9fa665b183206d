"""Builds every preset's networks and runs them once on CPU (the `cuda` preset cannot be trained here).

    /usr/bin/python3 -m training.check_presets [--preset cuda]

For each preset: the vision encoder on a [2, 1, S, S] batch (patch tokens + embedding), the MedCLIP loss on a
2-study batch, a teacher-forced generator forward with retrieval, and one cached decoder step. Prints one JSON line
per preset with the shapes and parameter counts.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from .models import GeneratorConfig, MedClip, ReportGenerator, TextEncoder, semantic_matching_loss
from .train import PRESETS, build_vision


@torch.no_grad()
def check(name: str, vocab_size: int = 761) -> dict:
    p = PRESETS[name]
    torch.manual_seed(0)
    vision = build_vision(p).eval()
    images = torch.randn(2, 2, 1, p.image_size, p.image_size)
    tokens, embedding = vision(images.flatten(0, 1))
    text = TextEncoder(vocab_size, d=p.text_d, layers=p.text_layers, embed_dim=p.embed_dim).eval()
    medclip = MedClip(vision, text).eval()
    ids = torch.randint(1, vocab_size, (2, 12))
    logits = medclip.logits(images, ids, torch.tensor([12, 9]))
    labels = torch.tensor([[1.0] + [0.0] * 13, [0.0, 1.0] + [0.0] * 12])
    loss = semantic_matching_loss(logits, labels, labels)
    cfg = GeneratorConfig(vocab_size=vocab_size, patch_dim=vision.out_dim, n_patches=2 * vision.n_patches,
                          d_model=p.d_model, heads=p.heads, d_ff=p.d_ff, encoder_layers=p.encoder_layers,
                          decoder_layers=p.decoder_layers)
    gen = ReportGenerator(cfg).eval()
    patches = tokens.reshape(2, -1, tokens.shape[2])
    out = gen(patches, ids, ids[:, :-1])
    ck, cv = gen.cross_keys_values(gen.encode(patches, ids))
    pk, pv = gen.empty_cache(2)
    log_probs, pk, pv = gen.step(torch.zeros(2, 1, dtype=torch.long), torch.arange(2), pk, pv, ck, cv)
    assert torch.isfinite(loss) and torch.isfinite(out).all() and torch.isfinite(log_probs).all()
    return {
        "preset": name, "vision": p.vision, "image_size": p.image_size,
        "patch_tokens": list(tokens.shape), "embedding": list(embedding.shape), "medclip_loss": round(float(loss), 4),
        "generator_logits": list(out.shape), "cross_keys": list(ck.shape), "step_log_probs": list(log_probs.shape),
        "present_keys": list(pk.shape), "d_model": p.d_model,
        "vision_params": sum(t.numel() for t in vision.parameters()),
        "generator_params": sum(t.numel() for t in gen.parameters()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.check_presets", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), action="append")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    for name in args.preset or sorted(PRESETS):
        print(json.dumps(check(name)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""PyTorch eager side of `npm run bench`: the pack's PyTorch checkpoint on the same 2-view study, timed per stage the
way the TypeScript engine times itself. Prints one JSON object on stdout.

    /usr/bin/python3 tools/bench-pytorch-eager.py --pack DIR --frontal F.png --lateral L.png --runs 30 --warmup 3 \
        --threads 2 --k 5 [--exclude STUDY_ID]

Stages (seconds per run, perf_counter): decode (PIL, training/preprocess.py load_grey), preprocess
(preprocess_array), vision (vision encoder on both views + study embedding), retrieval (cosine top-k over the pack
gallery + the generator's top-1), diagnosis (the pack's diagnosis branch on both views and, for a prompted
generator, its decisions: probability >= the manifest's threshold), encoder (fusion encoder + cross keys/values),
beam decode (training/beam.py's beam_search on the precomputed memory), total. The model code, preprocessing and beam
search are training/'s own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402

from training.beam import beam_search  # noqa: E402
from training.models import study_embedding  # noqa: E402
from training.pack import load_checkpoint  # noqa: E402
from training.preprocess import load_grey, preprocess_array  # noqa: E402


class PrecomputedMemory:
    """The generator with its encoder output fixed, so beam_search times only the decoding."""

    def __init__(self, generator, memory, cross_keys, cross_values, label_bias):
        self.generator = generator
        self.memory = memory
        self.cross = (cross_keys, cross_values)
        self.bias = label_bias

    def encode(self, patch_tokens, retrieved_ids, decisions=None):
        return self.memory

    def label_bias(self, decisions):
        return self.bias

    def cross_keys_values(self, memory):
        return self.cross

    def step(self, *args):
        return self.generator.step(*args)

    def empty_cache(self, rows, device=None):
        return self.generator.empty_cache(rows, device)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--frontal", required=True)
    ap.add_argument("--lateral", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--exclude", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.pack, "manifest.json")) as f:
        pack = json.load(f)
    if not pack.get("pytorch_checkpoint"):
        print(f"error: model pack {args.pack} has no pytorch_checkpoint", file=sys.stderr)
        return 2
    model = load_checkpoint(os.path.join(args.pack, pack["pytorch_checkpoint"]))
    gen = model.generator
    size = pack["preprocessing"]["resize"]["width"]
    dec = pack["decoding"]
    g = pack["gallery"]
    with open(os.path.join(args.pack, g["ids"])) as f:
        gallery_ids = json.load(f)
    with open(os.path.join(args.pack, g["token_ids"])) as f:
        gallery_tokens = json.load(f)
    gallery = torch.from_numpy(
        np.fromfile(os.path.join(args.pack, g["embeddings"]), dtype="<f4").reshape(g["count"], g["dim"]).copy()
    )
    excluded = torch.tensor([i == args.exclude for i in gallery_ids])
    diagnosis = decision_cols = thresholds = None
    if pack.get("diagnosis"):
        from training.diagnosis import load_diagnosis

        diagnosis = load_diagnosis(os.path.join(args.pack, pack["diagnosis"]["checkpoint"]))
        if pack.get("prompts"):
            names = [f["name"] for f in pack["diagnosis"]["findings"]]
            decision_cols = [names.index(name) for name in pack["prompts"]["findings"]]
            thresholds = torch.tensor([pack["diagnosis"]["findings"][c]["threshold"] for c in decision_cols],
                                      dtype=torch.float64)
    if gen.cfg.prompt_findings and decision_cols is None:
        print(f"error: {args.pack}: the generator is prompted but the pack has no prompts/diagnosis section",
              file=sys.stderr)
        return 2
    stages = ["decode", "preprocess", "vision", "retrieval", "diagnosis", "encoder", "beam decode", "total"]
    times: dict[str, list[float]] = {s: [] for s in stages}
    tokens_out: list[int] = []
    for run in range(args.warmup + args.runs):
        t0 = time.perf_counter()
        frontal = load_grey(args.frontal)
        lateral = load_grey(args.lateral)
        t1 = time.perf_counter()
        x = np.stack([preprocess_array(frontal, size), preprocess_array(lateral, size)])
        t2 = time.perf_counter()
        with torch.no_grad():
            patch, emb = model.vision(torch.from_numpy(x)[:, None])
            study = study_embedding(emb[0:1], emb[1:2])[0]
            t3 = time.perf_counter()
            sims = (gallery @ study).masked_fill(excluded, float("-inf"))
            top = torch.topk(sims, min(args.k, g["count"]))
            best = int(top.indices[0])
            retrieved = torch.tensor([gallery_tokens[best]], dtype=torch.long)
            t4 = time.perf_counter()
            decisions = None
            if diagnosis is not None:
                views = torch.from_numpy(x)[:, None]
                probabilities = torch.sigmoid(diagnosis(views[0:1], views[1:2])[0])
                if decision_cols is not None:
                    decisions = (probabilities[:, decision_cols].double() >= thresholds[None, :]).long()
            t5 = time.perf_counter()
            patch_tokens = patch.reshape(1, -1, patch.shape[2])
            memory = gen.encode(patch_tokens, retrieved, decisions)
            cross_k, cross_v = gen.cross_keys_values(memory)
            bias = gen.label_bias(decisions) if decisions is not None else None  # beam_search repeats it per beam
            t6 = time.perf_counter()
            seqs = beam_search(
                PrecomputedMemory(gen, memory, cross_k, cross_v, bias), patch_tokens, retrieved, dec["beam_size"],
                dec["max_length"], dec["start_id"], dec["end_id"], decisions,
            )
            t7 = time.perf_counter()
        if run >= args.warmup:
            spans = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6, t7 - t0]
            for name, value in zip(stages, spans):
                times[name].append(value * 1000.0)
        tokens_out = seqs[0]
    print(json.dumps({
        "runs": args.runs,
        "threads": args.threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "stage_ms": times,
        "tokens": tokens_out,
        "retrieved_id": gallery_ids[best],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

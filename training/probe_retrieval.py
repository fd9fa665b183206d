"""How well retrieval tells studies apart (issue 14.4), for the pack's study embeddings and for the diagnosis
branch's features and probabilities:

    /usr/bin/python3 -m training.probe_retrieval --manifest data/iu_xray_synth256/manifest.json \\
        --pack models/iu-xray-synth-demo

For each space: the cosine similarity of every val study to its nearest train study and of random val-train pairs
(mean and 5/50/95th percentiles), and the share of val studies whose nearest train study has exactly the same drawn
findings (the diagnosis branch's findings, No Finding included) and the same 14 CheXpert label bits. Val only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from .diagnosis import load_diagnosis, targets_of
from .manifest import load_manifest
from .models import study_embedding
from .pack import load_checkpoint
from .preprocess import build_image_cache
from .train import REPO_ROOT


def describe(values: np.ndarray) -> dict:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"mean": float(values.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def probe(name: str, train: np.ndarray, val: np.ndarray, y_train, y_val, lab_train, lab_val, rng) -> dict:
    train = train / np.linalg.norm(train, axis=1, keepdims=True)
    val = val / np.linalg.norm(val, axis=1, keepdims=True)
    sims = val @ train.T
    nn = sims.argmax(1)
    nn_sim = sims[np.arange(len(val)), nn]
    rand = sims[np.arange(len(val)), rng.integers(0, len(train), len(val))]
    same_drawn = float(np.mean([np.array_equal(y_val[i], y_train[j]) for i, j in enumerate(nn)]))
    same_labels = float(np.mean([np.array_equal(lab_val[i], lab_train[j]) for i, j in enumerate(nn)]))
    out = {"space": name, "nearest": describe(nn_sim), "random_pair": describe(rand),
           "same_drawn_findings": same_drawn, "same_label_bits": same_labels}
    print(f"{name:<34} nearest cos mean {out['nearest']['mean']:.3f} (p5 {out['nearest']['p5']:.3f}, p95 "
          f"{out['nearest']['p95']:.3f}); random pair mean {out['random_pair']['mean']:.3f} (p5 "
          f"{out['random_pair']['p5']:.3f}, p95 {out['random_pair']['p95']:.3f}); nearest shares the drawn findings "
          f"{100 * same_drawn:.1f} %, the label bits {100 * same_labels:.1f} %")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--pack", required=True)
    ap.add_argument("--out", default=None, help="JSON with the figures")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(42)
    with open(os.path.join(a.pack, "manifest.json")) as f:
        pack = json.load(f)
    m = load_manifest(a.manifest)
    size = int(pack["preprocessing"]["resize"]["width"])
    images, index = build_image_cache(m, size, os.path.join(REPO_ROOT, "data", "cache"), lambda _m: None)
    images = torch.from_numpy(np.array(images))
    names, y_all, _ = targets_of(m, 20)
    keep = [n for n in names]
    heads = [f["name"] for f in pack["diagnosis"]["findings"]]
    y_all = y_all[:, [names.index(h) for h in heads if h in keep]]
    lab_all = np.array([[1 if v in (1, -1) else 0 for v in s.labels] for s in m.studies])
    tr = [index[s.id] for s in m.split("train")]
    va = [index[s.id] for s in m.split("val")]
    model = load_checkpoint(os.path.join(a.pack, pack["pytorch_checkpoint"])).eval()
    net = load_diagnosis(os.path.join(a.pack, pack["diagnosis"]["checkpoint"]))
    spaces: dict[str, list[np.ndarray]] = {"pack study embedding (MedCLIP)": [], "diagnosis features": [],
                                          "diagnosis probabilities": [], "diagnosis decisions (thresholded)": []}
    thr = torch.tensor([f["threshold"] for f in pack["diagnosis"]["findings"]])
    with torch.no_grad():
        for i in range(0, len(m.studies), 128):
            x = images[i : i + 128].unsqueeze(2)
            _, emb = model.vision(x.flatten(0, 1))
            e = emb.view(x.shape[0], 2, -1)
            spaces["pack study embedding (MedCLIP)"].append(study_embedding(e[:, 0], e[:, 1]).numpy())
            logits, feats = net(x[:, 0], x[:, 1])
            p = torch.sigmoid(logits)
            spaces["diagnosis features"].append(F.normalize(feats, dim=-1).numpy())
            spaces["diagnosis probabilities"].append(p.numpy())
            # +-1 per finding so that the cosine of two decision vectors counts agreements.
            spaces["diagnosis decisions (thresholded)"].append(((p >= thr).float() * 2 - 1).numpy())
    results = []
    for name, parts in spaces.items():
        v = np.concatenate(parts, 0)
        results.append(probe(name, v[tr], v[va], y_all[tr], y_all[va], lab_all[tr], lab_all[va], rng))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"split": "val", "findings": heads, "spaces": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

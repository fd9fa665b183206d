"""How much of the 14 labels a trained MedCLIP stage sees: per-label ROC AUC of its auxiliary label head on the image
study embeddings, train and val splits (a check for memorisation), the retrieval label agreement, and how much of
its semantic-matching loss the stage learned (val loss between a uniform prediction and the floor that the soft
targets set).

    /usr/bin/python3 -m training.probe_medclip --manifest data/iu_xray_synth256/manifest.json \\
        --checkpoint data/training/iu-xray-synth-demo/medclip_stage.pt [--preset cpu]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from .manifest import CHEXPERT_OBSERVATIONS, load_manifest
from .models import semantic_matching_loss
from .train import PRESETS, Data, build_medclip, load_data, retrieve, study_embeddings


def roc_auc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """Mann-Whitney ROC AUC (ties broken by order); NaN when a class is absent."""
    pos, neg = scores[positive == 1], scores[positive == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = torch.cat([pos, neg]).argsort().argsort().double() + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def semantic_matching_headroom(model, data: Data, idx: list[int], batch: int) -> dict:
    """The val semantic-matching loss of the model beside the two values that bound it for the same batches: a
    uniform prediction (logits all equal) and the floor, the entropy of the soft targets (the loss of a model that
    predicts the targets exactly). Also the mean pairwise cosine of the text embeddings (1 = collapsed)."""
    model_loss, uniform, floor, text_cos = [], [], [], []
    for start in range(0, len(idx) - batch + 1, batch):  # whole batches, as in training
        part = idx[start:start + batch]
        tok, lengths = data.tokens(part)
        text = model.text(tok, lengths)
        image = model.image_study_embedding(data.batch_images(part, "cpu"))
        labels = data.labels[part]
        model_loss.append(float(semantic_matching_loss(model.logit_scale.exp() * image @ text.t(), labels, labels)))
        uniform.append(float(semantic_matching_loss(torch.zeros(len(part), len(part)), labels, labels)))
        targets = torch.softmax(labels @ labels.t(), dim=1)  # symmetric label similarity: both directions alike
        floor.append(float(-(targets * targets.log()).sum(1).mean()))
        sim = text @ text.t()
        text_cos.append(float(sim[~torch.eye(len(part), dtype=torch.bool)].mean()))
    return {"val_loss": float(np.mean(model_loss)), "uniform_prediction": float(np.mean(uniform)),
            "floor_target_entropy": float(np.mean(floor)), "text_embedding_mean_cosine": float(np.mean(text_cos)),
            "batches": len(model_loss), "batch": batch}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.probe_medclip", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--checkpoint", required=True, help="a training work folder's medclip_stage.pt")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    p = PRESETS[args.preset]
    data = load_data(load_manifest(args.manifest), p)
    model = build_medclip(p, data)
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    out: dict = {"checkpoint": args.checkpoint, "auc": {}}
    with torch.no_grad():
        for split in ("train", "val"):
            idx = data.splits[split]
            scores = torch.cat([model.label_head(model.image_study_embedding(data.batch_images(idx[i:i + 64], "cpu")))
                                for i in range(0, len(idx), 64)])
            aucs = [roc_auc(scores[:, j], data.labels[idx][:, j]) for j in range(scores.shape[1])]
            out["auc"][split] = {"mean": float(np.nanmean(aucs)), **dict(zip(CHEXPERT_OBSERVATIONS, aucs))}
        embeddings = {s: study_embeddings(model.vision, data, data.splits[s], "cpu", p.eval_batch)
                      for s in ("train", "val", "test")}
        out["semantic_matching"] = semantic_matching_headroom(model, data, data.splits["val"], p.medclip_batch)
    out["retrieval"] = retrieve(data, embeddings)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

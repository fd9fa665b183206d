"""Diagnosis branch: per-finding probabilities from both views of a study, added to a model pack.

    /usr/bin/python3 -m training.diagnosis --manifest data/iu_xray_synth256/manifest.json \\
        --pack models/iu-xray-synth-demo [--epochs 30] [--seed 42] [--threads 2]

Targets are what the image shows: on a synthetic dataset (the manifest has `drawn_findings`, from tools/synth's
findings.json) every drawn finding kind with at least `--min-positives` train studies, plus "no-finding" (nothing
drawn); on real images (no renderer) the CheXpert labels (positive or uncertain = 1). Network: the project's CPU
encoder layout (models.CnnVisionEncoder: patchify stem, 32-256 channels), both views through one trunk, the two
pooled vectors concatenated -> dropout -> one linear layer (one logit per finding). Loss: class-balanced binary
cross-entropy (pos_weight = negatives / positives per finding, capped at 50). The epoch with the best mean val ROC
AUC is kept; per-finding thresholds maximise val F1. Weights are rounded to float16 values (as the pack's other
models) before thresholds and metrics, so every figure is that of the exported model.

Writes <pack>/diagnosis.onnx (inputs frontal, lateral [batch, 1, S, S] preprocessed as the pack's `preprocessing`;
outputs probabilities [batch, F] and features [batch, 2C], L2-normalised), adds `models.diagnosis` and the
`diagnosis` section (findings, thresholds, val/test AUC) to its manifest and refreshes `files`; the PyTorch
checkpoint goes to <pack>/pytorch/diagnosis.pt (for the parity test) and the log/metrics to --work.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from .manifest import CHEXPERT_OBSERVATIONS, load_manifest
from .models import CnnVisionEncoder
from .pack import OPSET, _declare_output_shapes, _fp16_storage, round_to_fp16
from .pack_thumbnails import pack_file_entries
from .preprocess import build_image_cache
from .train import REPO_ROOT, Log, augment_images

NO_FINDING = "no-finding"
# The CheXpert observation each drawn kind comes from (src-main/services/language/report-findings.ts, `source`), to
# score the same probabilities against the reports' labels too (issue 14.1: evaluation reports both).
LABEL_OF_KIND = {
    NO_FINDING: "No Finding",
    "cardiomegaly": "Cardiomegaly",
    "widened-mediastinum": "Enlarged Cardiomediastinum",
    "lung-nodule": "Lung Lesion",
    "lung-mass": "Lung Lesion",
    "airspace-opacity": "Lung Opacity",
    "interstitial-opacity": "Lung Opacity",
    "scarring": "Lung Opacity",
    "edema": "Edema",
    "consolidation": "Consolidation",
    "pneumonia": "Pneumonia",
    "atelectasis": "Atelectasis",
    "pneumothorax": "Pneumothorax",
    "pleural-effusion": "Pleural Effusion",
    "pleural-thickening": "Pleural Other",
    "rib-fracture": "Fracture",
    "central-line": "Support Devices",
}
DIAGNOSIS_FORMAT = "radiology-draft/diagnosis@1"


class DiagnosisNet(nn.Module):
    """Both views through one CNN trunk; [pooled frontal, pooled lateral] -> one logit per finding."""

    def __init__(self, n_findings: int, channels=(32, 64, 128, 256), image_size: int = 128, dropout: float = 0.2):
        super().__init__()
        self.trunk = CnnVisionEncoder(tuple(channels), image_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * self.trunk.out_dim, n_findings)

    def pooled(self, frontal: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
        b = frontal.shape[0]
        _, pooled = self.trunk(torch.cat([frontal, lateral], 0))
        return torch.cat([pooled[:b], pooled[b:]], 1)

    def forward(self, frontal: torch.Tensor, lateral: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits [B, F] and the pooled features [B, 2C]."""
        h = self.pooled(frontal, lateral)
        return self.head(self.dropout(h)), h


class _Export(nn.Module):
    def __init__(self, net: DiagnosisNet):
        super().__init__()
        self.net = net

    def forward(self, frontal, lateral):
        logits, h = self.net(frontal, lateral)
        return torch.sigmoid(logits), F.normalize(h, dim=-1)


def load_diagnosis(path: str) -> DiagnosisNet:
    """The pack's pytorch/diagnosis.pt (float16 values) as a DiagnosisNet in eval mode, float32."""
    ck = torch.load(path, map_location="cpu")
    net = DiagnosisNet(len(ck["names"]), tuple(ck["channels"]), ck["image_size"])
    net.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()})
    return net.eval()


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Mann-Whitney ROC AUC (ties count one half); None when a class is absent."""
    pos, neg = scores[truth == 1], scores[truth == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(allv))
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(allv))
    r[order] = ranks
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The threshold (midpoint between neighbouring scores) with the best F1 on these scores; (0.5, 0) without positives."""
    if truth.sum() == 0:
        return 0.5, 0.0
    s = np.unique(scores)
    cands = np.concatenate([[s[0] - 1e-6], (s[:-1] + s[1:]) / 2, [s[-1] + 1e-6]]) if len(s) > 1 else s
    best = (0.5, -1.0)
    for t in cands:
        pred = scores >= t
        tp = float((pred & (truth == 1)).sum())
        fp = float((pred & (truth == 0)).sum())
        fn = float((~pred & (truth == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0
        if f1 > best[1]:
            best = (float(t), f1)
    return min(max(best[0], 1e-4), 1 - 1e-4), best[1]


def targets_of(manifest, min_positives: int) -> tuple[list[str], np.ndarray, str]:
    """(finding names, [n_studies, F] 0/1 targets, source) for every study of the manifest."""
    studies = manifest.studies
    if manifest.has_drawn_findings:
        drawn = [{f["kind"] for f in s.drawn_findings} for s in studies]
        counts: dict[str, int] = {}
        for s, kinds in zip(studies, drawn):
            if s.split == "train":
                for k in kinds:
                    counts[k] = counts.get(k, 0) + 1
        kinds = sorted((k for k, c in counts.items() if c >= min_positives), key=lambda k: (-counts[k], k))
        names = [NO_FINDING] + kinds
        y = np.zeros((len(studies), len(names)), dtype=np.float32)
        for i, ks in enumerate(drawn):
            y[i, 0] = 1.0 if not ks else 0.0
            for j, k in enumerate(kinds, start=1):
                y[i, j] = 1.0 if k in ks else 0.0
        return names, y, "drawn findings (tools/synth findings.json)"
    lab = np.array([[1.0 if v in (1, -1) else 0.0 for v in s.labels] for s in studies], dtype=np.float32)
    train = np.array([s.split == "train" for s in studies])
    keep = [j for j in range(14) if lab[train, j].sum() >= min_positives]
    return [CHEXPERT_OBSERVATIONS[j] for j in keep], lab[:, keep], "CheXpert labels of the reports"


@torch.no_grad()
def predict(net: DiagnosisNet, images: torch.Tensor, idx: list[int], batch: int = 128) -> np.ndarray:
    net.eval()
    out = []
    for i in range(0, len(idx), batch):
        x = images[idx[i : i + batch]].unsqueeze(2)
        logits, _ = net(x[:, 0], x[:, 1])
        out.append(torch.sigmoid(logits).numpy())
    return np.concatenate(out, 0)


def per_finding_auc(probs: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, float | None]:
    return {n: roc_auc(probs[:, j], y[:, j]) for j, n in enumerate(names)}


def mean_auc(aucs: dict[str, float | None]) -> float:
    v = [a for a in aucs.values() if a is not None]
    return float(np.mean(v)) if v else 0.0


def export_diagnosis(net: DiagnosisNet, image_size: int, path: str, fp16_storage: bool) -> None:
    net = net.cpu().eval()
    x = torch.randn(2, 1, image_size, image_size)
    torch.onnx.export(
        _Export(net), (x, x.flip(0)), path, opset_version=OPSET,
        input_names=["frontal", "lateral"], output_names=["probabilities", "features"],
        dynamic_axes={"frontal": {0: "batch"}, "lateral": {0: "batch"}, "probabilities": {0: "batch"},
                      "features": {0: "batch"}},
        do_constant_folding=True,
    )
    m = onnx.load(path)
    _declare_output_shapes(m, {"probabilities": ["batch", net.head.out_features], "features": ["batch", net.head.in_features]})
    if fp16_storage:
        m = _fp16_storage(m)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--pack", required=True, help="model pack folder to add diagnosis.onnx to")
    ap.add_argument("--work", default=None, help="log and metrics (default data/training/<pack name>-diagnosis)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-positives", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit-studies", type=int, default=0, help="per split (smoke test)")
    ap.add_argument("--max-steps-per-epoch", type=int, default=0, help="smoke test")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="safety cap: start no epoch after this many minutes of training (recorded in the manifest)")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    pack_dir = os.path.abspath(a.pack)
    manifest_path = os.path.join(pack_dir, "manifest.json")
    with open(manifest_path) as f:
        pack = json.load(f)
    cfg = pack["training"]["config"]
    image_size = int(pack["preprocessing"]["resize"]["width"])
    channels = tuple(cfg.get("cnn_channels") or (32, 64, 128, 256))
    work = a.work or os.path.join(REPO_ROOT, "data", "training", f"{os.path.basename(pack_dir)}-diagnosis")
    os.makedirs(work, exist_ok=True)
    log = Log(os.path.join(work, "diagnosis.log"))

    started = time.time()
    m = load_manifest(a.manifest)
    if m.sha256 != pack["training"]["dataset_manifest_sha256"]:
        log(f"note: dataset manifest sha256 {m.sha256[:12]} differs from the pack's training manifest "
            f"{pack['training']['dataset_manifest_sha256'][:12]} (same studies and splits are required)")
    names, y_all, source = targets_of(m, a.min_positives)
    images_np, index = build_image_cache(m, image_size, os.path.join(REPO_ROOT, "data", "cache"), log)
    images = torch.from_numpy(np.array(images_np))
    split_idx = {}
    for split in ("train", "val", "test"):
        ids = [index[s.id] for s in m.split(split)]
        split_idx[split] = ids[: a.limit_studies] if a.limit_studies else ids
    if not split_idx["train"]:
        raise SystemExit("diagnosis: the manifest has no train studies")
    y = torch.from_numpy(y_all)
    train_pos = y[split_idx["train"]].sum(0)
    n_train = len(split_idx["train"])
    pos_weight = ((n_train - train_pos) / train_pos.clamp(min=1)).clamp(1.0, 50.0)
    log(f"diagnosis: {len(names)} findings from {source}, image {image_size} px, {n_train} train studies; "
        f"train positives: {', '.join(f'{n} {int(c)}' for n, c in zip(names, train_pos))}")

    net = DiagnosisNet(len(names), channels, image_size)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(n_train / a.batch)
    if a.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, a.max_steps_per_epoch)
    total = a.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total, pct_start=0.15)
    gen = torch.Generator().manual_seed(a.seed)
    rng = random.Random(a.seed)
    best = (-1.0, 0, None)
    history = []
    train_started = time.time()
    stopped_early = None
    for epoch in range(1, a.epochs + 1):
        if a.max_minutes and time.time() - train_started > 60 * a.max_minutes:
            stopped_early = epoch - 1
            log(f"training cap of {a.max_minutes} min reached: stopped after epoch {epoch - 1} of {a.epochs}")
            break
        net.train()
        order = list(split_idx["train"])
        rng.shuffle(order)
        t0, loss_sum, n_seen = time.time(), 0.0, 0
        for step in range(steps_per_epoch):
            b = order[step * a.batch : (step + 1) * a.batch]
            if not b:
                break
            x = augment_images(images[b].unsqueeze(2), gen)
            logits, _ = net(x[:, 0], x[:, 1])
            loss = F.binary_cross_entropy_with_logits(logits, y[b], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(b)
            n_seen += len(b)
        val_auc = per_finding_auc(predict(net, images, split_idx["val"]), y_all[split_idx["val"]], names)
        mv = mean_auc(val_auc)
        history.append({"epoch": epoch, "train_loss": loss_sum / max(n_seen, 1), "val_mean_auc": mv,
                        "seconds": time.time() - t0})
        log(f"epoch {epoch}/{a.epochs}: train loss {loss_sum / max(n_seen, 1):.4f}, val mean AUC {mv:.4f} "
            f"({2 * n_seen / (time.time() - t0):.0f} images/s)")
        if mv > best[0]:
            best = (mv, epoch, {k: v.detach().clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[2])
    fp16 = cfg.get("weights_storage", "float16") == "float16"
    if fp16:
        round_to_fp16(net)
    probs = {s: predict(net, images, split_idx[s]) for s in ("val", "test")}
    truth = {s: y_all[split_idx[s]] for s in ("val", "test")}
    obs_index = {o: j for j, o in enumerate(CHEXPERT_OBSERVATIONS)}
    findings = []
    for j, n in enumerate(names):
        thr, val_f1 = best_f1_threshold(probs["val"][:, j], truth["val"][:, j])
        entry = {
            "name": n,
            "threshold": thr,
            "train_positives": int(train_pos[j]),
            "val_positives": int(truth["val"][:, j].sum()),
            "test_positives": int(truth["test"][:, j].sum()),
            "val_auc": roc_auc(probs["val"][:, j], truth["val"][:, j]),
            "test_auc": roc_auc(probs["test"][:, j], truth["test"][:, j]),
            "val_f1_at_threshold": val_f1,
        }
        pred_test = probs["test"][:, j] >= thr
        t = truth["test"][:, j] == 1
        tp = float((pred_test & t).sum())
        entry["test_f1_at_threshold"] = 2 * tp / (2 * tp + float((pred_test & ~t).sum()) + float((~pred_test & t).sum())) if tp else 0.0
        label = LABEL_OF_KIND.get(n) if m.has_drawn_findings else None
        if label is not None:
            lab_test = np.array([1.0 if m.studies[i].labels[obs_index[label]] in (1, -1) else 0.0
                                 for i in split_idx["test"]])
            entry["chexpert_label"] = label
            entry["test_auc_vs_label"] = roc_auc(probs["test"][:, j], lab_test)
        findings.append(entry)
    for e in findings:
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        log(f"  {e['name']:<24} thr {e['threshold']:.3f}  val AUC {fmt(e['val_auc'])}  test AUC {fmt(e['test_auc'])}"
            f"  test F1 {e['test_f1_at_threshold']:.3f}  (train+ {e['train_positives']}, test+ {e['test_positives']})"
            + (f"  vs label {e['chexpert_label']}: {fmt(e['test_auc_vs_label'])}" if "test_auc_vs_label" in e else ""))

    onnx_path = os.path.join(pack_dir, "diagnosis.onnx")
    export_diagnosis(net, image_size, onnx_path, fp16)
    os.makedirs(os.path.join(pack_dir, "pytorch"), exist_ok=True)
    torch.save({"names": names, "channels": list(channels), "image_size": image_size,
                "state_dict": {k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}},
               os.path.join(pack_dir, "pytorch", "diagnosis.pt"))
    feat_dim = 2 * net.trunk.out_dim
    pack["models"]["diagnosis"] = {
        "file": "diagnosis.onnx", "opset": OPSET,
        "inputs": [{"name": "frontal", "dtype": "float32", "shape": ["batch", 1, image_size, image_size]},
                   {"name": "lateral", "dtype": "float32", "shape": ["batch", 1, image_size, image_size]}],
        "outputs": [{"name": "probabilities", "dtype": "float32", "shape": ["batch", len(names)]},
                    {"name": "features", "dtype": "float32", "shape": ["batch", feat_dim]}],
    }
    pack["diagnosis"] = {
        "format": DIAGNOSIS_FORMAT,
        "targets": source,
        "network": f"CNN trunk {list(channels)} shared by both views, [pooled frontal, pooled lateral] -> linear",
        "loss": "class-balanced binary cross-entropy (pos_weight = negatives/positives, capped at 50)",
        "threshold_rule": "per finding, the threshold with the best val F1",
        "selection": "epoch with the best mean val ROC AUC",
        "checkpoint": "pytorch/diagnosis.pt",
        "selected_epoch": best[1],
        "epochs": a.epochs,
        "epochs_run": stopped_early or a.epochs,
        "seed": a.seed,
        "seconds": round(time.time() - started, 1),
        "dataset_manifest_sha256": m.sha256,
        "findings": findings,
        "history": history,
    }
    pack["files"] = pack_file_entries(pack_dir)
    with open(manifest_path, "w") as f:
        json.dump(pack, f, indent=1)
        f.write("\n")
    with open(os.path.join(work, "diagnosis.json"), "w") as f:
        json.dump(pack["diagnosis"], f, indent=2)
    log(f"diagnosis.onnx {os.path.getsize(onnx_path) / 1e6:.1f} MB added to {pack_dir} (epoch {best[1]}, "
        f"val mean AUC {best[0]:.4f}) in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

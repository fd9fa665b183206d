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


def probe(name: str, train: np.ndarray, val: np.ndarray, y_train, y_val, lab_train, lab_val, rng,
          decided: list[int]) -> dict:
    train = train / np.linalg.norm(train, axis=1, keepdims=True)
    val = val / np.linalg.norm(val, axis=1, keepdims=True)
    sims = val @ train.T
    nn = sims.argmax(1)
    nn_sim = sims[np.arange(len(val)), nn]
    rand = sims[np.arange(len(val)), rng.integers(0, len(train), len(val))]
    same_drawn = float(np.mean([np.array_equal(y_val[i], y_train[j]) for i, j in enumerate(nn)]))
    same_decided = float(np.mean([np.array_equal(y_val[i, decided], y_train[j, decided]) for i, j in enumerate(nn)]))
    same_labels = float(np.mean([np.array_equal(lab_val[i], lab_train[j]) for i, j in enumerate(nn)]))
    out = {"space": name, "nearest": describe(nn_sim), "random_pair": describe(rand),
           "same_drawn_findings": same_drawn, "same_decided_findings": same_decided, "same_label_bits": same_labels}
    print(f"{name:<34} nearest cos mean {out['nearest']['mean']:.3f} (p5 {out['nearest']['p5']:.3f}, p95 "
          f"{out['nearest']['p95']:.3f}); random pair mean {out['random_pair']['mean']:.3f} (p5 "
          f"{out['random_pair']['p5']:.3f}, p95 {out['random_pair']['p95']:.3f}); nearest shares the drawn findings "
          f"{100 * same_drawn:.1f} % (the decided ones {100 * same_decided:.1f} %), the label bits {100 * same_labels:.1f} %")
    return out


def write_decided_retrieval(folder: str, m, index, decided_space, truth_space, y_all, decided, features) -> None:
    """Per val/test study, the train study that agrees with its decided findings on the most findings (the
    branch's decisions against the train studies' drawn truth); ties go to the train study with the fewest drawn
    findings the branch cannot decide (the likelier reading), then to the nearest by diagnosis features."""
    os.makedirs(folder, exist_ok=True)
    tr = [index[s.id] for s in m.split("train")]
    undecided = np.delete(y_all, decided, axis=1).sum(1)
    for split in ("val", "test"):
        q = [index[s.id] for s in m.split(split)]
        agree = (np.sign(decided_space[q])[:, None, :] == np.sign(truth_space[tr])[None, :, :]).sum(2)
        score = agree - 0.01 * undecided[tr][None, :] + 0.001 * (features[q] @ features[tr].T)
        nn = score.argmax(1)
        path = os.path.join(folder, f"decided-findings-{split}.jsonl")
        with open(path, "w") as f:
            for row, i in enumerate(q):
                f.write(json.dumps({"id": m.studies[i].id, "report": m.studies[tr[nn[row]]].report}) + "\n")
        same = float(np.mean([np.array_equal(y_all[i], y_all[tr[j]]) for i, j in zip(q, nn)]))
        print(f"{split}: wrote {path}; the retrieved train study has exactly the same drawn findings for "
              f"{100 * same:.1f} %")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--pack", required=True)
    ap.add_argument("--out", default=None, help="JSON with the figures")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--predictions", default=None,
                    help="folder: write decided-findings-val.jsonl and -test.jsonl, the report of the train study "
                         "retrieved by the decided findings (score them with npm run eval -- --predictions ... --data)")
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
                                          "diagnosis probabilities": [], "diagnosis decisions (thresholded)": [],
                                          "decided findings (thresholded)": [],
                                          "decided findings + diagnosis features": []}
    thr = torch.tensor([f["threshold"] for f in pack["diagnosis"]["findings"]])
    # the findings the engine decides on (>= 5 val positives, val AUC >= 0.8; diagnosisFindingReliable)
    decided = [i for i, f in enumerate(pack["diagnosis"]["findings"])
               if (f.get("val_positives") or 0) >= 5 and (f.get("val_auc") or 0) >= 0.8]
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
            d = ((p[:, decided] >= thr[decided]).float() * 2 - 1) / len(decided) ** 0.5
            spaces["decided findings (thresholded)"].append(d.numpy())
            # the decisions dominate; the features order the studies that agree on every decision
            spaces["decided findings + diagnosis features"].append(
                torch.cat([d * 2, F.normalize(feats, dim=-1)], 1).numpy())
    results = []
    for name, parts in spaces.items():
        v = np.concatenate(parts, 0)
        results.append(probe(name, v[tr], v[va], y_all[tr], y_all[va], lab_all[tr], lab_all[va], rng, decided))
    # The gallery is train data: its studies can carry the drawn truth of the decided findings instead of the
    # branch's decisions (val queries still use the decisions).
    decided_space = np.concatenate(spaces["decided findings (thresholded)"], 0)
    truth_space = (y_all[:, decided] * 2 - 1) / len(decided) ** 0.5
    results.append(probe("decided findings, gallery by drawn truth", truth_space[tr], decided_space[va], y_all[tr],
                         y_all[va], lab_all[tr], lab_all[va], rng, decided))
    if a.predictions:
        write_decided_retrieval(a.predictions, m, index, decided_space, truth_space, y_all, decided,
                                np.concatenate(spaces["diagnosis features"], 0))
    # ceiling: a val study whose exact drawn set no train study has cannot share it with any retrieved study
    train_sets = {tuple(r) for r in y_all[tr].astype(int)}
    ceiling = float(np.mean([tuple(r) in train_sets for r in y_all[va].astype(int)]))
    print(f"ceiling: {100 * ceiling:.1f} % of val studies have a train study with exactly the same drawn findings")
    undecided_free = float(np.mean(np.delete(y_all[va], decided, axis=1).sum(1) == 0))
    all_right = float(np.mean(((decided_space[va] > 0) == (y_all[va][:, decided] > 0)).all(1)))
    print(f"{100 * undecided_free:.1f} % of val studies have no drawn finding outside the {len(decided)} decided ones; "
          f"the branch decides all {len(decided)} right for {100 * all_right:.1f} %")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"split": "val", "findings": heads, "decided": [heads[i] for i in decided], "spaces": results,
                       "same_drawn_ceiling": ceiling, "val_without_undecided_findings": undecided_free,
                       "val_all_decisions_right": all_right}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scoring through the TypeScript language toolkit's eval CLI (Python never re-implements text processing).

Predictions are written as JSONL lines {"id", "report"} where report is the decoded tokens joined with spaces;
`npm run eval -- --predictions FILE --out OUT.json` scores them against the toolkit's references.
"""

from __future__ import annotations

import json
import os
import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EvalError(RuntimeError):
    pass


def write_predictions(path: str, items: list[tuple[str, str]]) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        for sid, text in items:
            f.write(json.dumps({"id": sid, "report": text}) + "\n")


def run_eval(predictions_path: str, out_path: str, extra_args: list[str] | None = None) -> dict:
    """Runs the toolkit's eval CLI and returns its JSON output, normalised by `normalise_metrics`."""
    cmd = ["npm", "run", "--silent", "eval", "--", "--predictions", predictions_path, "--out", out_path]
    cmd += extra_args or []
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise EvalError(
            f"eval CLI failed on {predictions_path} (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    try:
        with open(out_path) as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise EvalError(f"eval CLI wrote no readable JSON at {out_path}: {e}") from None
    return normalise_metrics(raw, out_path)


METRIC_KEYS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "clinical_precision",
               "clinical_recall", "clinical_f1")
_TOOLKIT_KEYS = {
    "BLEU-1": ("bleu1",), "BLEU-2": ("bleu2",), "BLEU-3": ("bleu3",), "BLEU-4": ("bleu4",), "METEOR": ("meteor",),
    "ROUGE-L": ("rouge_l",), "clinical_precision": ("ce", "precision"), "clinical_recall": ("ce", "recall"),
    "clinical_f1": ("ce", "f1"),
}


def normalise_metrics(raw: dict, source: str) -> dict:
    """Maps the toolkit's JSON (bleu1..bleu4, meteor, rouge_l, ce.{precision,recall,f1}) onto fixed keys."""
    out: dict[str, float] = {}
    for key, path in _TOOLKIT_KEYS.items():
        node = raw
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, (int, float)) or isinstance(node, bool):
            raise EvalError(f"eval output {source} has no numeric {'.'.join(path)}")
        out[key] = float(node)
    return out


def write_annotation_subset(path: str, manifest, ids_by_split: dict[str, list[str]]) -> None:
    """An R2Gen annotation.json holding only the given studies (fields copied from the manifest, unchanged)."""
    by_id = {s.id: s for s in manifest.studies}
    doc = {split: [] for split in ("train", "val", "test")}
    for split, ids in ids_by_split.items():
        for sid in ids:
            s = by_id[sid]
            doc[split].append({"id": sid, "report": s.report, "image_path": [f"{sid}/0.png", f"{sid}/1.png"],
                               "split": split})
    with open(path, "w") as f:
        json.dump(doc, f)

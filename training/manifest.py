"""Reads and validates the dataset manifest written by the TypeScript language toolkit.

Format: radiology-draft/dataset-manifest@1 (see /docs/model.md). Nothing here touches report text: the generator
reads `token_ids`, the vocabulary is `tokenizer.idx2token`, the semantic-matching loss reads `labels`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

MANIFEST_FORMAT = "radiology-draft/dataset-manifest@1"
CHEXPERT_OBSERVATIONS = [
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Lesion",
    "Lung Opacity",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
]
SPLITS = ("train", "val", "test")


class ManifestError(ValueError):
    """The dataset manifest is missing, malformed or inconsistent; the message names the file and the field."""


@dataclass(frozen=True)
class Study:
    id: str
    split: str
    token_ids: list[int]
    labels: list[int | None]
    image_paths: list[str]  # absolute paths: [frontal, lateral]
    report: str  # raw report text, never processed here (only handed back to the toolkit's eval)
    # What the synthetic renderer drew (tools/synth findings.json): [{kind, certainty, side?, severity?}];
    # None when the dataset has no renderer (real images).
    drawn_findings: list[dict] | None = None


@dataclass(frozen=True)
class DatasetManifest:
    path: str
    sha256: str
    dataset: str
    root: str
    observations: list[str]
    idx2token: list[str]
    bos_id: int
    eos_id: int
    pad_id: int
    max_seq_length: int
    tokenizer: dict
    studies: list[Study]
    has_drawn_findings: bool = False

    def split(self, name: str) -> list[Study]:
        return [s for s in self.studies if s.split == name]

    @property
    def vocab_size(self) -> int:
        return len(self.idx2token)

    def decode(self, token_ids: list[int]) -> str:
        """Tokens up to the first end id, looked up in idx2token and joined with single spaces (no other processing)."""
        words = []
        for t in token_ids:
            if t == self.eos_id:
                break
            words.append(self.idx2token[t])
        return " ".join(words)


def _fail(path: str, message: str) -> ManifestError:
    return ManifestError(f"dataset manifest {path}: {message}")


def load_manifest(path: str, check_images: bool = True) -> DatasetManifest:
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise _fail(path, f"cannot read ({e.strerror})") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as e:
        raise _fail(path, f"not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise _fail(path, "top level must be an object")
    if doc.get("format") != MANIFEST_FORMAT:
        raise _fail(path, f'"format" must be "{MANIFEST_FORMAT}", found {doc.get("format")!r}')
    root = doc.get("root")
    if not isinstance(root, str) or not os.path.isabs(root):
        raise _fail(path, f'"root" must be an absolute path, found {root!r}')
    observations = doc.get("observations")
    if observations != CHEXPERT_OBSERVATIONS:
        raise _fail(path, '"observations" must be the 14 CheXpert names in CheXpert order')
    tok = doc.get("tokenizer")
    if not isinstance(tok, dict):
        raise _fail(path, '"tokenizer" must be an object')
    idx2token = tok.get("idx2token")
    if not isinstance(idx2token, list) or len(idx2token) < 2 or not all(isinstance(t, str) for t in idx2token):
        raise _fail(path, '"tokenizer.idx2token" must be a list of at least 2 strings')
    for key in ("bos_id", "eos_id", "pad_id", "max_seq_length"):
        if not isinstance(tok.get(key), int) or tok[key] < 0:
            raise _fail(path, f'"tokenizer.{key}" must be a non-negative integer, found {tok.get(key)!r}')
    vocab = len(idx2token)
    max_len = tok["max_seq_length"]
    studies_doc = doc.get("studies")
    if not isinstance(studies_doc, list) or not studies_doc:
        raise _fail(path, '"studies" must be a non-empty list')
    studies: list[Study] = []
    seen: set[str] = set()
    has_drawn = doc.get("drawn_findings_source") is not None
    for i, s in enumerate(studies_doc):
        where = f"studies[{i}]"
        if not isinstance(s, dict):
            raise _fail(path, f"{where} must be an object")
        sid = s.get("id")
        if not isinstance(sid, str) or not sid:
            raise _fail(path, f'{where}.id must be a non-empty string')
        where = f"study {sid}"
        if sid in seen:
            raise _fail(path, f"{where} appears twice")
        seen.add(sid)
        if s.get("split") not in SPLITS:
            raise _fail(path, f'{where}: "split" must be one of {SPLITS}, found {s.get("split")!r}')
        ids = s.get("token_ids")
        if (
            not isinstance(ids, list)
            or len(ids) < 2
            or len(ids) > max_len
            or not all(isinstance(t, int) and 0 <= t < vocab for t in ids)
        ):
            raise _fail(path, f'{where}: "token_ids" must be 2..{max_len} integers in [0, {vocab})')
        labels = s.get("labels")
        if (
            not isinstance(labels, list)
            or len(labels) != 14
            or not all(v is None or v in (1, 0, -1) for v in labels)
        ):
            raise _fail(path, f'{where}: "labels" must be 14 values among 1, 0, -1, null')
        images = s.get("images")
        if not isinstance(images, list) or len(images) != 2 or not all(isinstance(p, str) for p in images):
            raise _fail(path, f'{where}: "images" must be [frontal, lateral] relative paths')
        abs_images = [os.path.join(root, p) for p in images]
        if check_images:
            for p in abs_images:
                if not os.path.isfile(p):
                    raise _fail(path, f"{where}: image file {p} does not exist")
        report = s.get("report")
        if not isinstance(report, str):
            raise _fail(path, f'{where}: "report" must be a string')
        drawn = s.get("drawn_findings")
        if drawn is not None and (
            not isinstance(drawn, list)
            or not all(
                isinstance(f, dict) and isinstance(f.get("kind"), str) and f.get("certainty") in ("positive", "uncertain")
                for f in drawn
            )
        ):
            raise _fail(path, f'{where}: "drawn_findings" must be a list of {{kind, certainty, side?, severity?}}')
        if has_drawn and drawn is None:
            raise _fail(path, f'{where}: no "drawn_findings" although the manifest has "drawn_findings_source"')
        studies.append(Study(sid, s["split"], ids, labels, abs_images, report, drawn))
    for split in SPLITS:
        if not any(s.split == split for s in studies):
            raise _fail(path, f'no study in split "{split}"')
    return DatasetManifest(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        dataset=str(doc.get("dataset", "")),
        root=root,
        observations=observations,
        idx2token=idx2token,
        bos_id=tok["bos_id"],
        eos_id=tok["eos_id"],
        pad_id=tok["pad_id"],
        max_seq_length=max_len,
        tokenizer={k: v for k, v in tok.items() if k != "idx2token"},
        studies=studies,
        has_drawn_findings=has_drawn,
    )

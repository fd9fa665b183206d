"""Gallery thumbnails of a model pack (radiology-draft/model-pack@1, see docs/model.md "Model pack format").

The similar-cases pane shows a small picture of each retrieved case. A pack's gallery cases get theirs from the pack:

  gallery/thumbnails.bin    the JPEGs of every gallery study, concatenated in the row order of gallery/ids.json
  gallery/thumbnails.json   {"format": "jpeg", "max_side": 96, "quality": 75, "colour": "grey", "source": ...,
                             "ids": [... = gallery/ids.json], "offsets": [...], "lengths": [...]}

Each thumbnail is the study's frontal view (images[0] of the dataset manifest) in grey, downscaled (never enlarged)
to fit max_side x max_side with its aspect ratio kept (PIL LANCZOS), baseline JPEG. The manifest's gallery section
describes both files (`gallery.thumbnails`) and `files` lists them with size and sha256 like every other file.

`write_pack` (pack.py) writes them with the rest of the pack. To add them to an existing pack without retraining:

    /usr/bin/python3 -m training.pack_thumbnails --pack models/iu-xray-synth-demo \
        --manifest data/iu_xray_synth256/manifest.json

which writes the two files, adds `gallery.thumbnails` and rewrites `files` (sizes and hashes). Only PIL and numpy
are needed (no torch).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys

import numpy as np
from PIL import Image

from .preprocess import load_grey

THUMBNAIL_FORMAT = "jpeg"
THUMBNAIL_MAX_SIDE = 96
THUMBNAIL_QUALITY = 75  # 96-px grey JPEGs of the synthetic radiographs: ~2.4 KB each (quality 80: ~2.7 KB)
THUMBNAILS_INDEX = "gallery/thumbnails.json"
THUMBNAILS_DATA = "gallery/thumbnails.bin"
MANIFEST = "manifest.json"


def thumbnail_jpeg(image_path: str, max_side: int = THUMBNAIL_MAX_SIDE, quality: int = THUMBNAIL_QUALITY) -> bytes:
    """The grey JPEG thumbnail of one image: fits max_side x max_side, aspect kept, never enlarged."""
    grey = load_grey(image_path)  # float64 in [0, 1], 8- and 16-bit and RGB alike
    im = Image.fromarray(np.rint(grey * 255.0).astype(np.uint8), mode="L")
    im.thumbnail((max_side, max_side), Image.LANCZOS)
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality, optimize=True)
    data = out.getvalue()
    if data[:3] != b"\xff\xd8\xff":
        raise ValueError(f"image {image_path}: the encoded thumbnail is not a JPEG")
    return data


def write_gallery_thumbnails(
    out_dir: str,
    ids: list[str],
    frontal_paths: list[str],
    max_side: int = THUMBNAIL_MAX_SIDE,
    quality: int = THUMBNAIL_QUALITY,
    log=None,
) -> dict:
    """Write gallery/thumbnails.bin and gallery/thumbnails.json for `ids` (the gallery's row order).

    `frontal_paths[i]` is the frontal image of `ids[i]`. Returns the manifest's `gallery.thumbnails` section.
    """
    if len(ids) != len(frontal_paths):
        raise ValueError(f"{len(ids)} gallery ids but {len(frontal_paths)} frontal images")
    os.makedirs(os.path.join(out_dir, "gallery"), exist_ok=True)
    offsets: list[int] = []
    lengths: list[int] = []
    offset = 0
    step = max(1, len(ids) // 10)
    with open(os.path.join(out_dir, THUMBNAILS_DATA), "wb") as f:
        for i, (sid, p) in enumerate(zip(ids, frontal_paths)):
            try:
                data = thumbnail_jpeg(p, max_side, quality)
            except (OSError, ValueError) as e:
                raise ValueError(f"gallery study {sid}: cannot make a thumbnail of {p} ({e})") from None
            f.write(data)
            offsets.append(offset)
            lengths.append(len(data))
            offset += len(data)
            if log and ((i + 1) % step == 0 or i + 1 == len(ids)):
                log(f"  thumbnails {i + 1}/{len(ids)}")
    index = {
        "format": THUMBNAIL_FORMAT,
        "max_side": max_side,
        "quality": quality,
        "colour": "grey",
        "source": "frontal view (images[0] of the dataset manifest)",
        "ids": list(ids),
        "offsets": offsets,
        "lengths": lengths,
    }
    with open(os.path.join(out_dir, THUMBNAILS_INDEX), "w") as f:
        json.dump(index, f, separators=(",", ":"))
    return {
        "index": THUMBNAILS_INDEX,
        "data": THUMBNAILS_DATA,
        "format": THUMBNAIL_FORMAT,
        "max_side": max_side,
        "count": len(ids),
        "bytes": offset,
    }


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pack_file_entries(out_dir: str) -> list[dict]:
    """The manifest's `files`: every file of the pack but manifest.json, with size and sha256, sorted by path."""
    entries = []
    for root, _, names in os.walk(out_dir):
        for n in sorted(names):
            full = os.path.join(root, n)
            rel = os.path.relpath(full, out_dir).replace(os.sep, "/")
            if rel == MANIFEST:
                continue
            entries.append({"path": rel, "bytes": os.path.getsize(full), "sha256": sha256_file(full)})
    entries.sort(key=lambda e: e["path"])
    return entries


def add_thumbnails_to_pack(pack_dir: str, dataset_manifest: str, max_side: int = THUMBNAIL_MAX_SIDE,
                           quality: int = THUMBNAIL_QUALITY, log=print) -> dict:
    """Add (or replace) the gallery thumbnails of an existing pack; rewrites manifest.json's gallery and files."""
    from .manifest import load_manifest

    manifest_path = os.path.join(pack_dir, MANIFEST)
    with open(manifest_path) as f:
        manifest = json.load(f)
    gallery = manifest.get("gallery")
    if not isinstance(gallery, dict) or not isinstance(gallery.get("ids"), str):
        raise ValueError(f"{manifest_path}: no gallery section with an ids file")
    with open(os.path.join(pack_dir, gallery["ids"])) as f:
        ids = json.load(f)
    dataset = load_manifest(dataset_manifest, check_images=False)
    expected = manifest.get("training", {}).get("dataset_manifest_sha256")
    if expected and expected != dataset.sha256:
        log(f"warning: {dataset.path} has sha256 {dataset.sha256[:12]}..., the pack was trained on {expected[:12]}...")
    by_id = {s.id: s for s in dataset.studies}
    missing = [sid for sid in ids if sid not in by_id]
    if missing:
        raise ValueError(f"{dataset.path}: {len(missing)} of {len(ids)} gallery studies are not in it "
                         f"(first: {', '.join(missing[:5])})")
    section = write_gallery_thumbnails(pack_dir, ids, [by_id[sid].image_paths[0] for sid in ids], max_side, quality,
                                       log)
    gallery["thumbnails"] = section
    manifest["files"] = pack_file_entries(pack_dir)
    tmp = manifest_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(tmp, manifest_path)
    total = sum(e["bytes"] for e in manifest["files"]) + os.path.getsize(manifest_path)
    log(f"{pack_dir}: {section['count']} gallery thumbnails, {section['bytes'] / 1e6:.2f} MB; "
        f"pack {len(manifest['files']) + 1} files, {total / 1e6:.1f} MB")
    return section


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.pack_thumbnails",
                                 description="Add gallery thumbnails to an existing model pack.")
    ap.add_argument("--pack", required=True, help="model pack folder (has manifest.json)")
    ap.add_argument("--manifest", required=True, help="the dataset manifest the pack was trained on")
    ap.add_argument("--max-side", type=int, default=THUMBNAIL_MAX_SIDE)
    ap.add_argument("--quality", type=int, default=THUMBNAIL_QUALITY)
    args = ap.parse_args(argv)
    try:
        add_thumbnails_to_pack(args.pack, args.manifest, args.max_side, args.quality)
    except (OSError, ValueError) as e:
        print(f"pack_thumbnails: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

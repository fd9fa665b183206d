"""Development images for the inference engine's tests: a deterministic stand-in for the synthetic IU-Xray set.

    /usr/bin/python3 test/integration/inference/make_dev_images.py --manifest data/dev-synth/manifest.json \
        --out data/dev-synth

Writes images/<id>/0.png (frontal, 224 wide x 256 high) and 1.png (lateral, 256 x 224) for every study of a
dataset manifest: a soft thorax-like ellipse with one Gaussian blob per positive or uncertain observation (the
blob's place depends on the observation), plus noise. The images carry the labels, so a model trained on them a
few steps learns something; they are not radiographs. Only used to build a development model pack
(build-dev-pack.sh) until the project's demo pack and synthetic data set exist.
"""

import argparse
import json
import os

import numpy as np
from PIL import Image


def render(labels, view: int, study_index: int) -> np.ndarray:
    h, w = (256, 224) if view == 0 else (224, 256)
    rng = np.random.default_rng(study_index * 2 + view)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = h / 2, w / 2
    body = np.exp(-(((yy - cy) / (0.42 * h)) ** 2 + ((xx - cx) / (0.40 * w)) ** 2) ** 2)
    img = 0.15 + 0.35 * body + rng.normal(0.0, 0.03, (h, w))
    for i, value in enumerate(labels):
        if value in (1, -1):
            by = 0.2 * h + ((i * 37) % 60) / 100 * h
            bx = 0.2 * w + ((i * 53) % 60) / 100 * w
            sigma = (6 + 2 * view) * (1.0 if value == 1 else 0.7)
            img += 0.45 * np.exp(-((yy - by) ** 2 + (xx - bx) ** 2) / (2 * sigma**2))
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    for index, study in enumerate(manifest["studies"]):
        folder = os.path.join(args.out, "images", study["id"])
        os.makedirs(folder, exist_ok=True)
        for view in range(2):
            Image.fromarray(render(study["labels"], view, index)).save(os.path.join(folder, f"{view}.png"))
    print(f"{len(manifest['studies'])} studies written to {args.out}")


if __name__ == "__main__":
    main()

"""MedCLIP image preprocessing, written so that the TypeScript engine can reproduce it bit for bit (float64 maths).

1. Decode to one grey channel in [0, 1]: 8-bit value / 255, 16-bit value / 65535; RGB(A) is turned grey by PIL's
   "L" conversion (ITU-R 601-2 luma: L = R*299/1000 + G*587/1000 + B*114/1000).
2. Pad to a square of side max(w, h), image centred (offset floor((side - w) / 2), floor((side - h) / 2)), fill 0
   (MedCLIP's pad_img).
3. Resize to size x size with an antialiased triangle (bilinear) filter, separable, PIL's BILINEAR coefficients
   computed in float64 (no intermediate rounding): for output index i, scale = in / out, support = max(scale, 1),
   centre = (i + 0.5) * scale, taps j in [max(trunc(centre - support + 0.5), 0), min(trunc(centre + support + 0.5), in)),
   weight(j) = max(0, 1 - |(j - centre + 0.5) / max(scale, 1)|), weights normalised to sum 1.
   Rows first (vertical), then columns: out = Wy @ img @ Wx^T.
4. Normalise with MedCLIP's one-channel constants: (x - mean) / std, then cast to float32.
"""

from __future__ import annotations

import hashlib
import json
import math
import os

import numpy as np
from PIL import Image

MEDCLIP_PIXEL_MEAN = 0.5862785803043838
MEDCLIP_PIXEL_STD = 0.27950088968644304


def preprocessing_spec(image_size: int) -> dict:
    """Every constant of the preprocessing, as recorded in the model pack manifest."""
    return {
        "channels": 1,
        "input_scale": {"uint8": 1 / 255, "uint16": 1 / 65535},
        "rgb_to_grey": "ITU-R 601-2 luma (PIL convert('L')): L = R*299/1000 + G*587/1000 + B*114/1000",
        "pad_to_square": {"position": "center", "offset": "floor((side - size) / 2)", "fill": 0.0},
        "resize": {
            "width": image_size,
            "height": image_size,
            "filter": "triangle",
            "antialias": True,
            "coefficients": "PIL BILINEAR (support = max(in/out, 1)), float64, no intermediate rounding",
            "order": "vertical then horizontal",
        },
        "normalize": {"mean": MEDCLIP_PIXEL_MEAN, "std": MEDCLIP_PIXEL_STD},
        "dtype": "float32",
        "layout": "NCHW",
    }


def load_grey(path: str) -> np.ndarray:
    """Grey image as float64 in [0, 1]."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                return np.clip(arr / 65535.0, 0.0, 1.0)
            if im.mode != "L":
                im = im.convert("L")
            return np.asarray(im, dtype=np.float64) / 255.0
    except OSError as e:
        raise ValueError(f"image {path}: cannot decode ({e})") from None


def pad_to_square(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    side = max(h, w)
    if h == w:
        return img
    out = np.zeros((side, side), dtype=img.dtype)
    y0 = (side - h) // 2
    x0 = (side - w) // 2
    out[y0 : y0 + h, x0 : x0 + w] = img
    return out


def resize_weights(in_size: int, out_size: int) -> np.ndarray:
    """[out_size, in_size] float64 matrix of PIL BILINEAR antialiased coefficients."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale
    w = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        js = np.arange(xmin, xmax)
        taps = np.maximum(0.0, 1.0 - np.abs((js - center + 0.5) / filterscale))
        total = taps.sum()
        if total > 0:
            w[i, xmin:xmax] = taps / total
    return w


_weights_cache: dict[tuple[int, int], np.ndarray] = {}


def _weights(in_size: int, out_size: int) -> np.ndarray:
    key = (in_size, out_size)
    if key not in _weights_cache:
        _weights_cache[key] = resize_weights(in_size, out_size)
    return _weights_cache[key]


def preprocess_array(grey: np.ndarray, image_size: int) -> np.ndarray:
    """[H, W] float64 in [0, 1] -> [image_size, image_size] float32 normalised."""
    sq = pad_to_square(grey)
    wmat = _weights(sq.shape[0], image_size)
    resized = wmat @ sq @ wmat.T
    return ((resized - MEDCLIP_PIXEL_MEAN) / MEDCLIP_PIXEL_STD).astype(np.float32)


def preprocess_file(path: str, image_size: int) -> np.ndarray:
    return preprocess_array(load_grey(path), image_size)


def build_image_cache(manifest, image_size: int, cache_dir: str, log=print) -> tuple[np.ndarray, dict[str, int]]:
    """Preprocessed views of every study, [n_studies, 2, S, S] float32 memmap, reused while manifest and size match."""
    os.makedirs(cache_dir, exist_ok=True)
    key = hashlib.sha256(f"{manifest.sha256}:{image_size}:v1".encode()).hexdigest()[:16]
    data_path = os.path.join(cache_dir, f"images-{image_size}-{key}.f32")
    index_path = os.path.join(cache_dir, f"images-{image_size}-{key}.json")
    ids = [s.id for s in manifest.studies]
    shape = (len(ids), 2, image_size, image_size)
    if os.path.exists(index_path) and os.path.exists(data_path):
        with open(index_path) as f:
            meta = json.load(f)
        if meta.get("ids") == ids and meta.get("complete"):
            arr = np.memmap(data_path, dtype=np.float32, mode="r", shape=shape)
            return np.asarray(arr), {sid: i for i, sid in enumerate(ids)}
    arr = np.memmap(data_path, dtype=np.float32, mode="w+", shape=shape)
    step = max(1, len(ids) // 20)
    for i, s in enumerate(manifest.studies):
        for v in range(2):
            arr[i, v] = preprocess_file(s.image_paths[v], image_size)
        if (i + 1) % step == 0 or i + 1 == len(ids):
            log(f"  preprocessed {i + 1}/{len(ids)} studies")
    arr.flush()
    with open(index_path, "w") as f:
        json.dump({"ids": ids, "image_size": image_size, "complete": True}, f)
    return np.asarray(np.memmap(data_path, dtype=np.float32, mode="r", shape=shape)), {
        sid: i for i, sid in enumerate(ids)
    }


def _self_check() -> None:
    """The float64 matrix resize equals torch's antialiased bilinear resize (same PIL coefficients)."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    for in_size, out_size in ((512, 128), (440, 128), (300, 224), (100, 128)):
        img = rng.random((in_size, in_size))
        ours = _weights(in_size, out_size) @ img @ _weights(in_size, out_size).T
        ref = F.interpolate(
            torch.from_numpy(img)[None, None], size=(out_size, out_size), mode="bilinear", antialias=True,
            align_corners=False,
        )[0, 0].numpy()
        diff = float(np.abs(ours - ref).max())
        print(f"resize {in_size}->{out_size}: max |ours - torch antialias| = {diff:.2e}")
        assert math.isfinite(diff) and diff < 1e-6, diff


if __name__ == "__main__":
    _self_check()

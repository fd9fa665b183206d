"""Python side of the preprocessing parity test: runs training/preprocess.py on the inputs the test names.

    /usr/bin/python3 test/unit/inference/preprocess_reference.py REQUEST.json OUT.f32

REQUEST.json: {"size": S, "items": [{"file": path} | {"grey_u8": raw 8-bit file, "width": w, "height": h}]}
OUT.f32: for each item, S*S float32 little-endian values: preprocess_file(path) for files (PIL decoding, exactly
as training reads images), preprocess_array(values / 255) for raw 8-bit grey (the engine's DICOM display rendering,
which PIL cannot read).
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from training.preprocess import preprocess_array, preprocess_file  # noqa: E402


def main() -> None:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    size = request["size"]
    out = []
    for item in request["items"]:
        if "file" in item:
            out.append(preprocess_file(item["file"], size))
        else:
            raw = np.fromfile(item["grey_u8"], dtype=np.uint8).reshape(item["height"], item["width"])
            out.append(preprocess_array(raw.astype(np.float64) / 255.0, size))
    np.stack(out).astype("<f4").tofile(sys.argv[2])


if __name__ == "__main__":
    main()

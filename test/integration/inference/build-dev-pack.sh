#!/usr/bin/env bash
# Builds data/dev-pack, a development model pack for the inference tests and benchmarks, until the project's demo
# pack is in models/: deterministic stand-in images for every IU-Xray study (make_dev_images.py), a dataset manifest
# from the language toolkit, then the project's training code (training/train.py, cpu preset architecture, a few
# epochs). Takes tens of minutes on 2 shared cores. Everything lands in git-ignored data/.
set -euo pipefail
cd "$(dirname "$0")/../../.."
mkdir -p data/dev-synth
# The study list and labels first (images missing), then the images, then the final manifest.
npm run --silent manifest -- --root data/dev-synth --allow-missing-images --out data/dev-synth/manifest.json
/usr/bin/python3 test/integration/inference/make_dev_images.py --manifest data/dev-synth/manifest.json --out data/dev-synth
npm run --silent manifest -- --root data/dev-synth --out data/dev-synth/manifest.json
nice -n 5 /usr/bin/python3 -m training.train --manifest data/dev-synth/manifest.json --preset cpu \
  --out data/dev-pack --name dev-pack --version 0.0.1-dev --variants full --medclip-epochs 2 --gen-epochs 2 \
  --threads 2 --work data/dev-pack-work

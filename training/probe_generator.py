"""How much a trained report generator's findings depend on the image: reports are sampled from the generator
(ancestral sampling, as the self-critical stage explores) for every study of a split, labelled by the toolkit's
labeler, and for each observation the rate at which samples name it is printed separately for studies whose
reference report has it and studies whose reference lacks it. Equal rates mean the generator names that finding
regardless of the image; beam search then writes the most probable (normal) report for every study.

    /usr/bin/python3 -m training.probe_generator --manifest data/iu_xray_synth256/manifest.json \\
        --work data/training/iu-xray-synth-demo --variant full [--checkpoint <work>/full.pt] [--samples 10]

The vision encoder and the retrieval are rebuilt from the work folder's checkpoints exactly as the training command
builds them (frozen `cpu`-preset encoder; `vision.*` weights of the generator checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from .manifest import CHEXPERT_OBSERVATIONS, load_manifest
from .pack import round_to_fp16
from .scst import LabelerService, sample_reports
from .train import (PRESETS, REPO_ROOT, VARIANTS, batch_patch_tokens, batches, build_medclip, build_report_model,
                    build_vision, load_data, patch_token_cache, retrieve, study_embeddings, vision_weights)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.probe_generator", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--work", required=True, help="a training work folder (has <variant>.pt and full.pt)")
    ap.add_argument("--variant", choices=VARIANTS, default="full")
    ap.add_argument("--checkpoint", default=None, help="generator state dict (default: <work>/<variant>.pt)")
    ap.add_argument("--split", choices=("train", "val", "test"), default="val")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error("--samples must be >= 1")
    checkpoint = args.checkpoint or os.path.join(args.work, f"{args.variant}.pt")
    for path in (checkpoint, os.path.join(args.work, "full.pt")):
        if not os.path.isfile(path):
            ap.error(f"{path} not found")
    torch.set_num_threads(args.threads)
    p = PRESETS[args.preset]
    m = load_manifest(args.manifest)
    data = load_data(m, p)

    # the MedCLIP vision encoder as the generators froze it, and the retrieval it gives
    medclip = build_medclip(p, data)
    medclip.vision.load_state_dict(vision_weights(torch.load(os.path.join(args.work, "full.pt"), map_location="cpu")))
    round_to_fp16(medclip.vision)
    retrieve(data, {s: study_embeddings(medclip.vision, data, data.splits[s], "cpu", p.eval_batch)
                    for s in ("train", "val", "test")})

    vision = build_vision(p)
    if args.variant != "baseline":
        vision.load_state_dict(medclip.vision.state_dict())
    use_retrieval = args.variant == "full"
    model = build_report_model(p, m.vocab_size, use_retrieval, vision)
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    model.eval()
    frozen = patch_token_cache(model.vision, data, "cpu", p.eval_batch)

    labeler = LabelerService(REPO_ROOT)
    rng = torch.Generator().manual_seed(args.seed)
    n_obs = len(CHEXPERT_OBSERVATIONS)
    named = {True: [0] * n_obs, False: [0] * n_obs}
    studies = {True: [0] * n_obs, False: [0] * n_obs}
    distinct: set[str] = set()
    try:
        with torch.no_grad():
            for part in batches(data.splits[args.split], 32, None):
                patches = batch_patch_tokens(model, data, part, frozen, "cpu")
                retrieved = data.retrieved_tokens(part) if use_retrieval else None
                tokens, lengths = sample_reports(model.generator, patches, retrieved, args.samples, p.max_length,
                                                 m.bos_id, m.eos_id, rng)
                texts = []
                for r in range(tokens.shape[0]):
                    hyp = tokens[r, : int(lengths[r])].tolist()
                    if hyp and hyp[-1] == m.eos_id:
                        hyp = hyp[:-1]
                    texts.append(m.decode(hyp))
                distinct.update(texts)
                sampled = labeler.positives(texts)
                references = labeler.positives([data.studies[i].report for i in part])
                for j in range(len(part)):
                    for o in range(n_obs):
                        has = o in references[j]
                        studies[has][o] += 1
                        named[has][o] += sum(o in sampled[j * args.samples + s] for s in range(args.samples))
    finally:
        labeler.close()

    def rate(has: bool, o: int):
        return round(named[has][o] / (studies[has][o] * args.samples), 4) if studies[has][o] else None

    out = {"checkpoint": checkpoint, "variant": args.variant, "split": args.split, "samples_per_study": args.samples,
           "distinct_samples": len(distinct),
           "observations": {name: {"studies_with": studies[True][o], "named_when_reference_has": rate(True, o),
                                   "named_when_reference_lacks": rate(False, o)}
                            for o, name in enumerate(CHEXPERT_OBSERVATIONS)}}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

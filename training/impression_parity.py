"""PyTorch side of the impression pack's ONNX parity test (test/integration/onnx-parity/impression-parity.test.ts).

    /usr/bin/python3 -m training.impression_parity --pack models/iu-xray-impression --inputs IN.json --out OUT.json

IN.json (written by the test): {"examples": [{"id", "findings_ids", "retrieved_ids"}], "tensors": K}. OUT.json: per
example the beam-search tokens of the pack's PyTorch checkpoint (training/beam.py through BeamAdapter); for the
first K examples also every encoder output and two decoder steps (the second with a reordered cache), flattened.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os

import torch

from .beam import beam_search
from .impression import BeamAdapter, load_checkpoint

SECOND_STEP_IDS = [5, 7, 9]
SECOND_STEP_ORIGIN = [2, 0, 1]


def flat(t: torch.Tensor) -> list[float]:
    return t.detach().reshape(-1).tolist()


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.pack, "manifest.json"), "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)
    model = load_checkpoint(os.path.join(args.pack, manifest["pytorch_checkpoint"]))
    decoding = manifest["decoding"]
    with open(args.inputs) as f:
        inputs = json.load(f)
    out = {"pack_manifest_sha256": hashlib.sha256(raw).hexdigest(), "torch": torch.__version__, "examples": []}
    k = decoding["beam_size"]
    for i, ex in enumerate(inputs["examples"]):
        findings = torch.tensor([ex["findings_ids"]], dtype=torch.long)
        retrieved = torch.tensor([ex["retrieved_ids"]], dtype=torch.long)
        tokens = beam_search(BeamAdapter(model, k), findings, retrieved, beam_size=k,
                             max_length=decoding["max_length"], bos_id=decoding["start_id"], eos_id=decoding["end_id"])
        item = {"id": ex["id"], "beam_tokens": tokens[0]}
        if i < inputs["tensors"]:
            state = model.encode(findings, retrieved)
            names = ["cross_keys", "cross_values", "pointer_keys", "copy_map", "source_bias"]
            item["encoder"] = {n: flat(t) for n, t in zip(names, state)}
            rows = len(SECOND_STEP_IDS)  # three rows whatever the pack's beam size: the cache is reordered across them
            past_k, past_v = model.empty_cache(rows)
            lp1, past_k, past_v = model.step(torch.full((rows, 1), decoding["start_id"], dtype=torch.long),
                                             torch.zeros(rows, dtype=torch.long), past_k, past_v, *state)
            lp2, past_k, _ = model.step(torch.tensor(SECOND_STEP_IDS).view(rows, 1), torch.tensor(SECOND_STEP_ORIGIN),
                                        past_k, past_v, *state)
            item["step1_log_probs"] = flat(lp1)
            item["step2_log_probs"] = flat(lp2)
            item["step2_present_keys"] = flat(past_k)
        out["examples"].append(item)
    with open(args.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()

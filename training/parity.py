"""PyTorch side of the ONNX parity test: runs a pack's PyTorch checkpoint on fixed inputs and writes a fixture.

    /usr/bin/python3 -m training.parity --pack models/NAME --manifest data/iu_xray_synth/manifest.json \
        --count 24 --out DIR            # inputs: the first COUNT test studies, preprocessed here
    /usr/bin/python3 -m training.parity --pack models/NAME --inputs FIXTURE_DIR --out DIR
                                        # inputs: the images stored in an earlier fixture

The fixture (DIR/index.json + DIR/tensors.bin) holds the inputs and every output the TypeScript test compares:
vision patch tokens and embeddings, study embeddings, top-1 retrieval over the pack gallery, generator encoder
cross keys/values, two decoder steps with a reordered cache, and the beam-search tokens of every study.
Images are stored as float16 values (and run through PyTorch as exactly those values).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

from .beam import beam_search
from .models import study_embedding
from .pack import load_checkpoint

FIXTURE_FORMAT = "radiology-draft/onnx-parity-fixture@1"
ENCODER_STUDIES = 4


class Blob:
    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0
        self.index: dict[str, dict] = {}

    def add(self, name: str, arr: np.ndarray) -> None:
        dtype = {np.dtype("float32"): "float32", np.dtype("float16"): "float16", np.dtype("int64"): "int64"}[arr.dtype]
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        self.index[name] = {"dtype": dtype, "shape": list(arr.shape), "offset": self.offset, "bytes": len(data)}
        self.parts.append(data)
        self.offset += len(data)
        pad = (-self.offset) % 8
        if pad:
            self.parts.append(b"\0" * pad)
            self.offset += pad


def read_fixture_images(fixture_dir: str) -> tuple[list[str], np.ndarray]:
    with open(os.path.join(fixture_dir, "index.json")) as f:
        index = json.load(f)
    if index.get("format") != FIXTURE_FORMAT:
        raise ValueError(f"{fixture_dir}/index.json: not a parity fixture")
    t = index["tensors"]["images"]
    with open(os.path.join(fixture_dir, "tensors.bin"), "rb") as f:
        f.seek(t["offset"])
        raw = f.read(t["bytes"])
    return [s["id"] for s in index["studies"]], np.frombuffer(raw, dtype="<f2").reshape(t["shape"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.parity", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--manifest", help="dataset manifest: inputs are its first --count test studies")
    src.add_argument("--inputs", help="an earlier fixture folder whose images are reused")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    pack_dir = os.path.abspath(args.pack)
    manifest_path = os.path.join(pack_dir, "manifest.json")
    try:
        with open(manifest_path, "rb") as f:
            raw_manifest = f.read()
        pack = json.loads(raw_manifest)
        model = load_checkpoint(os.path.join(pack_dir, pack["pytorch_checkpoint"]))
    except (OSError, ValueError, KeyError) as e:
        print(f"error: model pack {pack_dir}: {e}", file=sys.stderr)
        return 2
    size = pack["preprocessing"]["resize"]["width"]
    if args.manifest:
        from .manifest import load_manifest
        from .preprocess import preprocess_file

        dataset = load_manifest(args.manifest)
        studies = dataset.split("test")[: args.count]
        ids = [s.id for s in studies]
        images = np.stack([[preprocess_file(p, size) for p in s.image_paths] for s in studies])[:, :, None]
        images = images.astype(np.float16)
    else:
        ids, images = read_fixture_images(args.inputs)
    n = len(ids)
    gallery_ids = json.load(open(os.path.join(pack_dir, pack["gallery"]["ids"])))
    gallery_tokens = json.load(open(os.path.join(pack_dir, pack["gallery"]["token_ids"])))
    gallery = np.fromfile(os.path.join(pack_dir, pack["gallery"]["embeddings"]), dtype="<f4").reshape(
        len(gallery_ids), -1
    )
    gen = model.generator
    dec = pack["decoding"]
    blob = Blob()
    blob.add("images", images)
    with torch.no_grad():
        x = torch.from_numpy(images.astype(np.float32))
        views = x.flatten(0, 1)  # [2n, 1, S, S]
        patch_tokens, embedding = model.vision(views)
        blob.add("patch_tokens", patch_tokens.numpy())
        blob.add("embedding", embedding.numpy())
        emb = embedding.view(n, 2, -1)
        study = study_embedding(emb[:, 0], emb[:, 1])
        blob.add("study_embedding", study.numpy())
        sims = study.numpy() @ gallery.T
        top = sims.argmax(axis=1)
        retrieved = [gallery_tokens[int(t)] for t in top]
        length = max(len(r) for r in retrieved)
        retrieved_ids = torch.zeros(n, length, dtype=torch.long)
        for i, r in enumerate(retrieved):
            retrieved_ids[i, : len(r)] = torch.tensor(r)
        stacked = patch_tokens.reshape(n, -1, patch_tokens.shape[2])
        decisions = None
        if pack.get("diagnosis"):
            # The diagnosis branch (training/diagnosis.py) on the same images: frontal [n,1,S,S], lateral [n,1,S,S].
            from .diagnosis import load_diagnosis

            net = load_diagnosis(os.path.join(pack_dir, pack["diagnosis"]["checkpoint"]))
            logits, feats = net(x[:, 0], x[:, 1])
            probabilities = torch.sigmoid(logits)
            blob.add("diagnosis_probabilities", probabilities.numpy())
            blob.add("diagnosis_features", torch.nn.functional.normalize(feats, dim=-1).numpy())
            if pack.get("prompts"):
                # the engine's decisions: probability (float32) >= the manifest's threshold, compared in float64
                names = [f["name"] for f in pack["diagnosis"]["findings"]]
                cols = [names.index(name) for name in pack["prompts"]["findings"]]
                thresholds = torch.tensor([pack["diagnosis"]["findings"][c]["threshold"] for c in cols],
                                          dtype=torch.float64)
                decisions = (probabilities[:, cols].double() >= thresholds[None, :]).long()
        if gen.cfg.prompt_findings and decisions is None:
            print(f"error: {pack_dir}: the generator is prompted but the pack has no prompts/diagnosis section",
                  file=sys.stderr)
            return 2
        e = min(ENCODER_STUDIES, n)
        blob.add("encoder_patch_tokens", stacked[:e].numpy())
        blob.add("encoder_retrieved_ids", retrieved_ids[:e].numpy())
        enc_decisions = None if decisions is None else decisions[:e]
        ck, cv = gen.cross_keys_values(gen.encode(stacked[:e], retrieved_ids[:e], enc_decisions))
        blob.add("cross_keys", ck.numpy())
        blob.add("cross_values", cv.numpy())
        bias = None
        if enc_decisions is not None:
            blob.add("encoder_decisions", enc_decisions.numpy())
            bias = gen.label_bias(enc_decisions)
            if bias is not None:
                blob.add("label_bias", bias.numpy())
                bias = bias[:1]  # study 0's, broadcast over the 3 rows like its cross memory
        # two decoder steps for study 0 with 3 rows sharing its cross keys/values (batch 1, broadcast)
        ck0, cv0 = ck[:, :1], cv[:, :1]
        past_k, past_v = gen.empty_cache(3)
        ids_a = torch.full((3, 1), dec["start_id"], dtype=torch.long)
        origin_a = torch.arange(3)
        lp_a, pk_a, pv_a = gen.step(ids_a, origin_a, past_k, past_v, ck0, cv0, bias)
        ids_b = lp_a[0].topk(3).indices.view(3, 1)
        origin_b = torch.tensor([0, 0, 2])
        lp_b, pk_b, pv_b = gen.step(ids_b, origin_b, pk_a, pv_a, ck0, cv0, bias)
        for name, t in (("step_a_input_ids", ids_a), ("step_a_beam_origin", origin_a), ("step_a_log_probs", lp_a),
                        ("step_a_present_keys", pk_a), ("step_a_present_values", pv_a),
                        ("step_b_input_ids", ids_b), ("step_b_beam_origin", origin_b), ("step_b_log_probs", lp_b),
                        ("step_b_present_keys", pk_b), ("step_b_present_values", pv_b)):
            blob.add(name, t.numpy())
        beams = beam_search(gen, stacked, retrieved_ids, dec["beam_size"], dec["max_length"], dec["start_id"],
                            dec["end_id"], decisions=decisions)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tensors.bin"), "wb") as f:
        for part in blob.parts:
            f.write(part)
    index = {
        "format": FIXTURE_FORMAT,
        "pack_name": pack["name"],
        "pack_manifest_sha256": hashlib.sha256(raw_manifest).hexdigest(),
        "torch": torch.__version__,
        "studies": [
            {"id": ids[i], "retrieved_id": gallery_ids[int(top[i])], "retrieved_similarity": float(sims[i, top[i]]),
             "beam_tokens": beams[i], **({} if decisions is None else {"decisions": decisions[i].tolist()})}
            for i in range(n)
        ],
        "tensors": blob.index,
    }
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"parity fixture for {n} studies written to {args.out} ({blob.offset / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

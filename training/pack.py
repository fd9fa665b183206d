"""ONNX export and model pack writing (format radiology-draft/model-pack@1, see docs/model.md).

Pack layout:
  manifest.json             everything below, with sha256 of every other file
  vision_encoder.onnx       image [batch,1,S,S] -> patch_tokens [batch,P,C], embedding [batch,512] (L2-normalised)
  generator_encoder.onnx    patch_tokens [batch,2P,C], retrieved_ids [batch,L] -> cross_keys/values [layers,batch,H,2P,Dh]
  decoder_step.onnx         input_ids, beam_origin, past_keys/values, cross_keys/values -> log_probs, present_keys/values
  gallery/ids.json          train-split study ids, row order of embeddings.f32
  gallery/embeddings.f32    float32 little-endian [count, 512] study embeddings (from vision_encoder.onnx's model)
  gallery/token_ids.json    the token_ids (manifest format) of each gallery study: what the generator reads
  gallery/thumbnails.bin    96-px grey JPEG of each gallery study's frontal view, concatenated in row order
  gallery/thumbnails.json   format, max_side, ids (= ids.json), offsets and lengths into thumbnails.bin
                            (pack_thumbnails.py; the similar-cases pane shows them)
  pytorch/checkpoint.pt     the same weights (fp16 storage) for PyTorch: parity tests and fine-tuning
"""

from __future__ import annotations

import datetime
import json
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from .models import GeneratorConfig, ReportGenerator, ReportModel, VisionEncoder
from .pack_thumbnails import pack_file_entries, sha256_file, write_gallery_thumbnails
from .preprocess import preprocessing_spec

PACK_FORMAT = "radiology-draft/model-pack@1"
OPSET = 14


def round_to_fp16(module: nn.Module) -> None:
    """Round every saved tensor (parameters, persistent buffers) to the nearest float16 value, kept as float32.

    Non-persistent buffers (the sinusoid position table) are recomputed on load and stay exact.
    """
    with torch.no_grad():
        for t in module.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.half().float())


class _VisionExport(nn.Module):
    def __init__(self, vision: VisionEncoder):
        super().__init__()
        self.vision = vision

    def forward(self, image):
        return self.vision(image)


class _EncoderExport(nn.Module):
    def __init__(self, generator: ReportGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, patch_tokens, retrieved_ids, finding_decisions=None):
        g = self.generator
        memory = g.encode(patch_tokens, retrieved_ids, finding_decisions)
        keys, values = g.cross_keys_values(memory)
        bias = g.label_bias(finding_decisions)
        return (keys, values) if bias is None else (keys, values, bias)


class _StepExport(nn.Module):
    def __init__(self, generator: ReportGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, input_ids, beam_origin, past_keys, past_values, cross_keys, cross_values, label_bias=None):
        return self.generator.step(input_ids, beam_origin, past_keys, past_values, cross_keys, cross_values,
                                   label_bias)


def _label_bias_used(cfg: GeneratorConfig) -> bool:
    return bool(cfg.prompt_findings) and cfg.prompt_conditioning == "both"


def export_onnx(model: ReportModel, image_size: int, out_dir: str, fp16_storage: bool) -> dict[str, str]:
    model = model.cpu().eval()
    gen = model.generator
    cfg = gen.cfg
    files = {}
    path = os.path.join(out_dir, "vision_encoder.onnx")
    torch.onnx.export(
        _VisionExport(model.vision), (torch.randn(2, 1, image_size, image_size),), path, opset_version=OPSET,
        input_names=["image"], output_names=["patch_tokens", "embedding"],
        dynamic_axes={"image": {0: "batch"}, "patch_tokens": {0: "batch"}, "embedding": {0: "batch"}},
        do_constant_folding=True,
    )
    files["vision_encoder"] = path
    files.update(export_generator_onnx(gen, out_dir))
    p_, c_ = model.vision.n_patches, model.vision.out_dim
    declared = {
        "vision_encoder": {"patch_tokens": ["batch", p_, c_], "embedding": ["batch", model.vision.projection.out_features]},
        **generator_output_shapes(cfg),
    }
    finish_onnx(files, declared, fp16_storage)
    return files


def generator_output_shapes(cfg: GeneratorConfig) -> dict[str, dict[str, list]]:
    """The declared output shapes of generator_encoder.onnx and decoder_step.onnx (memory = 2P + prompt tokens)."""
    dh = cfg.d_model // cfg.heads
    layers, heads = cfg.decoder_layers, cfg.heads
    kv = [layers, "batch", heads, cfg.n_patches + cfg.prompt_findings, dh]
    encoder = {"cross_keys": kv, "cross_values": kv}
    if _label_bias_used(cfg):
        encoder["label_bias"] = ["batch", cfg.d_model]
    return {
        "generator_encoder": encoder,
        "decoder_step": {"log_probs": ["batch", cfg.vocab_size],
                         "present_keys": [layers, "batch", heads, "present_len", dh],
                         "present_values": [layers, "batch", heads, "present_len", dh]},
    }


def export_generator_onnx(gen: ReportGenerator, out_dir: str) -> dict[str, str]:
    """generator_encoder.onnx and decoder_step.onnx (unfinished: finish_onnx declares shapes and stores fp16).

    A prompted generator (cfg.prompt_findings = K) takes `finding_decisions` int64 [batch, K] in the encoder, whose
    memory then has 2P + K tokens; with "both" conditioning the encoder also returns `label_bias` [batch, d] and the
    decoder step takes it (`label_bias` [bias_batch, d], 1 row broadcast or one per row).
    """
    gen = gen.cpu().eval()
    cfg = gen.cfg
    dh = cfg.d_model // cfg.heads
    files = {}
    path = os.path.join(out_dir, "generator_encoder.onnx")
    retrieved = torch.randint(1, cfg.vocab_size, (2, 7))
    retrieved[:, 0] = 0
    retrieved[1, 5:] = 0
    args = (torch.randn(2, cfg.n_patches, cfg.patch_dim), retrieved)
    inputs, outputs = ["patch_tokens", "retrieved_ids"], ["cross_keys", "cross_values"]
    axes = {"patch_tokens": {0: "batch"}, "retrieved_ids": {0: "batch", 1: "retrieved_len"},
            "cross_keys": {1: "batch"}, "cross_values": {1: "batch"}}
    if cfg.prompt_findings:
        args = (*args, (torch.arange(cfg.prompt_findings) % 2).repeat(2, 1))
        inputs.append("finding_decisions")
        axes["finding_decisions"] = {0: "batch"}
    if _label_bias_used(cfg):
        outputs.append("label_bias")
        axes["label_bias"] = {0: "batch"}
    torch.onnx.export(_EncoderExport(gen), args, path, opset_version=OPSET, input_names=inputs,
                      output_names=outputs, dynamic_axes=axes, do_constant_folding=True)
    files["generator_encoder"] = path
    path = os.path.join(out_dir, "decoder_step.onnx")
    rows, past = 3, 2
    memory = cfg.n_patches + cfg.prompt_findings
    args = (
        torch.randint(1, cfg.vocab_size, (rows, 1)), torch.tensor([2, 0, 0]),
        torch.randn(cfg.decoder_layers, rows, cfg.heads, past, dh), torch.randn(cfg.decoder_layers, rows, cfg.heads, past, dh),
        torch.randn(cfg.decoder_layers, rows, cfg.heads, memory, dh),
        torch.randn(cfg.decoder_layers, rows, cfg.heads, memory, dh),
    )
    inputs = ["input_ids", "beam_origin", "past_keys", "past_values", "cross_keys", "cross_values"]
    axes = {
        "input_ids": {0: "batch"}, "beam_origin": {0: "batch"},
        "past_keys": {1: "past_batch", 3: "past_len"}, "past_values": {1: "past_batch", 3: "past_len"},
        "cross_keys": {1: "cross_batch"}, "cross_values": {1: "cross_batch"},
        "log_probs": {0: "batch"}, "present_keys": {1: "batch", 3: "present_len"},
        "present_values": {1: "batch", 3: "present_len"},
    }
    if _label_bias_used(cfg):
        args = (*args, torch.randn(rows, cfg.d_model))
        inputs.append("label_bias")
        axes["label_bias"] = {0: "bias_batch"}
    torch.onnx.export(_StepExport(gen), args, path, opset_version=OPSET, input_names=inputs,
                      output_names=["log_probs", "present_keys", "present_values"], dynamic_axes=axes,
                      do_constant_folding=True)
    files["decoder_step"] = path
    return files


def finish_onnx(files: dict[str, str], declared: dict[str, dict[str, list]], fp16_storage: bool) -> None:
    for key, p in files.items():
        m = onnx.load(p)
        _declare_output_shapes(m, declared[key])
        if fp16_storage:
            m = _fp16_storage(m)
        onnx.checker.check_model(m)
        onnx.save(m, p)


def _declare_output_shapes(m: onnx.ModelProto, shapes: dict[str, list]) -> None:
    """Replace the exporter's generated output dimension names with the interface's names and sizes."""
    for out in m.graph.output:
        dims = out.type.tensor_type.shape.dim
        want = shapes[out.name]
        assert len(dims) == len(want), (out.name, len(dims), want)
        for d, w in zip(dims, want):
            if isinstance(w, str):
                d.dim_param = w
            else:
                d.dim_value = w


def _fp16_storage(m: onnx.ModelProto) -> onnx.ModelProto:
    """Store large float32 initializers whose values are exactly float16 as float16 + a Cast to float32.

    onnxruntime folds the Casts at session start, so inference runs in float32 on the very same values.
    """
    graph = m.graph
    casts = []
    keep = []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 1024 and np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
            keep.append(half)
            casts.append(onnx.helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                               name=init.name + "__cast"))
        else:
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return m


def _value_info(v: onnx.ValueInfoProto) -> dict:
    t = v.type.tensor_type
    dtype = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64",
             onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.INT32: "int32"}[t.elem_type]
    shape = [d.dim_param if d.dim_param else int(d.dim_value) for d in t.shape.dim]
    return {"name": v.name, "dtype": dtype, "shape": shape}


def model_interface(path: str) -> dict:
    m = onnx.load(path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return {
        "opset": max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": [_value_info(v) for v in m.graph.input if v.name not in inits],
        "outputs": [_value_info(v) for v in m.graph.output],
    }


def save_checkpoint(path: str, model: ReportModel, preset, vocab_size: int) -> None:
    cfg = model.generator.cfg
    torch.save(
        {
            "format": "radiology-draft/pytorch-checkpoint@1",
            "vision": {"kind": model.vision.kind, "image_size": preset.image_size,
                       "embed_dim": preset.embed_dim, "channels": list(preset.cnn_channels)},
            "generator": cfg.__dict__,
            "state_dict": {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()},
        },
        path,
    )


def load_checkpoint(path: str) -> ReportModel:
    ck = torch.load(path, map_location="cpu")
    if ck.get("format") != "radiology-draft/pytorch-checkpoint@1":
        raise ValueError(f"{path}: not a radiology-draft PyTorch checkpoint")
    v = ck["vision"]
    vision = VisionEncoder(v["kind"], v["image_size"], v["embed_dim"], tuple(v["channels"]))
    model = ReportModel(vision, ReportGenerator(GeneratorConfig(**ck["generator"])))
    model.load_state_dict({k: (t.float() if t.is_floating_point() else t) for k, t in ck["state_dict"].items()})
    return model.eval()


@torch.no_grad()
def gallery_embeddings(vision: VisionEncoder, data, idx: list[int], batch: int) -> np.ndarray:
    from .models import study_embedding

    vision = vision.cpu().eval()
    out = []
    for i in range(0, len(idx), batch):
        part = idx[i : i + batch]
        _, emb = vision(data.images[part].unsqueeze(2).flatten(0, 1))
        emb = emb.view(len(part), 2, -1)
        out.append(study_embedding(emb[:, 0], emb[:, 1]).numpy())
    return np.concatenate(out).astype("<f4")


def generator_objective(preset) -> str:
    """How the generators were trained, in words (the pack manifest's method.objective)."""
    text = "token cross-entropy (teacher forcing)"
    if preset.scst_epochs > 0:
        reward = "sentence BLEU-4"
        if preset.scst_clinical_weight > 0:
            reward += f" + {preset.scst_clinical_weight:g} x clinical F1 (toolkit labeler)"
        text += (f", then {preset.scst_epochs} self-critical (SCST) epoch(s) from the best cross-entropy epoch: "
                 f"{preset.scst_samples} samples per study, reward {reward}, baseline = mean reward of the other "
                 f"samples")
    return text + "; the checkpoint with the best val BLEU-4 + clinical F1 is kept"


def write_pack(out_dir, name, version, preset, data, model: ReportModel, train_embeddings, results, training_info,
               work, log) -> dict:
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(os.path.join(out_dir, "gallery"))
    os.makedirs(os.path.join(out_dir, "pytorch"))
    model = model.cpu().eval()
    fp16 = preset.weights_storage == "float16"
    files = export_onnx(model, preset.image_size, out_dir, fp16)
    log(f"exported ONNX: {', '.join(f'{k} {os.path.getsize(v) / 1e6:.1f} MB' for k, v in files.items())}")
    save_checkpoint(os.path.join(out_dir, "pytorch", "checkpoint.pt"), model, preset, data.m.vocab_size)

    train_idx = data.splits["train"]
    emb = gallery_embeddings(model.vision, data, train_idx, preset.eval_batch)
    if not preset.finetune_vision:
        # frozen vision: the exported encoder is the one retrieval used during training
        drift = float(np.abs(emb - train_embeddings.numpy()).max())
        log(f"gallery embeddings vs training-time retrieval embeddings: max |diff| {drift:.2e}")
    emb.tofile(os.path.join(out_dir, "gallery", "embeddings.f32"))
    with open(os.path.join(out_dir, "gallery", "ids.json"), "w") as f:
        json.dump([data.studies[i].id for i in train_idx], f)
    with open(os.path.join(out_dir, "gallery", "token_ids.json"), "w") as f:
        json.dump([data.studies[i].token_ids for i in train_idx], f, separators=(",", ":"))
    thumbnails = write_gallery_thumbnails(
        out_dir, [data.studies[i].id for i in train_idx], [data.studies[i].image_paths[0] for i in train_idx]
    )
    log(f"gallery thumbnails: {thumbnails['count']} JPEGs, {thumbnails['bytes'] / 1e6:.1f} MB")

    vision_sha = sha256_file(files["vision_encoder"])
    model_id = f"sha256:{vision_sha}"
    cfg = model.generator.cfg
    models = {}
    for key, path in files.items():
        models[key] = {"file": os.path.basename(path), **model_interface(path)}
    entries = pack_file_entries(out_dir)
    m = data.m
    manifest = {
        "format": PACK_FORMAT,
        "name": name,
        "version": version,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "method": {
            "name": "medclip-retrieval-fusion",
            "description": "MedCLIP-style dual encoder (semantic-matching loss) for study embeddings and retrieval of "
            "the most similar train report; generator: patch tokens of both views + retrieved report tokens, "
            "3 fusion encoder layers F = SelfAtt(I) + W*CrossAtt(I,R), 3-layer Transformer decoder, beam search.",
            "objective": generator_objective(preset),
            "vision_encoder": model.vision.kind,
            "generator": {k: v for k, v in cfg.__dict__.items()},
        },
        "training": {
            "dataset": m.dataset,
            "images": "synthetic IU-Xray radiographs (tools/synth), R2Gen split",
            "dataset_manifest_sha256": m.sha256,
            "splits": {s: len(v) for s, v in data.splits.items()},
            **training_info,
        },
        "preprocessing": preprocessing_spec(preset.image_size),
        "tokenizer": {**m.tokenizer, "idx2token": m.idx2token},
        "decoding": {
            "algorithm": "beam search, R2Gen semantics (docs/model.md)",
            "beam_size": preset.beam_size,
            "max_length": preset.max_length,
            "start_id": m.bos_id,
            "end_id": m.eos_id,
            "length_penalty": None,
        },
        "embedding": {
            "dim": preset.embed_dim,
            "model_id": model_id,
            "view_embedding": "vision_encoder output 'embedding', L2-normalised per view",
            "study_embedding": "l2_normalize(frontal + lateral); a study with one view uses it for both",
            "similarity": "cosine (dot product of L2-normalised vectors)",
        },
        "retrieval": {
            "top_k": 1,
            "gallery_split": "train",
            "generator_input": "token_ids of the most similar gallery study (gallery/token_ids.json), 0-padded; "
            "position 0 (start id) always attended, later zeros masked",
        },
        "models": models,
        "patch_tokens": {
            "per_view": model.vision.n_patches,
            "dim": model.vision.out_dim,
            "generator_input": "frontal view tokens then lateral view tokens along axis 1",
        },
        "gallery": {
            "ids": "gallery/ids.json",
            "embeddings": "gallery/embeddings.f32",
            "token_ids": "gallery/token_ids.json",
            "count": len(train_idx),
            "dim": preset.embed_dim,
            "dtype": "float32",
            "byte_order": "little",
            "model_id": model_id,
            "thumbnails": thumbnails,
        },
        "pytorch_checkpoint": "pytorch/checkpoint.pt",
        "files": entries,
        "metrics": {
            "scored_by": "npm run eval (language toolkit)",
            "split_for_selection": "val",
            "val": results["full"]["val"],
            "test": results["full"]["test"],
            "table": {k: {"val": v["val"], "test": v["test"]} for k, v in results.items()},
        },
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(e["bytes"] for e in entries) + os.path.getsize(os.path.join(out_dir, "manifest.json"))
    log(f"model pack {out_dir}: {len(entries) + 1} files, {total / 1e6:.1f} MB, embedding model {model_id[:19]}...")
    return manifest


PROMPTS_FORMAT = "radiology-draft/finding-prompts@1"


def ship_prompted(pack_dir: str, generator: ReportGenerator, names: list[str], section: dict, metrics: dict,
                  log=print) -> dict:
    """Make a prompted generator (training/prompted.py) the pack's generator, in place.

    Rewrites generator_encoder.onnx and decoder_step.onnx (finding_decisions in, label_bias through), the generator
    of pytorch/checkpoint.pt (the vision encoder stays: same embedding model id, gallery and scope calibration),
    and the manifest: method.generator, `prompts` (the decided findings in prompt order, how a decision is made,
    how the prompts were trained), models, files, metrics (val/test of the shipped model, the table with the
    `prompted` row beside the paper's rows).
    """
    manifest_path = os.path.join(pack_dir, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    diagnosis = {f["name"]: f for f in manifest.get("diagnosis", {}).get("findings", [])}
    missing = [n for n in names if n not in diagnosis]
    if missing:
        raise ValueError(f"{pack_dir}: prompt findings {missing} are not findings of the pack's diagnosis branch")
    cfg = generator.cfg
    assert cfg.prompt_findings == len(names), (cfg.prompt_findings, len(names))
    fp16 = manifest["training"]["config"].get("weights_storage") == "float16"
    files = export_generator_onnx(generator, pack_dir)
    finish_onnx(files, generator_output_shapes(cfg), fp16)
    ck_path = os.path.join(pack_dir, manifest["pytorch_checkpoint"])
    ck = torch.load(ck_path, map_location="cpu")
    state = {k: v for k, v in ck["state_dict"].items() if not k.startswith("generator.")}
    state.update({f"generator.{k}": (v.half() if v.is_floating_point() else v)
                  for k, v in generator.state_dict().items()})
    ck["generator"] = dict(cfg.__dict__)
    ck["state_dict"] = state
    torch.save(ck, ck_path)
    for key, path in files.items():
        manifest["models"][key] = {"file": os.path.basename(path), **model_interface(path)}
    manifest["method"]["generator"] = dict(cfg.__dict__)
    manifest["method"]["description"] = manifest["method"]["description"].split(" Diagnosis-driven:")[0] + (
        f" Diagnosis-driven: the diagnosis branch's decisions on {len(names)} findings become prompt tokens "
        "E[2k + decision_k] appended to the fused memory, and their mean (through a linear map) is added to every "
        "decoder input embedding.")
    manifest["method"]["objective"] = section["training"]
    manifest["prompts"] = {"format": PROMPTS_FORMAT, "findings": list(names), **section}
    parts = str(manifest["version"]).split(".")
    if len(parts) == 3 and all(x.isdigit() for x in parts) and "prompted" not in manifest.get("metrics", {}).get("table", {}):
        manifest["version"] = f"{parts[0]}.{int(parts[1]) + 1}.0"  # a new generator: a new minor version
    manifest["metrics"]["val"] = metrics["val"]
    manifest["metrics"]["test"] = metrics["test"]
    manifest["metrics"]["table"]["prompted"] = {"val": metrics["val"], "test": metrics["test"]}
    manifest["metrics"]["shipped"] = "prompted"
    manifest["files"] = pack_file_entries(pack_dir)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(e["bytes"] for e in manifest["files"]) + os.path.getsize(manifest_path)
    log(f"model pack {pack_dir}: prompted generator shipped ({len(names)} findings), {total / 1e6:.1f} MB")
    return manifest

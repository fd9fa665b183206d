"""One seeded command: MedCLIP stage, retrieval, generator ablations, test scoring, ONNX export, model pack.

    /usr/bin/python3 -m training.train --manifest data/iu_xray_synth/manifest.json --preset cpu \
        --out models/iu-xray-synth-cpu [--device cuda] [--seed 42]

Stages (each timed; checkpoints are selected on the val split only):
  1. preprocess every image once into a float32 cache (data/cache/...)
  2. MedCLIP dual encoder (semantic-matching loss), best epoch by val loss
  3. study embeddings, nearest train study for every study (train never retrieves itself)
  4. retrieval-only, baseline, +MedCLIP, +MedCLIP+Retrieval (full); each generator: cross-entropy epochs, then
     (presets with scst_epochs) self-critical epochs from the best of them; the best epoch of either kind by val
     BLEU-4 + clinical F1 (toolkit eval), then beam-3 decoding of test, scored by the toolkit's eval
  5. export the full model to ONNX and write the model pack (manifest, files with sha256, gallery, metrics)
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from . import evaluate
from .beam import beam_search
from .manifest import DatasetManifest, ManifestError, load_manifest
from .models import (
    GeneratorConfig,
    MedClip,
    ReportGenerator,
    ReportModel,
    TextEncoder,
    VisionEncoder,
    label_vector,
    semantic_matching_loss,
    study_embedding,
)
from .pack import round_to_fp16
from .preprocess import MEDCLIP_PIXEL_MEAN, MEDCLIP_PIXEL_STD, build_image_cache
from .scst import LabelerService, scst_loss

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ("baseline", "medclip", "full")
VARIANT_TITLES = {
    "retrieval": "Retrieval only (copy the retrieved train report)",
    "baseline": "Baseline (vision encoder from scratch, no retrieval)",
    "medclip": "+MedCLIP (MedCLIP-pretrained vision encoder, no retrieval)",
    "full": "+MedCLIP+Retrieval (full method)",
}


@dataclass
class Preset:
    vision: str = "cnn"
    image_size: int = 128
    cnn_channels: tuple[int, ...] = (32, 64, 128, 256)
    embed_dim: int = 512
    text_d: int = 256
    text_layers: int = 2
    medclip_epochs: int = 3
    medclip_batch: int = 64
    medclip_lr: float = 5e-4
    # learning rate of the text encoder in the MedCLIP stage (None = medclip_lr). At 1e-3 the post-norm text
    # Transformer nearly collapses (val mean pairwise cosine 0.992 in the shipped stage); 1e-4 keeps the embeddings
    # apart but gave a worse val retrieval, so no preset sets it (docs/model.md, MedCLIP stage)
    # weight of the auxiliary multi-label BCE on the image study embedding (0 = MedCLIP's loss alone)
    medclip_label_weight: float = 1.0
    # random affine + contrast/brightness jitter of the training images in the MedCLIP stage (see augment_images)
    medclip_augment: bool = True
    d_model: int = 128
    heads: int = 8
    d_ff: int = 512
    encoder_layers: int = 3
    decoder_layers: int = 3
    dropout: float = 0.1
    gen_epochs: int = 4
    gen_batch: int = 16
    lr_visual: float = 5e-5
    lr_rest: float = 5e-4
    warmup_steps: int = 50
    lr_decay_per_epoch: float = 0.8
    grad_clip_value: float = 0.1
    finetune_vision: bool = False
    # self-critical sequence training after the cross-entropy epochs (training/scst.py; 0 = cross-entropy only, as
    # the paper); its epochs are candidates of the same val selection as the cross-entropy epochs
    scst_epochs: int = 0
    scst_samples: int = 5
    scst_batch: int = 16
    scst_lr: float = 5e-5
    scst_clinical_weight: float = 0.0  # reward = sentence BLEU-4 + weight * clinical F1 of the sample
    beam_size: int = 3
    max_length: int = 60
    eval_batch: int = 64
    limit_studies: int = 0  # per split, 0 = all
    max_steps_per_epoch: int = 0  # 0 = whole epoch
    # weights are rounded to float16 values after training (the pack stores them as float16 to stay small; inference
    # runs in float32 on exactly those values, and every reported metric is of the rounded model)
    weights_storage: str = "float16"


PRESETS: dict[str, Preset] = {
    # 2-core CPU (shared): small CNN (4x4 patch grid per view at 128 px), d=128 generator (8 heads, d_ff=512), vision
    # encoder frozen in the generator stage (its patch tokens computed once); see docs/model.md for why
    "cpu": Preset(medclip_epochs=20, medclip_lr=1e-3, gen_epochs=9, lr_decay_per_epoch=0.95, scst_epochs=1),
    # GPU scale: Swin-Tiny as in MedCLIP (7x7x768 patch tokens, pooled 768 -> 512 without bias), 224 px
    "cuda": Preset(vision="swin_t", image_size=224, text_d=512, text_layers=4, medclip_epochs=30, medclip_batch=64,
                   medclip_lr=1e-4, d_model=512, gen_epochs=60, gen_batch=16, lr_decay_per_epoch=0.95,
                   finetune_vision=True, eval_batch=128, scst_epochs=5),
    # CI smoke test: a few steps on a tiny subset
    "smoke": Preset(image_size=64, cnn_channels=(8, 16, 32), d_model=64, d_ff=128, medclip_epochs=1, medclip_batch=8, gen_epochs=1,
                    gen_batch=4, warmup_steps=2, limit_studies=12, max_steps_per_epoch=3, max_length=12,
                    eval_batch=16, scst_epochs=1, scst_batch=4, scst_samples=3),
}


class Log:
    def __init__(self, path: str | None):
        self.start = time.time()
        self.file = open(path, "a") if path else None

    def __call__(self, msg: str) -> None:
        line = f"[{time.time() - self.start:7.1f}s] {msg}"
        print(line, flush=True)
        if self.file:
            self.file.write(line + "\n")
            self.file.flush()


# ---------------------------------------------------------------------------------------------------------- data


class Data:
    def __init__(self, manifest: DatasetManifest, images: np.ndarray, index: dict[str, int], limit: int):
        self.m = manifest
        self.images = torch.from_numpy(images)
        self.index = index
        self.splits: dict[str, list[int]] = {}
        for split in ("train", "val", "test"):
            ids = [index[s.id] for s in manifest.split(split)]
            self.splits[split] = ids[:limit] if limit else ids
        self.studies = manifest.studies
        self.labels = torch.tensor([label_vector(s.labels) for s in manifest.studies], dtype=torch.float32)
        self.retrieved: list[int] | None = None  # study index -> retrieved train study index
        self.limited = bool(limit)

    def tokens(self, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        seqs = [self.studies[i].token_ids for i in idx]
        length = max(len(s) for s in seqs)
        out = torch.zeros(len(seqs), length, dtype=torch.long)
        for r, s in enumerate(seqs):
            out[r, : len(s)] = torch.tensor(s)
        return out, torch.tensor([len(s) for s in seqs])

    def retrieved_tokens(self, idx: list[int]) -> torch.Tensor:
        assert self.retrieved is not None
        return self.tokens([self.retrieved[i] for i in idx])[0]

    def batch_images(self, idx: list[int], device) -> torch.Tensor:
        return self.images[idx].unsqueeze(2).to(device)  # [B, 2, 1, S, S]


def load_data(manifest: DatasetManifest, p: Preset, log=lambda _message: None) -> Data:
    """The preset's image cache (data/cache, built on first use) and the dataset over it."""
    images, index = build_image_cache(manifest, p.image_size, os.path.join(REPO_ROOT, "data", "cache"), log)
    return Data(manifest, images, index, p.limit_studies)


def vision_weights(state: dict) -> dict:
    """The vision encoder's weights in a MedCLIP stage checkpoint (medclip_stage.pt) or in a generator checkpoint
    that froze them (<variant>.pt): the `vision.*` entries without the prefix."""
    return {k[len("vision."):]: v for k, v in state.items() if k.startswith("vision.")}


def batches(idx: list[int], size: int, rng: random.Random | None):
    order = list(idx)
    if rng is not None:
        rng.shuffle(order)
    for i in range(0, len(order), size):
        yield order[i : i + size]


def length_batches(idx: list[int], size: int, rng: random.Random, lengths: list[int]):
    """Shuffled batches of similar report length (pools of 20 batches sorted by length), in shuffled order."""
    order = list(idx)
    rng.shuffle(order)
    pool = size * 20
    out = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: lengths[j])
        out.extend(chunk[k : k + size] for k in range(0, len(chunk), size))
    rng.shuffle(out)
    return out


@torch.no_grad()
def patch_token_cache(vision: VisionEncoder, data: "Data", device, batch: int) -> torch.Tensor:
    """Patch tokens [n_studies, 2P, C] of every study under a frozen vision encoder (eval mode)."""
    vision.eval()
    out = torch.zeros(len(data.studies), 2 * vision.n_patches, vision.out_dim)
    every = sorted(i for split in data.splits.values() for i in split)
    for part in batches(every, batch, None):
        tokens, _ = vision(data.batch_images(part, device).flatten(0, 1))
        out[part] = tokens.reshape(len(part), -1, tokens.shape[2]).cpu()
    return out


# ------------------------------------------------------------------------------------------------------- medclip


def augment_images(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Training-time augmentation of preprocessed views [B, V, 1, S, S] (normalised): per view a random affine map
    (scale 0.9-1.1, rotation +-5 degrees, shift +-5 % of the side; outside the image reads the pad fill, black) and
    contrast x0.85-1.15, brightness +-0.05 of the [0, 1] grey range. The synthetic anatomy varies from study to
    study; this keeps the small vision encoder from memorising the 2,069 train studies."""
    b, v = images.shape[:2]
    x = images.flatten(0, 1) * MEDCLIP_PIXEL_STD + MEDCLIP_PIXEL_MEAN  # back to [0, 1] grey
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=gen)  # noqa: E731
    angle = u(-5, 5) * math.pi / 180
    scale = u(0.9, 1.1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, u(-0.1, 0.1)], 1), torch.stack([sin, cos, u(-0.1, 0.1)], 1)], 1)
    grid = torch.nn.functional.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    x = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    x = (x * u(0.85, 1.15).view(n, 1, 1, 1).to(x.device) + u(-0.05, 0.05).view(n, 1, 1, 1).to(x.device)).clamp(0, 1)
    return ((x - MEDCLIP_PIXEL_MEAN) / MEDCLIP_PIXEL_STD).view(b, v, *x.shape[1:])


def build_vision(p: Preset) -> VisionEncoder:
    return VisionEncoder(p.vision, p.image_size, p.embed_dim, p.cnn_channels)


def build_medclip(p: Preset, data: Data) -> MedClip:
    return MedClip(
        build_vision(p),
        TextEncoder(data.m.vocab_size, d=p.text_d, layers=p.text_layers, embed_dim=p.embed_dim,
                    max_len=data.m.max_seq_length + 4),
        n_labels=data.labels.shape[1],
    )


def train_medclip(p: Preset, data: Data, device, seed: int, log: Log) -> tuple[MedClip, dict]:
    torch.manual_seed(seed)
    model = build_medclip(p, data).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=p.medclip_lr, weight_decay=1e-4)
    train = data.splits["train"]
    steps_per_epoch = math.ceil(len(train) / p.medclip_batch)
    if p.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, p.max_steps_per_epoch)
    total = steps_per_epoch * p.medclip_epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    rng = random.Random(seed)
    aug_gen = torch.Generator().manual_seed(seed)
    best = (float("inf"), -1, None)
    history = []
    for epoch in range(p.medclip_epochs):
        model.train()
        t0 = time.time()
        losses = []
        for step, idx in enumerate(batches(train, p.medclip_batch, rng)):
            if step >= steps_per_epoch:
                break
            if len(idx) < 2:
                continue
            tok, lengths = data.tokens(idx)
            images = data.batch_images(idx, device)
            if p.medclip_augment:
                images = augment_images(images, aug_gen)
            logits, label_logits = model.logits_and_label_logits(images, tok.to(device), lengths.to(device))
            lab = data.labels[idx].to(device)
            loss = medclip_loss(p, logits, label_logits, lab)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        val = medclip_val_loss(model, p, data, device)
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_loss": val,
                        "logit_scale": float(model.logit_scale.exp()), "seconds": time.time() - t0})
        log(f"medclip epoch {epoch + 1}/{p.medclip_epochs}: train {np.mean(losses):.4f} val {val:.4f} "
            f"scale {model.logit_scale.exp().item():.1f} ({time.time() - t0:.0f}s)")
        if val < best[0]:
            best = (val, epoch + 1, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    return model, {"selected_epoch": best[1], "val_loss": best[0], "history": history}


def medclip_loss(p: Preset, logits: torch.Tensor, label_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """MedCLIP's semantic-matching loss plus the weighted auxiliary label loss of the image embedding."""
    loss = semantic_matching_loss(logits, labels, labels)
    if p.medclip_label_weight:
        loss = loss + p.medclip_label_weight * torch.nn.functional.binary_cross_entropy_with_logits(label_logits, labels)
    return loss


@torch.no_grad()
def medclip_val_loss(model: MedClip, p: Preset, data: Data, device) -> float:
    model.eval()
    losses, weights = [], []
    for idx in batches(data.splits["val"], p.medclip_batch, None):
        if len(idx) < 2:
            continue
        tok, lengths = data.tokens(idx)
        logits, label_logits = model.logits_and_label_logits(data.batch_images(idx, device), tok.to(device),
                                                             lengths.to(device))
        lab = data.labels[idx].to(device)
        losses.append(medclip_loss(p, logits, label_logits, lab).item())
        weights.append(len(idx))
    return float(np.average(losses, weights=weights))


@torch.no_grad()
def study_embeddings(vision: VisionEncoder, data: Data, idx: list[int], device, batch: int) -> torch.Tensor:
    vision.eval()
    out = []
    for part in batches(idx, batch, None):
        images = data.batch_images(part, device)
        _, emb = vision(images.flatten(0, 1))
        emb = emb.view(len(part), 2, -1)
        out.append(study_embedding(emb[:, 0], emb[:, 1]).cpu())
    return torch.cat(out)


def retrieve(data: Data, embeddings: dict[str, torch.Tensor]) -> dict:
    """Nearest train study by cosine similarity; train studies never retrieve themselves."""
    train_idx = data.splits["train"]
    gallery = embeddings["train"]
    retrieved = [-1] * len(data.studies)
    sims: dict[str, list[float]] = {}
    for split in ("train", "val", "test"):
        sim = embeddings[split] @ gallery.t()
        if split == "train":
            sim.fill_diagonal_(float("-inf"))
        best_sim, best = sim.max(dim=1)
        for row, i in enumerate(data.splits[split]):
            retrieved[i] = train_idx[int(best[row])]
        sims[split] = best_sim.tolist()
    data.retrieved = retrieved
    # how often the retrieved study has exactly the same label vector (a check that retrieval is semantic)
    agreement = {}
    for split in ("train", "val", "test"):
        same = [bool(torch.equal(data.labels[i], data.labels[retrieved[i]])) for i in data.splits[split]]
        agreement[split] = float(np.mean(same))
    return {"mean_similarity": {k: float(np.mean(v)) for k, v in sims.items()}, "label_agreement": agreement}


# ----------------------------------------------------------------------------------------------------- generator


def build_report_model(p: Preset, vocab_size: int, use_retrieval: bool, vision: VisionEncoder) -> ReportModel:
    cfg = GeneratorConfig(
        vocab_size=vocab_size, patch_dim=vision.out_dim, n_patches=2 * vision.n_patches, d_model=p.d_model,
        heads=p.heads, d_ff=p.d_ff, encoder_layers=p.encoder_layers, decoder_layers=p.decoder_layers,
        dropout=p.dropout, use_retrieval=use_retrieval,
    )
    return ReportModel(vision, ReportGenerator(cfg))


def batch_patch_tokens(model: ReportModel, data: Data, idx: list[int], frozen_tokens: torch.Tensor | None,
                       device) -> torch.Tensor:
    """Patch tokens [B, 2P, C] of the studies idx: from the frozen encoder's cache, or computed by the encoder."""
    if frozen_tokens is None:
        return model.patch_tokens(data.batch_images(idx, device))
    return frozen_tokens[idx].to(device)


def optimizer_step(opt, sched, model: torch.nn.Module, loss: torch.Tensor, clip_value: float) -> None:
    """One optimiser step of a training loop: backward, clip each gradient value, step the optimiser and schedule."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
    opt.step()
    sched.step()


def reference_cross_entropy(generator, data: Data, idx: list[int], patches: torch.Tensor,
                            retrieved: torch.Tensor | None, device) -> torch.Tensor:
    """Token cross-entropy of the studies' reference reports under teacher forcing (ids and the end id)."""
    tok, lengths = data.tokens(idx)
    tok = tok.to(device)
    inputs, targets = tok[:, :-1], tok[:, 1:]
    keep = (torch.arange(targets.shape[1])[None, :] < (lengths - 1)[:, None]).to(device)
    logits = generator(patches, retrieved, inputs)
    return torch.nn.functional.cross_entropy(logits[keep], targets[keep])


def train_generator(variant: str, p: Preset, data: Data, pretrained_vision: VisionEncoder | None, device, seed: int,
                    work: str, log: Log, scorer, token_caches: dict, clinical_reward=None) -> tuple[ReportModel, dict]:
    torch.manual_seed(seed)
    vision = build_vision(p)
    if variant in ("medclip", "full"):
        assert pretrained_vision is not None
        vision.load_state_dict(pretrained_vision.state_dict())
    round_to_fp16(vision)  # a frozen encoder's cached tokens must be those of the shipped (rounded) weights
    model = build_report_model(p, data.m.vocab_size, variant == "full", vision).to(device)
    use_retrieval = variant == "full"
    groups = [{"params": list(model.generator.parameters()), "lr": p.lr_rest}]
    if p.finetune_vision:
        groups.append({"params": list(model.vision.parameters()), "lr": p.lr_visual})
    else:
        for q in model.vision.parameters():
            q.requires_grad_(False)
    opt = torch.optim.Adam(groups)
    train = data.splits["train"]
    steps_per_epoch = math.ceil(len(train) / p.gen_batch)
    if p.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, p.max_steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / p.warmup_steps) * p.lr_decay_per_epoch ** (s // steps_per_epoch)
    )
    rng = random.Random(seed)
    best = (-1.0, -1, None, None)
    history = []
    frozen_tokens = None
    if not p.finetune_vision:
        key = "scratch" if variant == "baseline" else "medclip"
        if key not in token_caches:
            token_caches[key] = patch_token_cache(model.vision, data, device, p.eval_batch)
        frozen_tokens = token_caches[key]
    token_lengths = [len(s.token_ids) for s in data.studies]
    for epoch in range(p.gen_epochs):
        model.train()
        if not p.finetune_vision:
            model.vision.eval()
        t0 = time.time()
        losses = []
        for step, idx in enumerate(length_batches(train, p.gen_batch, rng, token_lengths)):
            if step >= steps_per_epoch:
                break
            retrieved = data.retrieved_tokens(idx).to(device) if use_retrieval else None
            patches = batch_patch_tokens(model, data, idx, frozen_tokens, device)
            loss = reference_cross_entropy(model.generator, data, idx, patches, retrieved, device)
            optimizer_step(opt, sched, model, loss, p.grad_clip_value)
            losses.append(loss.item())
        train_seconds = time.time() - t0
        preds = generate(model, p, data, "val", device, use_retrieval, frozen_tokens=frozen_tokens)
        metrics = scorer(preds, os.path.join(work, f"{variant}-val-epoch{epoch + 1}"))
        score = metrics["BLEU-4"] + metrics["clinical_f1"]
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val": metrics,
                        "train_seconds": train_seconds, "seconds": time.time() - t0})
        log(f"{variant} epoch {epoch + 1}/{p.gen_epochs}: loss {np.mean(losses):.3f}, val BLEU-4 "
            f"{metrics['BLEU-4']:.4f} F1 {metrics['clinical_f1']:.4f} (train {train_seconds:.0f}s, "
            f"total {time.time() - t0:.0f}s)")
        if score > best[0]:
            best = (score, epoch + 1, copy.deepcopy(model.state_dict()), metrics)
    if p.scst_epochs > 0:
        best = self_critical_epochs(variant, p, data, model, best, history, frozen_tokens, device, seed, work, log,
                                    scorer, clinical_reward)
    model.load_state_dict(best[2])
    return model, {"selected_epoch": best[1], "val": best[3], "history": history, "frozen_tokens": frozen_tokens}


def self_critical_epochs(variant: str, p: Preset, data: Data, model: ReportModel, best: tuple, history: list,
                         frozen_tokens: torch.Tensor | None, device, seed: int, work: str, log: Log, scorer,
                         clinical_reward) -> tuple:
    """SCST from the val-selected cross-entropy checkpoint (training/scst.py); each epoch is scored on val and
    competes with the cross-entropy epochs. Dropout is off (eval mode) so that the sampled and the trained
    policy are the same. Returns the updated best (score, epoch, state, val metrics)."""
    model.load_state_dict(best[2])
    use_retrieval = variant == "full"
    groups = [{"params": list(model.generator.parameters()), "lr": p.scst_lr}]
    if p.finetune_vision:
        groups.append({"params": list(model.vision.parameters()), "lr": p.scst_lr * p.lr_visual / p.lr_rest})
    opt = torch.optim.Adam(groups)
    rng = random.Random(seed + 1)
    sampler = torch.Generator().manual_seed(seed + 1)
    train = data.splits["train"]
    for k in range(p.scst_epochs):
        epoch = p.gen_epochs + k + 1
        model.eval()
        t0 = time.time()
        parts = {"reward": [], "bleu": [], "clinical": [], "scored_rows": []}
        for step, idx in enumerate(batches(train, p.scst_batch, rng)):
            if p.max_steps_per_epoch and step >= p.max_steps_per_epoch:
                break
            references = [data.studies[i].token_ids[1:-1] for i in idx]
            retrieved = data.retrieved_tokens(idx).to(device) if use_retrieval else None
            patches = batch_patch_tokens(model, data, idx, frozen_tokens, device)
            clinical = None
            if clinical_reward is not None:
                labeler, reference_positives = clinical_reward
                clinical = (p.scst_clinical_weight, labeler, data.m.decode, [reference_positives[i] for i in idx])
            loss, info = scst_loss(model.generator, patches, retrieved, references, p.scst_samples, p.max_length,
                                   data.m.bos_id, data.m.eos_id, sampler, clinical)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(model.parameters(), p.grad_clip_value)
            opt.step()
            for key in parts:
                parts[key].append(info[key])
        train_seconds = time.time() - t0
        preds = generate(model, p, data, "val", device, use_retrieval, frozen_tokens=frozen_tokens)
        metrics = scorer(preds, os.path.join(work, f"{variant}-val-epoch{epoch}"))
        score = metrics["BLEU-4"] + metrics["clinical_f1"]
        means = {key: float(np.mean(v)) for key, v in parts.items()}
        history.append({"epoch": epoch, "phase": "scst", "train_reward": means, "val": metrics,
                        "train_seconds": train_seconds, "seconds": time.time() - t0})
        log(f"{variant} SCST epoch {epoch} ({k + 1}/{p.scst_epochs}): reward {means['reward']:.3f} (BLEU "
            f"{means['bleu']:.3f}, clinical {means['clinical']:.3f}; {means['scored_rows']:.0f} of "
            f"{p.scst_batch * p.scst_samples} samples scored per step), val BLEU-4 {metrics['BLEU-4']:.4f} F1 "
            f"{metrics['clinical_f1']:.4f} (train {train_seconds:.0f}s, total {time.time() - t0:.0f}s)")
        if score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()), metrics)
    return best


@torch.no_grad()
def generate(model: ReportModel, p: Preset, data: Data, split: str, device, use_retrieval: bool,
             idx: list[int] | None = None, frozen_tokens: torch.Tensor | None = None) -> list[tuple[str, list[int]]]:
    model.eval()
    out = []
    for part in batches(idx if idx is not None else data.splits[split], p.eval_batch, None):
        patches = batch_patch_tokens(model, data, part, frozen_tokens, device)
        retrieved = data.retrieved_tokens(part).to(device) if use_retrieval else None
        seqs = beam_search(model.generator, patches, retrieved, p.beam_size, p.max_length, data.m.bos_id,
                           data.m.eos_id)
        out.extend((data.studies[i].id, s) for i, s in zip(part, seqs))
    return out


def make_scorer(data: Data, work: str):
    """Scores (id, token ids) predictions of one split with the toolkit's eval CLI (R2Gen reference convention).

    The references are the raw reports of the studies in use, copied unchanged from the dataset manifest into an
    R2Gen annotation file (for the full IU split this is the toolkit's own annotation).
    """
    path = os.path.join(work, "annotation-used.json")
    evaluate.write_annotation_subset(
        path, data.m, {s: [data.studies[i].id for i in idx] for s, idx in data.splits.items()}
    )
    extra = ["--annotation", path]
    split_of = {data.studies[i].id: s for s, idx in data.splits.items() for i in idx}

    def score(preds: list[tuple[str, list[int]]], stem: str) -> dict:
        pred_path = stem + ".predictions.jsonl"
        evaluate.write_predictions(pred_path, [(sid, data.m.decode(toks)) for sid, toks in preds])
        split = split_of[preds[0][0]]
        return evaluate.run_eval(pred_path, stem + ".metrics.json", ["--split", split, *extra])

    return score


# ------------------------------------------------------------------------------------------------------------ main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m training.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True, help="dataset manifest written by `npm run manifest`")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="model pack folder to write")
    ap.add_argument("--name", default=None, help="pack name (default: the out folder's name)")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--work", default=None, help="work folder for checkpoints/logs (default data/training/<name>)")
    ap.add_argument("--variants", default="retrieval,baseline,medclip,full",
                    help="comma list among retrieval,baseline,medclip,full (full is always trained)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit-studies", type=int, default=None, help="studies per split (0 = all)")
    ap.add_argument("--medclip-epochs", type=int, default=None)
    ap.add_argument("--gen-epochs", type=int, default=None)
    ap.add_argument("--medclip-lr", type=float, default=None)
    ap.add_argument("--medclip-label-weight", type=float, default=None)
    ap.add_argument("--medclip-checkpoint", default=None,
                    help="take the MedCLIP stage's vision encoder from this state dict (a work folder's medclip_stage.pt, "
                         "or a generator checkpoint with the frozen encoder) instead of training the stage")
    ap.add_argument("--lr-decay", type=float, default=None, help="generator learning-rate factor per epoch")
    ap.add_argument("--scst-epochs", type=int, default=None,
                    help="self-critical epochs after the cross-entropy epochs (0 = cross-entropy only, as the paper)")
    ap.add_argument("--scst-clinical-weight", type=float, default=None,
                    help="weight of the clinical F1 in the self-critical reward (0 = BLEU-4 only)")
    ap.add_argument("--no-augment", action="store_true", help="no image augmentation in the MedCLIP stage")
    ap.add_argument("--stop-after", choices=("retrieval",), default=None,
                    help="stop after retrieval and the retrieval-only scores (recipe experiments)")
    args = ap.parse_args(argv)
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    if args.scst_epochs is not None and args.scst_epochs < 0:
        ap.error("--scst-epochs must be >= 0")
    if args.medclip_lr is not None and not args.medclip_lr > 0:
        ap.error("--medclip-lr must be > 0")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in variants:
        if v not in ("retrieval", *VARIANTS):
            ap.error(f"--variants: unknown variant {v!r}")
    if "full" not in variants:
        variants.append("full")
    args.variants = variants
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    p = copy.deepcopy(PRESETS[args.preset])
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is False on this machine", file=sys.stderr)
        return 2
    if args.limit_studies is not None:
        p.limit_studies = args.limit_studies
    if args.medclip_epochs is not None:
        p.medclip_epochs = args.medclip_epochs
    if args.gen_epochs is not None:
        p.gen_epochs = args.gen_epochs
    if args.lr_decay is not None:
        p.lr_decay_per_epoch = args.lr_decay
    if args.scst_epochs is not None:
        p.scst_epochs = args.scst_epochs
    if args.scst_clinical_weight is not None:
        p.scst_clinical_weight = args.scst_clinical_weight
    if args.no_augment:
        p.medclip_augment = False
    if args.medclip_lr is not None:
        p.medclip_lr = args.medclip_lr
    if args.medclip_label_weight is not None:
        p.medclip_label_weight = args.medclip_label_weight
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    out_dir = os.path.abspath(args.out)
    name = args.name or os.path.basename(out_dir.rstrip("/"))
    work = os.path.abspath(args.work or os.path.join(REPO_ROOT, "data", "training", name))
    os.makedirs(work, exist_ok=True)
    log = Log(os.path.join(work, "train.log"))
    t_start = time.time()
    stages: list[dict] = []

    def stage(name_: str, t0: float, **extra) -> None:
        stages.append({"stage": name_, "seconds": round(time.time() - t0, 1), **extra})
        log(f"stage {name_} done in {time.time() - t0:.0f}s")

    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    log(f"manifest {manifest.path}: {len(manifest.studies)} studies, vocab {manifest.vocab_size}; preset "
        f"{args.preset} on {args.device}, {args.threads} threads, seed {args.seed}")

    t0 = time.time()
    data = load_data(manifest, p, log)
    stage("preprocess", t0, studies=len(data.index))

    t0 = time.time()
    if args.medclip_checkpoint:
        # Everything after the stage reads only its vision encoder: the `vision.*` weights of a MedCLIP stage
        # checkpoint (medclip_stage.pt) or of a generator checkpoint that froze them (<variant>.pt).
        medclip = build_medclip(p, data).to(device)
        medclip.vision.load_state_dict(vision_weights(torch.load(args.medclip_checkpoint, map_location=device)))
        medclip_info = {"loaded_from": os.path.abspath(args.medclip_checkpoint), "loaded": "vision encoder"}
        log(f"medclip stage: vision encoder loaded from {args.medclip_checkpoint}")
    else:
        medclip, medclip_info = train_medclip(p, data, device, args.seed, log)
        torch.save(medclip.state_dict(), os.path.join(work, "medclip_stage.pt"))
    stage("medclip", t0, selected_epoch=medclip_info.get("selected_epoch"))

    round_to_fp16(medclip.vision)
    t0 = time.time()
    embeddings = {s: study_embeddings(medclip.vision, data, data.splits[s], device, p.eval_batch)
                  for s in ("train", "val", "test")}
    retrieval_info = retrieve(data, embeddings)
    log(f"retrieval: {retrieval_info}")
    stage("retrieval", t0)

    scorer = make_scorer(data, work)
    results: dict[str, dict] = {}
    if "retrieval" in args.variants:
        t0 = time.time()
        for split in ("val", "test"):
            preds = [(data.studies[i].id, data.studies[data.retrieved[i]].token_ids[1:]) for i in data.splits[split]]
            results.setdefault("retrieval", {})[split] = scorer(preds, os.path.join(work, f"retrieval-{split}"))
        log(f"retrieval-only test: {fmt(results['retrieval']['test'])}")
        stage("retrieval_only_eval", t0)

    if args.stop_after == "retrieval":
        log(f"stopping after retrieval (--stop-after); total {time.time() - t_start:.0f}s")
        return 0

    models: dict[str, ReportModel] = {}
    token_caches: dict[str, torch.Tensor] = {}
    clinical_reward = None
    if p.scst_epochs > 0 and p.scst_clinical_weight > 0:
        labeler = LabelerService(REPO_ROOT)
        train_idx = data.splits["train"]
        positives = labeler.positives([data.studies[i].report for i in train_idx])
        clinical_reward = (labeler, dict(zip(train_idx, positives)))
    for variant in [v for v in VARIANTS if v in args.variants]:
        t0 = time.time()
        model, info = train_generator(variant, p, data, medclip.vision, device, args.seed, work, log, scorer,
                                      token_caches, clinical_reward)
        round_to_fp16(model)
        frozen = info.pop("frozen_tokens")
        scored = {}
        for split in ("val", "test"):
            preds = generate(model, p, data, split, device, variant == "full", frozen_tokens=frozen)
            scored[split] = scorer(preds, os.path.join(work, f"{variant}-{split}"))
        test = scored["test"]
        results[variant] = {"val": scored["val"], "test": test, "selected_epoch": info["selected_epoch"],
                            "val_at_selection": info["val"], "history": info["history"]}
        log(f"{variant} test (epoch {info['selected_epoch']}): {fmt(test)}")
        torch.save(model.state_dict(), os.path.join(work, f"{variant}.pt"))
        models[variant] = model
        stage(f"generator_{variant}", t0, selected_epoch=info["selected_epoch"])

    if clinical_reward is not None:
        clinical_reward[0].close()
    t0 = time.time()
    from .pack import write_pack

    train_seconds = time.time() - t_start
    training_info = {
        "preset": args.preset, "device": args.device, "seed": args.seed, "threads": args.threads,
        "config": asdict(p), "stages": stages, "seconds_before_export": round(train_seconds, 1),
        "medclip": medclip_info, "retrieval": retrieval_info, "torch": torch.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "splits": {s: len(v) for s, v in data.splits.items()},
    }
    full = models["full"]
    write_pack(out_dir, name, args.version, p, data, full, embeddings["train"], results, training_info, work, log)
    stage("export", t0)
    total = time.time() - t_start
    log(f"total {total:.0f}s ({total / 60:.1f} min)")
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"results": results, "training": training_info, "total_seconds": total}, f, indent=1)
    with open(os.path.join(work, "results.md"), "w") as f:
        for split in ("test", "val"):
            f.write(f"{split} split ({len(data.splits[split])} studies)\n\n{results_markdown(results, split)}\n\n")
    log("\n" + results_markdown(results, "test"))
    return 0


def results_markdown(results: dict, split: str) -> str:
    """Table II shape: one row per system, BLEU-1..4, METEOR, ROUGE-L, clinical P/R/F1 (toolkit eval)."""
    head = "| system | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | METEOR | ROUGE-L | CE P | CE R | CE F1 |"
    lines = [head, "|" + " --- |" * 10]
    for key in ("retrieval", *VARIANTS):
        if key in results:
            m = results[key][split]
            lines.append(f"| {VARIANT_TITLES[key]} | " + " | ".join(f"{m[k]:.4f}" for k in evaluate.METRIC_KEYS) + " |")
    return "\n".join(lines)


def fmt(m: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in m.items())


if __name__ == "__main__":
    sys.exit(main())

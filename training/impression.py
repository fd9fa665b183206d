"""Findings -> impression: a small Transformer sequence-to-sequence model with a copy (pointer) mechanism.

    flock /tmp/train.lock /usr/bin/python3 -m training.impression \
        --manifest data/impression/manifest.json --out models/iu-xray-impression [--threads 2] [--seed 42]

Reads the manifest written by `npm run manifest:impression` (the language toolkit does all text processing:
cleaning, vocabulary, ids, the TF-IDF-retrieved train impression). The model reads the findings and, as a second
input segment, the retrieved train impression; the decoder mixes its vocabulary distribution with a copy
distribution over the source tokens (pointer-generator: P = g * softmax(W h) + (1 - g) * attention @ one_hot(src)).
Token cross-entropy with teacher forcing; the epoch with the lowest val loss is kept (selection on val only).
Weights are rounded to float16 storage before evaluation, so every reported figure is of the shipped model.
Val and test are decoded with beam search (training/beam.py, R2Gen semantics) and scored by the toolkit
(`npm run eval -- --section impression`). The pack (models/iu-xray-impression, see docs/impression.md):

  manifest.json               format radiology-draft/impression-pack@1: tokenizer, model interface, decoding,
                              retrieval gallery, sha256 of every file, val/test metrics
  impression_encoder.onnx     findings_ids [1,F], retrieved_ids [1,R] -> cross_keys/values [layers,1,H,S,Dh],
                              pointer_keys [1,S,d], copy_map [1,S,V], source_bias [1,S]   (S = F + R)
  impression_step.onnx        input_ids [B,1], beam_origin [B], past_keys/values [layers,B',H,T,Dh], the encoder's
                              outputs -> log_probs [B,V], present_keys/values [layers,B,H,T+1,Dh]
  gallery/findings_ids.json   token ids of every train example's findings (TF-IDF retrieval at run time)
  gallery/impression_ids.json token ids of the same examples' impressions (the retrieved second input)
  gallery/uids.json           their IU-Xray uids
  pytorch/checkpoint.pt       the same weights for the parity test
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import evaluate
from .beam import beam_search
from .models import DecoderLayer, FeedForward, MultiHeadAttention, sinusoid_table

PACK_FORMAT = "radiology-draft/impression-pack@1"
MANIFEST_FORMAT = "radiology-draft/impression-manifest@1"
OPSET = 14
NEG = -1e9


@dataclass(frozen=True)
class ImpressionConfig:
    vocab_size: int
    d_model: int = 256
    heads: int = 4
    d_ff: int = 512
    encoder_layers: int = 2
    decoder_layers: int = 2
    dropout: float = 0.15
    max_positions: int = 160


class EncoderLayer(nn.Module):
    def __init__(self, cfg: ImpressionConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, keep):
        x = self.norm1(x + self.drop(self.self_attn(x, x, keep)))
        return self.norm2(x + self.drop(self.ffn(x)))


class ImpressionModel(nn.Module):
    def __init__(self, cfg: ImpressionConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.token_embed = nn.Embedding(cfg.vocab_size, d)
        self.segment_embed = nn.Embedding(2, d)
        self.register_buffer("pe", sinusoid_table(cfg.max_positions, d), persistent=False)
        self.embed_drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList([EncoderLayer(cfg) for _ in range(cfg.encoder_layers)])
        self.decoder = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.decoder_layers)])
        self.out = nn.Linear(d, cfg.vocab_size)
        self.pointer_query = nn.Linear(d, d)
        self.pointer_key = nn.Linear(d, d)
        self.gate = nn.Linear(2 * d, 1)

    def _embed(self, ids, segment: int):
        x = self.token_embed(ids) * math.sqrt(self.cfg.d_model) + self.pe[: ids.shape[1]]
        return x + self.segment_embed.weight[segment]

    def encode(self, findings_ids, retrieved_ids):
        """findings_ids [B,F], retrieved_ids [B,R], 0-padded (ids are >= 1) -> the decoder's source state.

        Returns (cross_keys, cross_values [layers,B,H,S,Dh], pointer_keys [B,S,d], copy_map [B,S,V],
        source_bias [B,S]: 0 for a token, -1e9 for padding).
        """
        src = torch.cat([findings_ids, retrieved_ids], dim=1)
        keep = src != 0
        x = self.embed_drop(torch.cat([self._embed(findings_ids, 0), self._embed(retrieved_ids, 1)], dim=1))
        mask = keep[:, None, None, :]
        for layer in self.encoder:
            x = layer(x, mask)
        ks, vs = [], []
        for layer in self.decoder:
            k, v = layer.cross_attn.keys_values(x)
            ks.append(k)
            vs.append(v)
        copy_map = F.one_hot(src, self.cfg.vocab_size).to(x.dtype) * keep[:, :, None].to(x.dtype)
        bias = (~keep).to(x.dtype) * NEG
        return torch.stack(ks), torch.stack(vs), self.pointer_key(x), copy_map, bias

    def _mix(self, h, pointer_keys, copy_map, source_bias):
        """h [B,T,d] -> log P [B,T,V] of the pointer-generator mixture."""
        q = self.pointer_query(h)
        scores = torch.matmul(q, pointer_keys.transpose(-1, -2)) * (1.0 / math.sqrt(self.cfg.d_model))
        attn = F.softmax(scores + source_bias[:, None, :], dim=-1)
        context = torch.matmul(attn, pointer_keys)
        g = torch.sigmoid(self.gate(torch.cat([h, context], dim=-1)))
        p = g * F.softmax(self.out(h), dim=-1) + (1 - g) * torch.matmul(attn, copy_map)
        return torch.log(p.clamp_min(1e-12))

    def forward(self, findings_ids, retrieved_ids, input_ids):
        """Teacher forcing: input_ids [B,T] (starts with 0) -> log-probabilities [B,T,V]."""
        cross_k, cross_v, pointer_keys, copy_map, bias = self.encode(findings_ids, retrieved_ids)
        cross_keep = (bias > -1)[:, None, None, :]
        t = input_ids.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=input_ids.device).tril()[None, None]
        y = self.embed_drop(self.token_embed(input_ids) * math.sqrt(self.cfg.d_model) + self.pe[:t])
        for i, layer in enumerate(self.decoder):
            y = layer(y, causal, cross_k[i], cross_v[i], cross_keep)
        return self._mix(y, pointer_keys, copy_map, bias)

    def step(self, input_ids, beam_origin, past_keys, past_values, cross_keys, cross_values, pointer_keys, copy_map,
             source_bias):
        """One decoding step for B rows (the source state has batch 1 or B). Returns log_probs [B,V], present k/v."""
        if beam_origin is not None:
            past_keys = past_keys.index_select(1, beam_origin)
            past_values = past_values.index_select(1, beam_origin)
        position = torch._shape_as_tensor(past_keys)[3:4]
        y = self.token_embed(input_ids) * math.sqrt(self.cfg.d_model) + self.pe.index_select(0, position)
        cross_keep = (source_bias > -1)[:, None, None, :]
        ks, vs = [], []
        for i, layer in enumerate(self.decoder):
            y, k, v = layer.step(y, past_keys[i], past_values[i], cross_keys[i], cross_values[i], cross_keep)
            ks.append(k)
            vs.append(v)
        log_probs = self._mix(y, pointer_keys, copy_map, source_bias)[:, 0]
        return log_probs, torch.stack(ks), torch.stack(vs)

    def empty_cache(self, rows: int, device=None):
        c = self.cfg
        shape = (c.decoder_layers, rows, c.heads, 0, c.d_model // c.heads)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


class BeamAdapter:
    """Presents the model with training/beam.py's generator interface (encode / cross_keys_values / step), the
    pointer state riding along, so that Python decodes with the one beam search the pack's spec names."""

    def __init__(self, model: ImpressionModel, beam_size: int):
        self.model = model
        self.k = beam_size
        self.pointer = None

    def encode(self, findings_ids, retrieved_ids):
        return self.model.encode(findings_ids, retrieved_ids)

    def cross_keys_values(self, state):
        cross_k, cross_v, pointer_keys, copy_map, bias = state
        self.pointer = tuple(t.repeat_interleave(self.k, dim=0) for t in (pointer_keys, copy_map, bias))
        return cross_k, cross_v

    def empty_cache(self, rows, device=None):
        return self.model.empty_cache(rows, device)

    def step(self, input_ids, beam_origin, past_k, past_v, cross_k, cross_v):
        return self.model.step(input_ids, beam_origin, past_k, past_v, cross_k, cross_v, *self.pointer)


# ------------------------------------------------------------------------------------------------------------ data


def load_manifest(path: str) -> dict:
    with open(path, "rb") as f:
        raw = f.read()
    m = json.loads(raw)
    if m.get("format") != MANIFEST_FORMAT:
        raise SystemExit(f"{path}: not an impression manifest (format {m.get('format')!r}); run npm run manifest:impression")
    m["sha256"] = hashlib.sha256(raw).hexdigest()
    return m


def pad(rows: list[list[int]]) -> torch.Tensor:
    n = max(1, max(len(r) for r in rows))
    out = torch.zeros(len(rows), n, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def batch_tensors(examples: list[dict]):
    return (pad([e["findings_ids"] for e in examples]), pad([e["retrieved_ids"] for e in examples]),
            pad([e["impression_ids"] for e in examples]))


def loss_of(model, batch, label_smoothing: float = 0.0):
    """Token cross-entropy of the pointer-generator mixture; with label_smoothing e, (1 - e) * NLL + e * the mean
    negative log-probability over the vocabulary (val loss, the selection criterion, is always the plain NLL)."""
    findings, retrieved, target = batch
    log_probs = model(findings, retrieved, target[:, :-1])
    gold = target[:, 1:]
    # positions up to and including the first end id (0) count; the rest is padding
    ended = (gold == 0).long().cumsum(1)
    keep = (ended == 0) | ((ended == 1) & (gold == 0))
    nll = -log_probs.gather(2, gold[..., None])[..., 0]
    if label_smoothing > 0:
        nll = (1 - label_smoothing) * nll - label_smoothing * log_probs.mean(-1)
    return (nll * keep).sum() / keep.sum()


def bucketed_batches(examples: list[dict], batch: int, gen: random.Random) -> list[list[int]]:
    """Seeded length-bucketed batches: shuffle, sort chunks of 50 batches by source length, cut them into batches,
    shuffle the batch order. Less padding than random batches (findings run from 1 to 120 tokens), same data."""
    order = list(range(len(examples)))
    gen.shuffle(order)
    chunk = batch * 50
    batches = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i: i + chunk],
                      key=lambda j: len(examples[j]["findings_ids"]) + len(examples[j]["retrieved_ids"]))
        batches += [part[k: k + batch] for k in range(0, len(part), batch)]
    gen.shuffle(batches)
    return batches


@torch.no_grad()
def mean_loss(model, examples, batch_size=64) -> float:
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(examples), batch_size):
        chunk = examples[i: i + batch_size]
        total += loss_of(model, batch_tensors(chunk)).item() * len(chunk)
        count += len(chunk)
    return total / count


@torch.no_grad()
def decode(model, examples, idx2token, beam_size: int, max_length: int, batch_size=32) -> list[tuple[str, str]]:
    model.eval()
    adapter = BeamAdapter(model, beam_size)
    out = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i: i + batch_size]
        findings, retrieved, _ = batch_tensors(chunk)
        tokens = beam_search(adapter, findings, retrieved, beam_size=beam_size, max_length=max_length)
        out += [(e["id"], " ".join(idx2token[t] for t in toks)) for e, toks in zip(chunk, tokens)]
    return out


# ---------------------------------------------------------------------------------------------------------- export


class _EncoderExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, findings_ids, retrieved_ids):
        return self.model.encode(findings_ids, retrieved_ids)


class _StepExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        return self.model.step(*args)


def export_onnx(model: ImpressionModel, out_dir: str) -> dict[str, str]:
    import onnx

    from .pack import _declare_output_shapes, _fp16_storage

    model = model.cpu().eval()
    cfg = model.cfg
    dh = cfg.d_model // cfg.heads
    files = {}
    path = os.path.join(out_dir, "impression_encoder.onnx")
    findings = torch.randint(1, cfg.vocab_size, (1, 9))
    retrieved = torch.randint(1, cfg.vocab_size, (1, 4))
    torch.onnx.export(
        _EncoderExport(model), (findings, retrieved), path, opset_version=OPSET,
        input_names=["findings_ids", "retrieved_ids"],
        output_names=["cross_keys", "cross_values", "pointer_keys", "copy_map", "source_bias"],
        dynamic_axes={"findings_ids": {0: "batch", 1: "findings_len"}, "retrieved_ids": {0: "batch", 1: "retrieved_len"},
                      "cross_keys": {1: "batch", 3: "source_len"}, "cross_values": {1: "batch", 3: "source_len"},
                      "pointer_keys": {0: "batch", 1: "source_len"}, "copy_map": {0: "batch", 1: "source_len"},
                      "source_bias": {0: "batch", 1: "source_len"}},
        do_constant_folding=True,
    )
    files["impression_encoder"] = path
    path = os.path.join(out_dir, "impression_step.onnx")
    rows, past, s = 3, 2, 13
    state = model.encode(findings, retrieved)
    args = (torch.randint(1, cfg.vocab_size, (rows, 1)), torch.tensor([2, 0, 0]),
            torch.randn(cfg.decoder_layers, rows, cfg.heads, past, dh),
            torch.randn(cfg.decoder_layers, rows, cfg.heads, past, dh), *state)
    names = ["input_ids", "beam_origin", "past_keys", "past_values", "cross_keys", "cross_values", "pointer_keys",
             "copy_map", "source_bias"]
    torch.onnx.export(
        _StepExport(model), args, path, opset_version=OPSET, input_names=names,
        output_names=["log_probs", "present_keys", "present_values"],
        dynamic_axes={
            "input_ids": {0: "batch"}, "beam_origin": {0: "batch"},
            "past_keys": {1: "past_batch", 3: "past_len"}, "past_values": {1: "past_batch", 3: "past_len"},
            "cross_keys": {1: "source_batch", 3: "source_len"}, "cross_values": {1: "source_batch", 3: "source_len"},
            "pointer_keys": {0: "source_batch", 1: "source_len"}, "copy_map": {0: "source_batch", 1: "source_len"},
            "source_bias": {0: "source_batch", 1: "source_len"},
            "log_probs": {0: "batch"}, "present_keys": {1: "batch", 3: "present_len"},
            "present_values": {1: "batch", 3: "present_len"},
        },
        do_constant_folding=True,
    )
    files["impression_step"] = path
    layers, heads, d, v = cfg.decoder_layers, cfg.heads, cfg.d_model, cfg.vocab_size
    kv = [layers, "batch", heads, "source_len", dh]
    declared = {
        "impression_encoder": {"cross_keys": kv, "cross_values": kv, "pointer_keys": ["batch", "source_len", d],
                               "copy_map": ["batch", "source_len", v], "source_bias": ["batch", "source_len"]},
        "impression_step": {"log_probs": ["batch", v], "present_keys": [layers, "batch", heads, "present_len", dh],
                            "present_values": [layers, "batch", heads, "present_len", dh]},
    }
    for key, p in files.items():
        m = onnx.load(p)
        _declare_output_shapes(m, declared[key])
        m = _fp16_storage(m)
        onnx.checker.check_model(m)
        onnx.save(m, p)
    return files


def save_checkpoint(path: str, model: ImpressionModel) -> None:
    torch.save({"config": asdict(model.cfg), "state_dict": {k: v.half() if v.is_floating_point() else v
                                                             for k, v in model.state_dict().items()}}, path)


def load_checkpoint(path: str) -> ImpressionModel:
    ckpt = torch.load(path, map_location="cpu")
    model = ImpressionModel(ImpressionConfig(**ckpt["config"]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()})
    return model.eval()


# ------------------------------------------------------------------------------------------------------------ main


def average_state(states: list[dict]) -> dict:
    return {k: (sum(st[k].float() for st in states) / len(states)).to(states[0][k].dtype)
            if states[0][k].is_floating_point() else states[0][k] for k in states[0]}


def train(args, splits, vocab_size: int, log):
    """AdamW, linear warm-up then cosine decay to 5 % over the planned epochs, label smoothing, length-bucketed
    batches. Selection on val loss only: the best single epoch or the average of the last --average epochs' weights,
    whichever has the lower val loss."""
    cfg = ImpressionConfig(vocab_size=vocab_size)
    model = ImpressionModel(cfg)
    log(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, {cfg}")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(splits["train"]) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / args.warmup) * max(0.05, 0.5 * (1 + math.cos(math.pi * s / total_steps))))
    gen = random.Random(args.seed)
    best = (float("inf"), 0, None)
    recent: list[dict] = []
    history = []
    train_start = time.time()
    for epoch in range(1, args.epochs + 1):
        if time.time() - train_start > args.budget_minutes * 60:
            log(f"training budget of {args.budget_minutes} min reached before epoch {epoch}")
            break
        model.train()
        losses = []
        for chunk in bucketed_batches(splits["train"], args.batch, gen):
            batch = batch_tensors([splits["train"][j] for j in chunk])
            loss = loss_of(model, batch, args.label_smoothing)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        val = mean_loss(model, splits["val"])
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": val,
                        "lr": sched.get_last_lr()[0], "seconds": time.time() - train_start})
        log(f"epoch {epoch}: train loss {np.mean(losses):.4f}, val loss {val:.4f}, lr {sched.get_last_lr()[0]:.2e}")
        state = copy.deepcopy(model.state_dict())
        if val < best[0]:
            best = (val, epoch, state)
        recent = (recent + [state])[-args.average:]
    train_seconds = time.time() - train_start
    selection = f"epoch {best[1]}"
    if args.average > 1 and len(recent) == args.average:
        model.load_state_dict(average_state(recent))
        averaged = mean_loss(model, splits["val"])
        last = len(history)
        log(f"average of epochs {last - args.average + 1}-{last}: val loss {averaged:.4f}")
        if averaged < best[0]:
            selection = f"average of epochs {last - args.average + 1}-{last}"
            best = (averaged, selection, model.state_dict())
    model.load_state_dict(best[2])
    model.eval()
    from .pack import round_to_fp16
    round_to_fp16(model)
    log(f"selected {selection} (val loss {best[0]:.4f}); weights rounded to float16 storage")

    return model, history, best, train_seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True, help="written by `npm run manifest:impression`")
    ap.add_argument("--out", default="models/iu-xray-impression")
    ap.add_argument("--work", default="data/impression/work")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=24, help="planned epochs: the cosine schedule decays over them")
    ap.add_argument("--budget-minutes", type=float, default=20.0, help="stop starting epochs after this much training")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=7e-4)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--average", type=int, default=3, help="also try the average of the last N epochs' weights")
    ap.add_argument("--beam", type=int, default=3, help="the beam size when --beams names one or none")
    ap.add_argument("--beams", default="1,3,5", help="beam sizes tried on val; the best is shipped")
    ap.add_argument("--max-length", type=int, default=60)
    ap.add_argument("--limit", type=int, default=0, help="smoke runs: use only this many examples per split")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--resume", action="store_true",
                    help="skip training: decode, score and pack the selected model saved in --work by an earlier run")
    args = ap.parse_args()

    t0 = time.time()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)

    def log(msg: str) -> None:
        print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)

    m = load_manifest(args.manifest)
    idx2token = m["tokenizer"]["idx2token"]
    splits = {s: [e for e in m["examples"] if e["split"] == s] for s in ("train", "val", "test")}
    if args.limit:
        splits = {s: v[: args.limit] for s, v in splits.items()}
    log(f"manifest {args.manifest}: train {len(splits['train'])}, val {len(splits['val'])}, test {len(splits['test'])}"
        f", vocabulary {len(idx2token)}")
    selected_path = os.path.join(args.work, "selected.pt")
    if args.resume:
        with open(os.path.join(args.work, "selected.json")) as f:
            info = json.load(f)
        model = load_checkpoint(selected_path)
        history, best, train_seconds = info["history"], (info["val_loss"], info["epoch"], None), info["train_seconds"]
        log(f"resumed the selected model of an earlier run (epoch {best[1]}, val loss {best[0]:.4f})")
    else:
        model, history, best, train_seconds = train(args, splits, len(idx2token), log)
        save_checkpoint(selected_path, model)
        with open(os.path.join(args.work, "selected.json"), "w") as f:
            json.dump({"history": history, "val_loss": best[0], "epoch": best[1], "train_seconds": train_seconds}, f)

    def score(path: str, split: str) -> dict:
        out = os.path.join(args.work, os.path.basename(path).replace(".jsonl", ".metrics.json"))
        metrics = evaluate.run_eval(path, out, ["--section", "impression", "--split", split])
        with open(out) as f:
            metrics["contradiction_rate"] = json.load(f)["contradictions"]["rate"]
        return metrics

    # The beam size is chosen on val (ROUGE-L + clinical F1, ties to the smaller beam); test is decoded once.
    beams = sorted({int(b) for b in args.beams.split(",")}) if args.beams and not args.limit else [args.beam]
    sweep: dict[int, dict] = {}
    if len(beams) > 1:
        for b in beams:
            path = os.path.join(args.work, f"impression-val-beam{b}.jsonl")
            evaluate.write_predictions(path, decode(model, splits["val"], idx2token, b, args.max_length))
            sweep[b] = score(path, "val")
            log(f"val, beam {b}: ROUGE-L {sweep[b]['ROUGE-L']:.4f}, clinical F1 {sweep[b]['clinical_f1']:.4f}, "
                f"contradictions {sweep[b]['contradiction_rate']:.4f}")
        args.beam = max(beams, key=lambda b: (sweep[b]["ROUGE-L"] + sweep[b]["clinical_f1"], -b))
        log(f"beam size {args.beam} selected on val")
    args.beam_sweep = {str(b): r for b, r in sweep.items()}
    results = {}
    for split in ("val", "test"):
        path = os.path.join(args.work, f"impression-{split}.jsonl")
        if split == "val" and args.beam in sweep:
            shutil.copyfile(os.path.join(args.work, f"impression-val-beam{args.beam}.jsonl"), path)
        else:
            evaluate.write_predictions(path, decode(model, splits[split], idx2token, args.beam, args.max_length))
        if args.limit:
            log(f"{split}: {len(splits[split])} predictions written (smoke run, not scored)")
            continue
        results[split] = score(path, split)
        log(f"{split}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[split].items()))

    write_pack(args, m, splits, model, results, history, best, train_seconds, log)
    log(f"done in {(time.time() - t0) / 60:.1f} min")


def write_pack(args, m, splits, model, results, history, best, train_seconds, log) -> None:
    from .pack import model_interface
    from .pack_thumbnails import pack_file_entries

    out = args.out
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "gallery"))
    os.makedirs(os.path.join(out, "pytorch"))
    files = export_onnx(model, out)
    log(f"exported ONNX: {', '.join(f'{k} {os.path.getsize(v) / 1e6:.1f} MB' for k, v in files.items())}")
    save_checkpoint(os.path.join(out, "pytorch", "checkpoint.pt"), model)
    train = splits["train"]
    gallery = {
        "uids": [e["uid"] for e in train],
        "findings_ids": [e["findings_ids"] for e in train],
        # each train example's own impression, as the toolkit passes a retrieved one (no BOS/EOS)
        "impression_ids": [[t for t in e["impression_ids"][1:] if t != 0] for e in train],
    }
    for name, values in gallery.items():
        with open(os.path.join(out, "gallery", f"{name}.json"), "w") as f:
            json.dump(values, f, separators=(",", ":"))
    tok = m["tokenizer"]
    manifest = {
        "format": PACK_FORMAT,
        "name": os.path.basename(os.path.normpath(out)),
        "version": args.version,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "method": {
            "name": "impression-pointer-transformer",
            "description": "findings -> impression: Transformer encoder over the findings and the TF-IDF-retrieved "
            "train impression (two segments), Transformer decoder with a copy (pointer-generator) mixture, beam search",
            "objective": "token cross-entropy (teacher forcing) with label smoothing; warm-up + cosine decay; the epoch or "
            "last-epochs average with the lowest val loss is kept",
            "config": asdict(model.cfg),
        },
        "training": {
            "dataset": m["dataset"],
            "dataset_manifest_sha256": m["sha256"],
            "counts": m["counts"],
            "splits": {s: len(v) for s, v in splits.items()},
            "seed": args.seed, "threads": args.threads, "device": "cpu", "batch": args.batch, "lr": args.lr,
            "warmup_steps": args.warmup, "label_smoothing": args.label_smoothing,
            "average_last": args.average, "batching": "seeded, length-bucketed", "epochs_max": args.epochs, "budget_minutes": args.budget_minutes,
            "selected_epoch": best[1], "val_loss": best[0], "train_seconds": round(train_seconds, 1),
            "history": history, "weights_storage": "float16",
        },
        "tokenizer": {k: tok[k] for k in ("kind", "threshold", "max_findings_tokens", "max_seq_length", "bos_id",
                                          "eos_id", "pad_id", "unk_token", "idx2token")},
        "decoding": {"algorithm": "beam search, R2Gen semantics (docs/model.md)", "beam_size": args.beam,
                     "beam_size_selection": {"split": "val", "criterion": "ROUGE-L + clinical F1",
                                             "candidates": args.beam_sweep},
                     "max_length": args.max_length, "start_id": tok["bos_id"], "end_id": tok["eos_id"],
                     "length_penalty": None},
        "retrieval": {
            "gallery_split": "train",
            "similarity": "TF-IDF cosine over findings token ids (language toolkit tfidf.ts), top 1",
            "uids": "gallery/uids.json", "findings_ids": "gallery/findings_ids.json",
            "impression_ids": "gallery/impression_ids.json", "count": len(train),
        },
        "models": {k: {"file": os.path.basename(p), **model_interface(p)} for k, p in files.items()},
        "pytorch_checkpoint": "pytorch/checkpoint.pt",
        "files": pack_file_entries(out),
        "metrics": {"scored_by": "npm run eval -- --section impression (language toolkit), raw model output",
                    "split_for_selection": "val", **results},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(e["bytes"] for e in manifest["files"])
    log(f"model pack {out}: {len(manifest['files']) + 1} files, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

"""Diagnosis-driven generation (issue 14.3, PromptMRG-style), the fourth row beside the paper's three Table II rows:

    /usr/bin/python3 -m training.prompted --manifest data/iu_xray_synth256/manifest.json \\
        --pack models/iu-xray-synth-demo --epochs 6 --seed 42

The pack's +MedCLIP+Retrieval generator (pytorch/checkpoint.pt) is fine-tuned with one prompt token per finding the
diagnosis branch decides on (the pack's `diagnosis` section: >= 5 val positives and val AUC >= 0.8, the rule the
engine uses): token k is a learned label embedding E[k, decision_k] (decision 0 = absent, 1 = present), appended to
the fusion encoder's output, so the decoder cross-attends to F = I_I + W * I_R (the paper's fusion, unchanged) and
to the K prompt tokens. Trained by token cross-entropy with the drawn findings (the truth, tools/synth's
findings.json) as decisions; evaluated with the diagnosis branch's predicted decisions (probability >= the pack's
val threshold, diagnosis.pt on the same preprocessed images). The epoch with the best val BLEU-4 + clinical F1 (with
predicted decisions) is kept; test is scored once, at the end. Writes <work>/prompted.pt, prompted-{val,test}
predictions and metrics, and prompted.json (config, history, per-split metrics, distinct drafts).

With --ship the selected model then becomes the pack's generator (pack.ship_prompted: generator_encoder.onnx takes
`finding_decisions`, decoder_step.onnx `label_bias`; the manifest's `prompts` section lists the findings in prompt
order; the engine feeds the diagnosis branch's decisions). `--ship-only --work DIR` ships an earlier run's
DIR/prompted.pt without training. The fine-tuning starts from the pack's +MedCLIP+Retrieval generator, so a pack that
already ships a prompted generator is refused (retrain the pack with training.train and training.diagnosis first).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

from .beam import beam_search
from .diagnosis import load_diagnosis, predict
from .manifest import load_manifest
from .models import GeneratorConfig, ReportGenerator
from .pack import load_checkpoint, round_to_fp16, ship_prompted
from .train import (
    PRESETS,
    REPO_ROOT,
    Log,
    batches,
    length_batches,
    load_data,
    make_scorer,
    optimizer_step,
    patch_token_cache,
    reference_cross_entropy,
    retrieve,
    study_embeddings,
)


def reliable(f: dict) -> bool:
    """The engine's rule (diagnosisFindingReliable): enough val positives and a val AUC that supports a decision."""
    return (f.get("val_positives") or 0) >= 5 and (f.get("val_auc") or 0) >= 0.8


def drawn_decisions(manifest, names: list[str]) -> np.ndarray:
    """[n_studies, K] 0/1: the finding was drawn (no-finding: nothing was drawn)."""
    out = np.zeros((len(manifest.studies), len(names)), dtype=np.int64)
    for i, s in enumerate(manifest.studies):
        kinds = {f["kind"] for f in s.drawn_findings}
        for j, n in enumerate(names):
            out[i, j] = int(not kinds) if n == "no-finding" else int(n in kinds)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.prompted", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--pack", required=True, help="pack with pytorch/checkpoint.pt and a diagnosis section")
    ap.add_argument("--work", default=None, help="default data/training/<pack name>-prompted")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=5e-4, help="generator (fine-tuned); prompts get 10x")
    ap.add_argument("--conditioning", choices=("memory", "both"), default="memory",
                    help="prompt tokens in the fused memory; both: also a label embedding on the decoder inputs")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--findings", choices=("reliable", "all"), default="reliable",
                    help="prompt findings: the reliable ones (the engine's rule) or every diagnosis finding (smoke test)")
    ap.add_argument("--balance", type=int, default=0,
                    help="oversample: a train study with a positive prompt finding (no-finding aside) is repeated "
                    "ceil(N / train positives of its rarest such finding) times per epoch, at most 8 (0 = off)")
    ap.add_argument("--exclude-phrase", default="",
                    help="leave out of the fine-tuning the train studies whose token_ids contain this phrase "
                    "(space-separated tokens of the manifest vocabulary)")
    ap.add_argument("--ship", action="store_true", help="make the selected model the pack's generator")
    ap.add_argument("--ship-only", action="store_true", help="ship <work>/prompted.pt of an earlier run, no training")
    ap.add_argument("--limit-studies", type=int, default=0, help="per split (smoke test)")
    ap.add_argument("--max-steps-per-epoch", type=int, default=0, help="smoke test")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    started = time.time()
    pack_dir = os.path.abspath(a.pack)
    with open(os.path.join(pack_dir, "manifest.json")) as f:
        pack = json.load(f)
    if "diagnosis" not in pack:
        print(f"error: {pack_dir} has no diagnosis section (run training.diagnosis first)", file=sys.stderr)
        return 2
    work = a.work or os.path.join(REPO_ROOT, "data", "training", f"{os.path.basename(pack_dir)}-prompted")
    os.makedirs(work, exist_ok=True)
    log = Log(os.path.join(work, "prompted.log"))
    if a.ship_only:
        return ship(pack_dir, work, log)

    m = load_manifest(a.manifest)
    if not m.has_drawn_findings:
        print(f"error: {a.manifest} carries no drawn findings (tools/synth findings.json)", file=sys.stderr)
        return 2
    p = copy.deepcopy(PRESETS[pack["training"]["preset"]])
    p.limit_studies = a.limit_studies
    data = load_data(m, p, log)

    base = load_checkpoint(os.path.join(pack_dir, "pytorch", "checkpoint.pt"))
    if not base.generator.cfg.use_retrieval:
        print("error: the pack's generator does not read a retrieved report", file=sys.stderr)
        return 2
    if base.generator.cfg.prompt_findings:
        print(f"error: {pack_dir} already ships a prompted generator; fine-tuning starts from the +MedCLIP+Retrieval "
              "generator (retrain the pack with training.train and training.diagnosis)", file=sys.stderr)
        return 2
    vision = base.vision.eval()
    embeddings = {s: study_embeddings(vision, data, data.splits[s], "cpu", p.eval_batch)
                  for s in ("train", "val", "test")}
    retrieval = retrieve(data, embeddings)
    frozen = patch_token_cache(vision, data, "cpu", p.eval_batch)

    findings = [f for f in pack["diagnosis"]["findings"] if a.findings == "all" or reliable(f)]
    if not findings:
        print(f"error: {pack_dir}: no diagnosis finding is reliable (>= 5 val positives, val AUC >= 0.8)",
              file=sys.stderr)
        return 2
    names = [f["name"] for f in findings]
    # float64, as the engine compares (a float32 probability against the manifest's threshold)
    thresholds = np.array([f["threshold"] for f in findings], dtype=np.float64)
    truth = torch.from_numpy(drawn_decisions(m, names))
    net = load_diagnosis(os.path.join(pack_dir, "pytorch", "diagnosis.pt"))
    all_names = [f["name"] for f in pack["diagnosis"]["findings"]]
    cols = [all_names.index(n) for n in names]
    predicted = torch.zeros_like(truth)
    for split in ("val", "test"):
        idx = data.splits[split]
        probs = predict(net, data.images, idx)[:, cols]
        predicted[idx] = torch.from_numpy((probs.astype(np.float64) >= thresholds[None, :]).astype(np.int64))
    agree = {s: float((predicted[data.splits[s]] == truth[data.splits[s]]).float().mean()) for s in ("val", "test")}
    log(f"{len(names)} prompted findings: {', '.join(names)}; predicted decisions agree with drawn truth "
        f"{100 * agree['val']:.1f} % (val), {100 * agree['test']:.1f} % (test) of decisions")

    torch.manual_seed(a.seed)
    cfg = dataclasses.replace(base.generator.cfg, prompt_findings=len(names), prompt_conditioning=a.conditioning)
    model = ReportGenerator(cfg)
    missing, unexpected = model.load_state_dict(base.generator.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("prompt_embed.", "label_proj.")) for k in missing), (missing, unexpected)
    prompt_params = [q for n, q in model.named_parameters() if n.startswith(("prompt_embed.", "label_proj."))]
    opt = torch.optim.Adam([
        {"params": [q for n, q in model.named_parameters() if not n.startswith(("prompt_embed.", "label_proj."))],
         "lr": a.lr},
        {"params": prompt_params, "lr": 10 * a.lr},
    ])
    train = list(data.splits["train"])
    if a.exclude_phrase:
        token2idx = {t: i for i, t in enumerate(m.idx2token)}
        words = a.exclude_phrase.split()
        if any(w not in token2idx for w in words):
            print(f"error: --exclude-phrase: {[w for w in words if w not in token2idx]} not in the vocabulary",
                  file=sys.stderr)
            return 2
        phrase = [token2idx[w] for w in words]

        def has_phrase(ids: list[int]) -> bool:
            return any(ids[j : j + len(phrase)] == phrase for j in range(len(ids) - len(phrase) + 1))

        kept = [i for i in train if not has_phrase(list(data.studies[i].token_ids))]
        log(f"--exclude-phrase {a.exclude_phrase!r}: {len(train) - len(kept)} train studies left out")
        train = kept
    if a.balance:
        positives = truth[train].sum(0)
        repeats = []
        for i in train:
            r = 1
            for k, n in enumerate(names):
                if n != "no-finding" and truth[i, k] and positives[k] > 0:
                    r = max(r, min(8, math.ceil(a.balance / int(positives[k]))))
            repeats.append(r)
        train = [i for i, r in zip(train, repeats) for _ in range(r)]
        log(f"balanced sampling (--balance {a.balance}): {len(train)} train rows per epoch from "
            f"{len(set(train))} studies; train positives "
            + ", ".join(f"{n} {int(positives[k])}" for k, n in enumerate(names)))
    steps = math.ceil(len(train) / p.gen_batch)
    if a.max_steps_per_epoch:
        steps = min(steps, a.max_steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / p.warmup_steps))
    rng = random.Random(a.seed)
    lengths = [len(s.token_ids) for s in data.studies]
    scorer = make_scorer(data, work)

    @torch.no_grad()
    def generate(split: str) -> list[tuple[str, list[int]]]:
        model.eval()
        out = []
        for part in batches(data.splits[split], p.eval_batch, None):
            seqs = beam_search(model, frozen[part], data.retrieved_tokens(part), p.beam_size, p.max_length,
                               m.bos_id, m.eos_id, decisions=predicted[part])
            out.extend((data.studies[i].id, s) for i, s in zip(part, seqs))
        return out

    history = []
    best = (-1.0, 0, None, None)
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0 = time.time()
        losses = []
        for step, idx in enumerate(length_batches(train, p.gen_batch, rng, lengths)):
            if step >= steps:
                break
            # training: the drawn truth as the decisions
            conditioned = lambda x, r, ids, d=truth[idx]: model(x, r, ids, d)  # noqa: E731
            loss = reference_cross_entropy(conditioned, data, idx, frozen[idx], data.retrieved_tokens(idx), "cpu")
            optimizer_step(opt, sched, model, loss, p.grad_clip_value)
            losses.append(loss.item())
        train_seconds = time.time() - t0
        preds = generate("val")
        metrics = scorer(preds, os.path.join(work, f"prompted-val-epoch{epoch}"))
        score = metrics["BLEU-4"] + metrics["clinical_f1"]
        distinct = len({tuple(s) for _, s in preds})
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val": metrics,
                        "val_distinct_drafts": distinct, "train_seconds": round(train_seconds, 1)})
        log(f"epoch {epoch}/{a.epochs}: loss {np.mean(losses):.3f}, val BLEU-4 {metrics['BLEU-4']:.4f} CE F1 "
            f"{metrics['clinical_f1']:.4f}, {distinct} distinct drafts (train {train_seconds:.0f}s, total "
            f"{time.time() - t0:.0f}s)")
        if score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()), metrics)

    model.load_state_dict(best[2])
    round_to_fp16(model)
    scored, distinct = {}, {}
    for split in ("val", "test"):
        preds = generate(split)
        scored[split] = scorer(preds, os.path.join(work, f"prompted-{split}"))
        distinct[split] = len({tuple(s) for _, s in preds})
    torch.save({"names": names, "config": cfg.__dict__, "state_dict": model.state_dict()},
               os.path.join(work, "prompted.pt"))
    out = {"findings": names, "finding_rule": a.findings, "conditioning": a.conditioning, "selected_epoch": best[1], "val": scored["val"], "test": scored["test"],
           "distinct_drafts": distinct, "decision_agreement": agree, "retrieval": retrieval, "history": history,
           "lr": a.lr, "epochs": a.epochs, "balance": a.balance, "exclude_phrase": a.exclude_phrase, "seed": a.seed, "seconds": round(time.time() - started, 1)}
    with open(os.path.join(work, "prompted.json"), "w") as f:
        json.dump(out, f, indent=1)
    t = scored["test"]
    log(f"test (epoch {best[1]}): BLEU-1 {t['BLEU-1']:.4f} BLEU-4 {t['BLEU-4']:.4f} METEOR {t['METEOR']:.4f} "
        f"ROUGE-L {t['ROUGE-L']:.4f} CE P {t['clinical_precision']:.4f} R {t['clinical_recall']:.4f} F1 "
        f"{t['clinical_f1']:.4f}; {distinct['test']} distinct drafts; predictions {work}/prompted-test.predictions.jsonl"
        f" ({time.time() - started:.0f} s)")
    if a.ship:
        return ship(pack_dir, work, log)
    return 0


def ship(pack_dir: str, work: str, log) -> int:
    """<work>/prompted.pt and prompted.json -> the pack's generator (pack.ship_prompted)."""
    try:
        ck = torch.load(os.path.join(work, "prompted.pt"), map_location="cpu")
        with open(os.path.join(work, "prompted.json")) as f:
            run = json.load(f)
    except OSError as e:
        print(f"error: {work} holds no finished prompted run ({e})", file=sys.stderr)
        return 2
    generator = ReportGenerator(GeneratorConfig(**ck["config"]))
    generator.load_state_dict(ck["state_dict"])
    generator.eval()
    section = {
        "conditioning": run["conditioning"],
        "decision": "1 when the diagnosis branch's probability >= the finding's threshold (diagnosis section), "
        "else 0",
        "finding_rule": run.get("finding_rule", "reliable"),
        "training": f"fine-tuned from the +MedCLIP+Retrieval generator by token cross-entropy with the drawn findings "
        f"(tools/synth) as decisions, Adam {run['lr']:g} (prompts {10 * run['lr']:g}), {run['epochs']} epochs"
        + (f", studies with rare positive findings oversampled (--balance {run['balance']})" if run.get("balance") else "")
        + (f", train studies whose report contains {run['exclude_phrase']!r} left out" if run.get("exclude_phrase") else "")
        + f", seed "
        f"{run['seed']}; the epoch with the best val BLEU-4 + clinical F1 with predicted decisions is kept",
        "selected_epoch": run["selected_epoch"],
        "epochs": run["epochs"],
        "seed": run["seed"],
        "balance": run.get("balance", 0),
        "exclude_phrase": run.get("exclude_phrase", ""),
        "seconds": run["seconds"],
        "distinct_drafts": run["distinct_drafts"],
        "decision_agreement": run["decision_agreement"],
        "history": [{"epoch": h["epoch"], "train_loss": round(h["train_loss"], 4),
                     "val_bleu4": round(h["val"]["BLEU-4"], 4), "val_clinical_f1": round(h["val"]["clinical_f1"], 4),
                     "val_distinct_drafts": h["val_distinct_drafts"]} for h in run["history"]],
    }
    ship_prompted(pack_dir, generator, ck["names"], section, {"val": run["val"], "test": run["test"]}, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())

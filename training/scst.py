"""Self-critical sequence training (SCST) of a report generator, after its cross-entropy epochs.

Rennie et al., "Self-critical Sequence Training for Image Captioning" (CVPR 2017), with the baseline of Luo,
"A Better Variant of Self-Critical Sequence Training" (2020): for every study K reports are sampled from the
model; each sample's reward is its sentence BLEU-4 against the study's reference report, and its advantage is
that reward minus the mean reward of the study's other K - 1 samples. The loss is
`-mean(advantage * sum log p(sampled tokens))` over the samples' tokens, the end token included.

Why it is here (docs/model.md): on images that carry the findings but not the radiologist's wording, a model
trained by cross-entropy alone spreads its probability over hundreds of normal templates, and beam search with
summed log-probabilities then returns the shortest frequent one (17 tokens against the references' 28), which
loses on BLEU's brevity penalty. SCST trains the same model, decoded the same way, towards reports that score
well against the references.

Optionally (`Preset.scst_clinical_weight`, 0 in the presets: measured to hurt, docs/model.md) a sample's reward is
`BLEU-4 + clinical_weight * clinical F1`: the clinical part compares the positive findings
of the sample with those of the reference, both labelled by the toolkit's clinical labeler (the one the eval's
clinical P/R/F1 use), run as a line service (`src-main/cli/label-stream.ts`); this is Liu et al.'s "clinically
coherent reward" (MLHC 2019) with the project's labeler. BLEU works on token ids from the dataset manifest (the
toolkit's tokenizer); Python processes no report text. Every reported score still comes from the toolkit's eval CLI.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections import Counter

import torch
import torch.nn.functional as F

from .models import single_query_broadcast_attention


def _ngrams(tokens: list[int], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def sentence_bleu(hypothesis: list[int], reference: list[int], max_n: int = 4) -> float:
    """BLEU-max_n of one hypothesis against one reference, add-one smoothing of the n > 1 precisions (Lin and Och
    2004) so that a partly right sample still earns a reward, with the brevity penalty."""
    if not hypothesis or not reference:
        return 0.0
    log_precision = 0.0
    for n in range(1, max_n + 1):
        hyp = _ngrams(hypothesis, n)
        ref = _ngrams(reference, n)
        total = max(sum(hyp.values()), 0)
        match = sum(min(c, ref[g]) for g, c in hyp.items())
        if n == 1:
            if match == 0:
                return 0.0
            p = match / total
        else:
            p = (match + 1) / (total + 1)
        log_precision += math.log(p) / max_n
    bp = 1.0 if len(hypothesis) > len(reference) else math.exp(1 - len(reference) / len(hypothesis))
    return bp * math.exp(log_precision)


def positive_set(labels: list) -> frozenset[int]:
    """The observations labelled positive (1); negative, uncertain and unmentioned are not positive (as the eval)."""
    return frozenset(i for i, v in enumerate(labels) if v == 1)


def clinical_f1(hypothesis: frozenset[int], reference: frozenset[int]) -> float:
    """F1 of one report's positive findings against the reference's (1 when neither has any)."""
    denominator = 2 * len(hypothesis & reference) + len(hypothesis ^ reference)
    return 1.0 if denominator == 0 else 2 * len(hypothesis & reference) / denominator


class LabelerService:
    """The toolkit's clinical labeler in a Node child process (`npm run -s label-stream`), with a cache by text."""

    def __init__(self, repo_root: str):
        tsx = os.path.join(repo_root, "node_modules", ".bin", "tsx")
        if not os.path.exists(tsx):
            raise RuntimeError(f"{tsx} not found: run `npm ci` first (the clinical reward uses the toolkit's labeler)")
        self.proc = subprocess.Popen([tsx, os.path.join(repo_root, "src-main", "cli", "label-stream.ts")],
                                     cwd=repo_root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.cache: dict[str, frozenset[int]] = {}

    def positives(self, texts: list[str]) -> list[frozenset[int]]:
        todo = sorted({t for t in texts if t not in self.cache})
        assert self.proc.stdin is not None and self.proc.stdout is not None
        for start in range(0, len(todo), 200):  # round trips small enough for the pipe buffers
            chunk = todo[start : start + 200]
            self.proc.stdin.write("".join(json.dumps({"report": t}) + "\n" for t in chunk))
            self.proc.stdin.flush()
            for text in chunk:
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"the labeler service exited (code {self.proc.poll()})")
                answer = json.loads(line)
                if "labels" not in answer:
                    raise RuntimeError(f"the labeler service refused a report: {answer.get('error')}")
                self.cache[text] = positive_set(answer["labels"])
        return [self.cache[t] for t in texts]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@torch.no_grad()
def sample_reports(generator, patch_tokens: torch.Tensor, retrieved_ids: torch.Tensor | None, samples: int,
                   max_length: int, bos_id: int, eos_id: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`samples` reports per study by ancestral sampling with the key/value-cached decoder step.

    Returns tokens [B * samples, T] (0 after the end) and lengths [B * samples]: the number of scored tokens of each
    sample, its end token included (a sample cut at max_length has no end token).
    """
    n = patch_tokens.shape[0]
    rows = n * samples
    device = patch_tokens.device
    memory = generator.encode(patch_tokens, retrieved_ids)
    cross_k, cross_v = generator.cross_keys_values(memory)
    cross_k = cross_k.repeat_interleave(samples, dim=1)
    cross_v = cross_v.repeat_interleave(samples, dim=1)
    past_k, past_v = generator.empty_cache(rows, device)
    token = torch.full((rows, 1), bos_id, dtype=torch.long, device=device)
    out = torch.zeros(rows, max_length, dtype=torch.long, device=device)
    lengths = torch.full((rows,), max_length, dtype=torch.long, device=device)
    alive = torch.ones(rows, dtype=torch.bool, device=device)
    for t in range(max_length):
        with single_query_broadcast_attention():
            log_probs, past_k, past_v = generator.step(token, None, past_k, past_v, cross_k, cross_v)
        nxt = torch.multinomial(log_probs.exp(), 1, generator=rng).squeeze(1)
        nxt = torch.where(alive, nxt, torch.zeros_like(nxt))
        out[:, t] = nxt
        ended = alive & (nxt == eos_id)
        lengths[ended] = t + 1
        alive = alive & ~ended
        if not alive.any():
            return out[:, : t + 1], lengths
        token = nxt[:, None]
    return out, lengths


def scst_loss(generator, patch_tokens: torch.Tensor, retrieved_ids: torch.Tensor | None, references: list[list[int]],
              samples: int, max_length: int, bos_id: int, eos_id: int, rng: torch.Generator,
              clinical: tuple | None = None) -> tuple[torch.Tensor, dict]:
    """The SCST loss of one batch of studies and the batch's mean sample reward (and its parts).

    references: each study's report token ids without the start and end ids.
    clinical: (weight, labeler, decode, reference_positives) to add weight * clinical F1 to the reward, where
    decode(token ids) -> text and reference_positives is each study's set of positive observations.
    """
    tokens, lengths = sample_reports(generator, patch_tokens, retrieved_ids, samples, max_length, bos_id, eos_id, rng)
    rows = tokens.shape[0]
    bleu = torch.zeros(rows)
    token_list = tokens.tolist()
    hyps = []
    for r in range(rows):
        hyp = token_list[r][: int(lengths[r])]
        if hyp and hyp[-1] == eos_id:
            hyp = hyp[:-1]
        hyps.append(hyp)
        bleu[r] = sentence_bleu(hyp, references[r // samples])
    rewards = bleu.clone()
    clinical_score = torch.zeros(rows)
    if clinical is not None:
        weight, labeler, decode, reference_positives = clinical
        positives = labeler.positives([decode(h) for h in hyps])
        for r in range(rows):
            clinical_score[r] = clinical_f1(positives[r], reference_positives[r // samples])
        rewards += weight * clinical_score
    grouped = rewards.view(-1, samples)
    baseline = (grouped.sum(dim=1, keepdim=True) - grouped) / max(samples - 1, 1)
    advantage = (grouped - baseline).view(-1).tolist()
    # Identical samples of a study have identical log-probabilities: each distinct sample is scored once with the
    # sum of its copies' advantages, and samples whose advantages sum to zero are skipped (the gradient is exactly
    # that of the K-sample loss; a sharpened policy samples many copies, which makes late steps cheap).
    weight_of: dict[tuple, float] = {}
    row_of: dict[tuple, int] = {}
    for r in range(rows):
        key = (r // samples, tuple(token_list[r][: int(lengths[r])]))
        weight_of[key] = weight_of.get(key, 0.0) + advantage[r]
        row_of.setdefault(key, r)
    kept = [(row_of[k], w) for k, w in weight_of.items() if abs(w) > 1e-12]
    parts = {"reward": float(rewards.mean()), "bleu": float(bleu.mean()), "clinical": float(clinical_score.mean()),
             "scored_rows": len(kept)}
    if not kept:
        return (patch_tokens.sum() * 0.0).requires_grad_(), parts
    sel = torch.tensor([r for r, _ in kept], device=tokens.device)
    weights = torch.tensor([w for _, w in kept], device=patch_tokens.device)
    tokens, lengths = tokens.index_select(0, sel), lengths.index_select(0, sel)
    study = sel // samples
    # teacher-forced log-probabilities of the sampled tokens, with gradients
    inputs = torch.cat([torch.full((len(kept), 1), bos_id, dtype=torch.long, device=tokens.device), tokens[:, :-1]], 1)
    patches = patch_tokens.index_select(0, study)
    retrieved = retrieved_ids.index_select(0, study) if retrieved_ids is not None else None
    logits = generator(patches, retrieved, inputs)
    log_probs = F.log_softmax(logits, dim=-1).gather(2, tokens[:, :, None]).squeeze(2)
    keep = torch.arange(tokens.shape[1], device=tokens.device)[None, :] < lengths[:, None]
    sequence_log_prob = (log_probs * keep).sum(dim=1)
    loss = -(weights * sequence_log_prob).sum() / rows
    return loss, parts


def self_check(repo_root: str) -> dict:
    """Figures for test/integration/training/scst.test.ts: a hand-computed sentence BLEU, the broadcast one-query
    attention against the matmul form on a random generator, and labels from the labeler service."""
    from .models import GeneratorConfig, ReportGenerator

    torch.manual_seed(0)
    cfg = GeneratorConfig(vocab_size=50, patch_dim=8, n_patches=4, d_model=32, heads=4, d_ff=64, encoder_layers=1,
                          decoder_layers=2, dropout=0.1, use_retrieval=True)
    gen = ReportGenerator(cfg).eval()
    patches = torch.randn(2, 4, 8)
    retrieved = torch.tensor([[0, 5, 6, 7, 0], [0, 9, 0, 0, 0]])
    with torch.no_grad():
        memory = gen.encode(patches, retrieved)
        ck, cv = gen.cross_keys_values(memory)
        pk, pv = gen.empty_cache(2)
        fk, fv = gen.empty_cache(2)
        token = torch.tensor([[0], [0]])
        diff = 0.0
        for step in range(4):
            ref, pk, pv = gen.step(token, torch.arange(2), pk, pv, ck, cv)
            with single_query_broadcast_attention():
                fast, fk, fv = gen.step(token, None, fk, fv, ck, cv)
            diff = max(diff, float((ref - fast).abs().max()))
            token = ref.argmax(dim=1, keepdim=True)
        tokens, lengths = sample_reports(gen, patches, retrieved, 3, 6, 0, 0, torch.Generator().manual_seed(0))
    labeler = LabelerService(repo_root)
    texts = ["the heart is enlarged . no pleural effusion .", "the lungs are clear . no pneumothorax ."]
    positives = labeler.positives(texts)
    labeler.close()
    return {
        "bleu_example": sentence_bleu([1, 2, 3, 4], [1, 2, 3, 5, 6]),
        "bleu_identical": sentence_bleu([4, 5, 6, 7, 8], [4, 5, 6, 7, 8]),
        "bleu_no_overlap": sentence_bleu([1, 2], [3, 4]),
        "broadcast_attention_max_diff": diff,
        "sample_shape": list(tokens.shape),
        "sample_lengths": lengths.tolist(),
        "labeler": [{"text": t, "positives": sorted(p)} for t, p in zip(texts, positives)],
        "clinical_f1_example": clinical_f1(frozenset({2, 10}), frozenset({2})),
    }


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--self-check"]:
        print("usage: python3 -m training.scst --self-check", file=sys.stderr)
        raise SystemExit(2)
    print(json.dumps(self_check(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

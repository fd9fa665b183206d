"""Beam search with R2Gen's semantics, batched over studies (rows = studies x beams), using the cached decoder step.

Specification (the TypeScript engine implements the same; see docs/model.md):
- Start from the start id (0) with one live hypothesis of score 0 (the other beam rows start at -inf).
- Each step, every candidate (live row r, token v) scores score[r] + log_prob[r, v]; the `beam_size` best
  candidates of the study are kept (ties: lower row, then lower token id).
- A kept candidate whose token is the end id (0), or that is made at the last step (`max_length`), is finished:
  it joins the study's finished list and its row is dead (-inf) from then on.
- The study stops when its best finished score >= its best live score (log-probs are <= 0, so no live row can
  overtake; this changes nothing in the result), or after `max_length` steps.
- The output is the finished hypothesis with the largest summed log-probability (first finished on ties), its tokens
  up to and excluding the end id. No length penalty.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def beam_search(generator, patch_tokens: torch.Tensor, retrieved_ids: torch.Tensor | None, beam_size: int = 3,
                max_length: int = 60, bos_id: int = 0, eos_id: int = 0,
                decisions: torch.Tensor | None = None) -> list[list[int]]:
    """decisions [n, K]: the diagnosis decisions of a prompted generator (models.ReportGenerator.prompt_findings)."""
    n = patch_tokens.shape[0]
    k = beam_size
    bias = None
    if decisions is None:
        memory = generator.encode(patch_tokens, retrieved_ids)
    else:
        memory = generator.encode(patch_tokens, retrieved_ids, decisions)
        bias = generator.label_bias(decisions)
        if bias is not None:
            bias = bias.repeat_interleave(k, dim=0)
    cross_k, cross_v = generator.cross_keys_values(memory)
    cross_k = cross_k.repeat_interleave(k, dim=1)
    cross_v = cross_v.repeat_interleave(k, dim=1)
    rows = n * k
    past_k, past_v = generator.empty_cache(rows, patch_tokens.device)
    input_ids = torch.full((rows, 1), bos_id, dtype=torch.long, device=patch_tokens.device)
    beam_origin = torch.arange(rows, device=patch_tokens.device)
    scores = torch.full((n, k), float("-inf"), device=patch_tokens.device)
    scores[:, 0] = 0.0
    seqs = torch.zeros((rows, 0), dtype=torch.long, device=patch_tokens.device)
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(n)]
    done = [False] * n
    study_offset = (torch.arange(n, device=patch_tokens.device) * k)[:, None]
    for t in range(max_length):
        if bias is None:
            log_probs, past_k, past_v = generator.step(input_ids, beam_origin, past_k, past_v, cross_k, cross_v)
        else:
            log_probs, past_k, past_v = generator.step(input_ids, beam_origin, past_k, past_v, cross_k, cross_v, bias)
        vocab = log_probs.shape[1]
        cand = (scores[:, :, None] + log_probs.view(n, k, vocab)).view(n, k * vocab)
        top_scores, top_index = _stable_topk(cand, k)
        origin = top_index // vocab
        token = top_index % vocab
        beam_origin = (study_offset + origin).view(-1)
        seqs = torch.cat([seqs.index_select(0, beam_origin), token.view(-1, 1)], dim=1)
        ends = (token == eos_id) | (t == max_length - 1)
        ends_list = ends.tolist()
        top_list = top_scores.tolist()
        for i in range(n):
            if done[i]:
                continue
            for j in range(k):
                if ends_list[i][j] and top_list[i][j] != float("-inf"):
                    finished[i].append((top_list[i][j], seqs[i * k + j].tolist()))
        scores = top_scores.masked_fill(ends, float("-inf"))
        best_live = scores.max(dim=1).values.tolist()
        for i in range(n):
            if not done[i] and finished[i] and max(s for s, _ in finished[i]) >= best_live[i]:
                done[i] = True
        if all(done):
            break
        input_ids = token.view(-1, 1)
    out = []
    for i in range(n):
        best = max(finished[i], key=lambda item: item[0])  # max keeps the first of equal scores
        tokens = best[1]
        out.append(tokens[: tokens.index(eos_id)] if eos_id in tokens else tokens)
    return out


def _stable_topk(cand: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k per row by score, ties broken towards the lower flat index (row-major beam, token)."""
    # a stable descending sort keeps the lower index first among equal scores
    order = torch.sort(cand, dim=1, descending=True, stable=True)
    return order.values[:, :k], order.indices[:, :k]

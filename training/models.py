"""Networks: vision encoders (CPU CNN, Swin-Tiny), report text encoder, MedCLIP dual encoder, fusion generator.

Every module here exports to ONNX (opset 14) with torch 1.13: attention is written out with MatMul/Softmax, the
decoder has an explicit single-token step with a self-attention key/value cache, and cross-attention keys/values
of the image memory are computed once per study by the generator encoder.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

LOGIT_SCALE_INIT = math.log(1 / 0.07)
LOGIT_SCALE_MAX = math.log(100.0)


# ----------------------------------------------------------------------------------------------------------- vision


class ConvBlock(nn.Module):
    """3x3 conv (stride s) + BN + ReLU, then a residual 3x3 conv + BN, ReLU."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
        )
        self.body = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(x)
        return F.relu(x + self.body(x))


class CnnVisionEncoder(nn.Module):
    """Small residual CNN for the 2-core CPU preset: a 4x4/stride-4 patchify stem, then stride-2 residual stages.

    [N,1,S,S] -> patch tokens [N, g*g, C] with g = S / (4 * 2^(stages-1)) and the mean-pooled [N, C].
    """

    def __init__(self, channels: tuple[int, ...] = (32, 64, 128, 256), image_size: int = 128):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, channels[0], 4, 4, 0, bias=False), nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True)
        )
        blocks = []
        for cin, cout in zip(channels[:-1], channels[1:]):
            blocks.append(ConvBlock(cin, cout, 2))
        self.blocks = nn.Sequential(*blocks)
        self.out_dim = channels[-1]
        self.grid = image_size // (4 * 2 ** (len(channels) - 1))
        self.n_patches = self.grid * self.grid

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.blocks(self.stem(image))  # [N, C, g, g]
        tokens = x.flatten(2).transpose(1, 2)  # [N, g*g, C]
        return tokens, tokens.mean(dim=1)


class SwinVisionEncoder(nn.Module):
    """torchvision swin_t (MedCLIP's Swin-Tiny shape): 224x224 -> 7x7x768 patch tokens, pooled 768."""

    def __init__(self, image_size: int = 224):
        super().__init__()
        from torchvision.models import swin_t

        self.swin = swin_t(weights=None)
        self.out_dim = 768
        self.grid = image_size // 32
        self.n_patches = self.grid * self.grid

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = image.expand(-1, 3, -1, -1)  # one grey channel repeated, as MedCLIP feeds Swin
        x = self.swin.norm(self.swin.features(x))  # [N, g, g, 768]
        tokens = x.flatten(1, 2)
        return tokens, tokens.mean(dim=1)


class VisionEncoder(nn.Module):
    """Backbone + MedCLIP projection (no bias) to the joint space; the embedding is L2-normalised per view."""

    def __init__(self, kind: str, image_size: int, embed_dim: int = 512, channels: tuple[int, ...] | None = None):
        super().__init__()
        if kind == "cnn":
            self.backbone: nn.Module = CnnVisionEncoder(channels or (32, 64, 128, 256), image_size)
        elif kind == "swin_t":
            self.backbone = SwinVisionEncoder(image_size)
        else:
            raise ValueError(f"unknown vision encoder kind {kind!r}")
        self.kind = kind
        self.out_dim = self.backbone.out_dim
        self.n_patches = self.backbone.n_patches
        self.projection = nn.Linear(self.out_dim, embed_dim, bias=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, pooled = self.backbone(image)
        return tokens, F.normalize(self.projection(pooled), dim=-1)


def study_embedding(frontal: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
    """A study's embedding: the two L2-normalised view embeddings summed and L2-normalised again."""
    return F.normalize(frontal + lateral, dim=-1)


# ------------------------------------------------------------------------------------------------------------- text


def sinusoid_table(n_positions: int, d: int) -> torch.Tensor:
    pe = torch.zeros(n_positions, d)
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class TextEncoder(nn.Module):
    """Report encoder for the MedCLIP stage: token embedding + sinusoid positions, Transformer, mean pool, projection."""

    def __init__(self, vocab_size: int, d: int = 256, layers: int = 2, heads: int = 4, ff: int = 512,
                 embed_dim: int = 512, max_len: int = 64, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d)
        self.register_buffer("pe", sinusoid_table(max_len, d), persistent=False)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d)
        self.projection = nn.Linear(d, embed_dim, bias=False)
        self.d = d

    def forward(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        t = token_ids.shape[1]
        valid = torch.arange(t, device=token_ids.device)[None, :] < lengths[:, None]
        x = self.embed(token_ids) * math.sqrt(self.d) + self.pe[:t]
        x = self.norm(self.encoder(x, src_key_padding_mask=~valid))
        pooled = (x * valid[..., None]).sum(1) / valid.sum(1, keepdim=True).clamp(min=1)
        return F.normalize(self.projection(pooled), dim=-1)


class MedClip(nn.Module):
    def __init__(self, vision: VisionEncoder, text: TextEncoder, n_labels: int = 14):
        super().__init__()
        self.vision = vision
        self.text = text
        self.logit_scale = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT))
        # Auxiliary multi-label head on the image study embedding (training only, not exported): stands in for the
        # pretrained backbone MedCLIP starts from; see docs/model.md.
        self.label_head = nn.Linear(vision.projection.out_features, n_labels)

    def image_study_embedding(self, images: torch.Tensor) -> torch.Tensor:
        """images [B, 2, 1, S, S] (frontal, lateral) -> [B, 512]."""
        b = images.shape[0]
        _, emb = self.vision(images.flatten(0, 1))
        emb = emb.view(b, 2, -1)
        return study_embedding(emb[:, 0], emb[:, 1])

    def logits(self, images: torch.Tensor, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.logits_and_label_logits(images, token_ids, lengths)[0]

    def logits_and_label_logits(self, images: torch.Tensor, token_ids: torch.Tensor,
                                lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image-text logits [B, B] and the auxiliary head's label logits [B, n_labels] of the image embeddings."""
        img = self.image_study_embedding(images)
        txt = self.text(token_ids, lengths)
        scale = self.logit_scale.clamp(max=LOGIT_SCALE_MAX).exp()
        return scale * img @ txt.t(), self.label_head(img)


def semantic_matching_loss(logits_per_image: torch.Tensor, image_labels: torch.Tensor,
                           text_labels: torch.Tensor) -> torch.Tensor:
    """MedCLIP's loss: soft targets softmax(label_img @ label_txt^T), soft cross-entropy in both directions, averaged."""
    label_sim = image_labels @ text_labels.t()
    target_i2t = F.softmax(label_sim, dim=1)
    target_t2i = F.softmax(label_sim.t(), dim=1)
    loss_i2t = -(target_i2t * F.log_softmax(logits_per_image, dim=1)).sum(1).mean()
    loss_t2i = -(target_t2i * F.log_softmax(logits_per_image.t(), dim=1)).sum(1).mean()
    return (loss_i2t + loss_t2i) / 2


def label_vector(labels: list[int | None]) -> list[float]:
    """CheXpert values to the label vector: positive (1) and uncertain (-1) count as present (U-Ones), else 0."""
    return [1.0 if v in (1, -1) else 0.0 for v in labels]


# -------------------------------------------------------------------------------------------------------- generator


@dataclass(frozen=True)
class GeneratorConfig:
    vocab_size: int
    patch_dim: int
    n_patches: int  # tokens of both views together
    d_model: int = 512
    heads: int = 8
    d_ff: int = 512
    encoder_layers: int = 3
    decoder_layers: int = 3
    dropout: float = 0.1
    use_retrieval: bool = True
    max_positions: int = 128
    # Diagnosis-driven generation (issue 14.3, training/prompted.py): one prompt token per decided finding,
    # E[2k + decision_k], appended to the fused encoder memory; "both" also adds a label embedding (the mean prompt
    # vector through a zero-initialised linear map) to every decoder input embedding. 0 = no prompts.
    prompt_findings: int = 0
    prompt_conditioning: str = "both"


@contextlib.contextmanager
def single_query_broadcast_attention():
    """Within the block, one-query attention steps use the broadcast form (see MultiHeadAttention)."""
    MultiHeadAttention.broadcast_single_query = True
    try:
        yield
    finally:
        MultiHeadAttention.broadcast_single_query = False


class MultiHeadAttention(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        assert d % heads == 0
        self.heads = heads
        self.dh = d // heads
        self.d = d
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1, self.heads, self.dh).transpose(1, 2)  # [B, H, T, Dh]

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split(self.k(x)), self.split(self.v(x))

    # Set by single_query_broadcast_attention() (sampling in the SCST stage): one-query attention as broadcast
    # multiply-and-sum instead of a batched matmul, which PyTorch's CPU runs as one tiny GEMM per (row, head) --
    # about 5x faster decoding steps for 80 rows. Never set for beam search, evaluation or ONNX export.
    broadcast_single_query = False

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep: torch.Tensor | None = None):
        """x [B,T,d] queries; k, v [B or 1, H, S, Dh]; keep: bool mask broadcastable to [B, H, T, S]."""
        q = self.split(self.q(x)) * (1.0 / math.sqrt(self.dh))
        broadcast = MultiHeadAttention.broadcast_single_query and x.shape[1] == 1
        scores = (q * k).sum(-1, keepdim=True).transpose(-1, -2) if broadcast else torch.matmul(q, k.transpose(-1, -2))
        if keep is not None:
            scores = scores.masked_fill(~keep, -1e9)
        attn = self.drop(F.softmax(scores, dim=-1))
        if broadcast:
            out = (attn.transpose(-1, -2) * v).sum(-2, keepdim=True).transpose(1, 2)
        else:
            out = torch.matmul(attn, v).transpose(1, 2)
        return self.o(out.reshape(out.shape[0], -1, self.d))

    def forward(self, x: torch.Tensor, source: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        k, v = self.keys_values(source)
        return self.attend(x, k, v, keep)


class FeedForward(nn.Module):
    def __init__(self, d: int, d_ff: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class FusionEncoderLayer(nn.Module):
    """F = SelfAtt(I) + W * CrossAtt(I, R); I' = LN(I + Dropout(F)); out = LN(I' + Dropout(FFN(I'))).

    Without retrieval (ablations) the cross-attention term is absent and this is a standard post-norm layer.
    """

    def __init__(self, cfg: GeneratorConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.use_retrieval = cfg.use_retrieval
        if cfg.use_retrieval:
            self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
            self.fusion_weight = nn.Parameter(torch.ones(1))
        self.ffn = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, r: torch.Tensor | None, r_keep: torch.Tensor | None) -> torch.Tensor:
        f = self.self_attn(x, x)
        if self.use_retrieval:
            f = f + self.fusion_weight * self.cross_attn(x, r, r_keep)
        x = self.norm1(x + self.drop(f))
        return self.norm2(x + self.drop(self.ffn(x)))


class DecoderLayer(nn.Module):
    """Standard post-norm Transformer decoder layer with an explicit cached single-token step."""

    def __init__(self, cfg: GeneratorConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.norm3 = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, y, causal_keep, cross_k, cross_v, cross_keep=None):
        k, v = self.self_attn.keys_values(y)
        y = self.norm1(y + self.drop(self.self_attn.attend(y, k, v, causal_keep)))
        y = self.norm2(y + self.drop(self.cross_attn.attend(y, cross_k, cross_v, cross_keep)))
        return self.norm3(y + self.drop(self.ffn(y)))

    def step(self, y, past_k, past_v, cross_k, cross_v, cross_keep=None):
        """cross_keep: an optional mask of the source (the impression model's padded source; None attends all)."""
        k, v = self.self_attn.keys_values(y)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        y = self.norm1(y + self.self_attn.attend(y, k, v))
        y = self.norm2(y + self.cross_attn.attend(y, cross_k, cross_v, cross_keep))
        return self.norm3(y + self.ffn(y)), k, v


class ReportGenerator(nn.Module):
    """Patch tokens of both views (stacked along the token axis, R2Gen style) -> report token log-probabilities."""

    def __init__(self, cfg: GeneratorConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.patch_embed = nn.Sequential(nn.Linear(cfg.patch_dim, d), nn.ReLU(), nn.Dropout(cfg.dropout))
        self.patch_position = nn.Parameter(torch.randn(1, cfg.n_patches, d) * 0.02)
        self.token_embed = nn.Embedding(cfg.vocab_size, d)
        self.register_buffer("pe", sinusoid_table(cfg.max_positions, d), persistent=False)
        self.embed_drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList([FusionEncoderLayer(cfg) for _ in range(cfg.encoder_layers)])
        self.decoder = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.decoder_layers)])
        self.out = nn.Linear(d, cfg.vocab_size)
        if cfg.prompt_findings:
            assert cfg.prompt_conditioning in ("memory", "both"), cfg.prompt_conditioning
            # N(0, 1) like the token embeddings before their sqrt(d) scale: on the fused memory's scale, so that the
            # decoder's cross-attention notices them from the first step (std 0.02 left them unread: one modal draft).
            self.prompt_embed = nn.Embedding(2 * cfg.prompt_findings, d)
            if cfg.prompt_conditioning == "both":
                self.label_proj = nn.Linear(d, d)
                nn.init.zeros_(self.label_proj.weight)
                nn.init.zeros_(self.label_proj.bias)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.token_embed(ids) * math.sqrt(self.cfg.d_model) + self.pe[: ids.shape[1]]
        return self.embed_drop(x)

    def prompt_tokens(self, decisions: torch.Tensor) -> torch.Tensor:
        """decisions [B, K] long 0/1 -> the K prompt tokens [B, K, d] (E[2k + decision_k])."""
        k = self.cfg.prompt_findings
        idx = torch.arange(k, device=decisions.device)[None, :] * 2 + decisions
        return self.prompt_embed(idx)

    def label_bias(self, decisions: torch.Tensor | None) -> torch.Tensor | None:
        """[B, d] added to every decoder input embedding ("both" conditioning), else None."""
        if not self.cfg.prompt_findings or self.cfg.prompt_conditioning != "both":
            return None
        return self.label_proj(self.prompt_tokens(decisions).mean(1))

    def encode(self, patch_tokens: torch.Tensor, retrieved_ids: torch.Tensor | None,
               decisions: torch.Tensor | None = None) -> torch.Tensor:
        """patch_tokens [B, M, C]; retrieved_ids [B, L] = a train report's token_ids ([0] + ids + [0], 0-padded);
        decisions [B, K] (prompted generators only): the diagnosis decisions, whose prompt tokens follow the fused
        memory F = I_I + W * I_R.

        Position 0 (the start id) is always attended; later zeros (end and padding) are masked.
        """
        x = self.embed_drop(self.patch_embed(patch_tokens) + self.patch_position)
        r = r_keep = None
        if self.cfg.use_retrieval:
            assert retrieved_ids is not None
            r = self.embed_tokens(retrieved_ids)
            first = torch.arange(retrieved_ids.shape[1], device=retrieved_ids.device)[None, :] == 0
            r_keep = ((retrieved_ids != 0) | first)[:, None, None, :]
        for layer in self.encoder:
            x = layer(x, r, r_keep)
        if self.cfg.prompt_findings:
            assert decisions is not None, "a prompted generator needs the finding decisions"
            x = torch.cat([x, self.prompt_tokens(decisions)], 1)
        return x

    def cross_keys_values(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per decoder layer cross-attention keys and values: each [layers, B, H, M, Dh]."""
        ks, vs = [], []
        for layer in self.decoder:
            k, v = layer.cross_attn.keys_values(memory)
            ks.append(k)
            vs.append(v)
        return torch.stack(ks), torch.stack(vs)

    def forward(self, patch_tokens, retrieved_ids, input_ids, decisions=None) -> torch.Tensor:
        """Teacher forcing: input_ids [B, T] (starts with 0) -> logits [B, T, V]."""
        memory = self.encode(patch_tokens, retrieved_ids, decisions)
        t = input_ids.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=input_ids.device).tril()[None, None]
        y = self.embed_tokens(input_ids)
        bias = self.label_bias(decisions)
        if bias is not None:
            y = y + bias[:, None, :]
        for layer in self.decoder:
            k, v = layer.cross_attn.keys_values(memory)
            y = layer(y, causal, k, v)
        return self.out(y)

    def step(self, input_ids, beam_origin, past_keys, past_values, cross_keys, cross_values, label_bias=None):
        """One decoding step for B rows.

        input_ids [B, 1] the previous token of each row; beam_origin [B] which row of the past cache each row
        continues; past_keys/values [layers, B', H, T, Dh]; cross_keys/values [layers, 1 or B, H, M, Dh];
        label_bias [1 or B, d] ("both"-prompted generators: label_bias(decisions) of each row's study).
        Returns log_probs [B, V] and present_keys/values [layers, B, H, T + 1, Dh].
        """
        if beam_origin is not None:  # None (Python callers only): every row continues its own row of the cache
            past_keys = past_keys.index_select(1, beam_origin)
            past_values = past_values.index_select(1, beam_origin)
        position = torch._shape_as_tensor(past_keys)[3:4]
        y = self.token_embed(input_ids) * math.sqrt(self.cfg.d_model) + self.pe.index_select(0, position)
        if label_bias is not None:
            y = y + label_bias[:, None, :]
        ks, vs = [], []
        for i, layer in enumerate(self.decoder):
            y, k, v = layer.step(y, past_keys[i], past_values[i], cross_keys[i], cross_values[i])
            ks.append(k)
            vs.append(v)
        log_probs = F.log_softmax(self.out(y[:, 0]), dim=-1)
        return log_probs, torch.stack(ks), torch.stack(vs)

    def empty_cache(self, rows: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.cfg
        shape = (c.decoder_layers, rows, c.heads, 0, c.d_model // c.heads)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


class ReportModel(nn.Module):
    """Vision encoder + generator, the unit trained in the generator stage."""

    def __init__(self, vision: VisionEncoder, generator: ReportGenerator):
        super().__init__()
        self.vision = vision
        self.generator = generator

    def patch_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """images [B, 2, 1, S, S] -> [B, 2P, C]: frontal tokens then lateral tokens."""
        b = images.shape[0]
        tokens, _ = self.vision(images.flatten(0, 1))
        return tokens.reshape(b, 2 * tokens.shape[1], tokens.shape[2])

"""The denoiser: a bidirectional LLaDA-style transformer (RMSNorm, SwiGLU, rotary positions,
no causal mask, tied input/output embeddings). No time input (MDLM/RADD: the optimal
denoiser is time-independent). The mask token's logit is pinned to a very negative value,
so the mask is never predicted (SUBS parameterisation, the rest is done by the engine).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_LOGIT = -1.0e4


@dataclass
class ModelConfig:
    vocab_size: int = 8192
    d_model: int = 256
    n_layers: int = 6
    n_heads: int = 4
    ffn_hidden: int = 688
    max_length: int = 256
    mask_id: int = 3
    rope_base: float = 10000.0

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim: int, max_length: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    ang = torch.outer(torch.arange(max_length, dtype=torch.float32), inv)  # [T, hd/2]
    ang = torch.cat([ang, ang], dim=-1)  # [T, hd]
    return ang.cos(), ang.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.head_dim = cfg.d_model // cfg.n_heads
        self.attn_norm = RMSNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.out = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.ffn_norm = RMSNorm(cfg.d_model)
        self.w_gate = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w_up = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w_down = nn.Linear(cfg.ffn_hidden, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        qkv = self.qkv(self.attn_norm(x)).view(b, t, 3, self.n_heads, self.head_dim)
        q = qkv[:, :, 0].transpose(1, 2)  # each [b, h, t, hd]
        k = qkv[:, :, 1].transpose(1, 2)
        v = qkv[:, :, 2].transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        y = torch.matmul(att.softmax(dim=-1), v)
        x = x + self.out(y.transpose(1, 2).reshape(b, t, d))
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Denoiser(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model)
        cos, sin = rope_tables(cfg.d_model // cfg.n_heads, cfg.max_length, cfg.rope_base)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        bias = torch.zeros(cfg.vocab_size)
        bias[cfg.mask_id] = MASK_LOGIT
        self.register_buffer("logit_bias", bias, persistent=False)
        self.apply(self._init)
        for blk in self.blocks:  # scaled init of residual projections
            nn.init.normal_(blk.out.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))
            nn.init.normal_(blk.w_down.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def hidden(self, input_ids: torch.Tensor) -> torch.Tensor:
        t = input_ids.shape[1]
        cos = self.rope_cos[:t]
        sin = self.rope_sin[:t]
        x = self.embed(input_ids)
        for blk in self.blocks:
            x = blk(x, cos, sin)
        return self.norm(x)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        """Tied output projection plus the mask-token bias."""
        return torch.matmul(h, self.embed.weight.t()) + self.logit_bias

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.project(self.hidden(input_ids))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

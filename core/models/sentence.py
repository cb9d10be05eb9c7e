"""The sentence's networks in the multimodal VAE (``core.models.multimodal``).

The descriptions of ``core.data.descriptions`` over their fixed vocabulary are read by word
embeddings averaged over the sentence (a GRU read them no better, docs/recipes.md) into a
Gaussian expert q(z|t), and written slot by slot: a categorical over the digit words and one
over each attribute's three words. A slot the sentence leaves unspecified carries no
likelihood.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.data import descriptions as text
from core.models.experts import Gaussian

EMBEDDING = 32  # width of a word's embedding
SLOT_SIZES = tuple(len(text.SLOT_WORDS[s]) for s in text.SLOTS)  # (10, 3, 3, 3)


class TextEncoder(nn.Module):
    """token ids [N, L] (0 = padding) -> (Gaussian expert [N, k], has words float [N])."""

    def __init__(self, latent_dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(text.VOCABULARY) + 1, EMBEDDING, padding_idx=0)
        self.net = nn.Sequential(nn.Linear(EMBEDDING, hidden), nn.LeakyReLU(0.2))
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)

    def forward(self, tokens: torch.Tensor) -> tuple[Gaussian, torch.Tensor]:
        words = (tokens > 0).float()  # [N, L]
        count = words.sum(1)  # [N]
        e = self.embed(tokens)  # state size. N x L x E
        mean = (e * words[..., None]).sum(1) / count.clamp(min=1)[:, None]  # state size. N x E
        h = self.net(mean)  # state size. N x hidden
        return Gaussian(self.to_mu(h), self.to_logvar(h)), (count > 0).float()


class TextDecoder(nn.Module):
    """z [N, k] -> logits of each slot's word: [N, 10], [N, 3], [N, 3], [N, 3]."""

    def __init__(self, latent_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU())  # state size. hidden
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for n in SLOT_SIZES)

    def forward(self, z: torch.Tensor) -> list[torch.Tensor]:
        h = self.net(z)
        return [head(h) for head in self.heads]


def sentence_nll(logits: list[torch.Tensor], slots: torch.Tensor) -> torch.Tensor:
    """-log p(t | z) of each sentence, nats [N]: the cross-entropy of each slot it says,
    summed (UNSPECIFIED slots skipped)."""
    total = torch.zeros(len(slots), device=slots.device)
    for s, slot_logits in enumerate(logits):
        target = slots[:, s]
        nll = F.cross_entropy(slot_logits.float(), target.clamp(min=0), reduction="none")
        total = total + nll * (target != text.UNSPECIFIED)
    return total

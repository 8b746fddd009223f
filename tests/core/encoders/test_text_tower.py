from __future__ import annotations

import open_clip
import pytest
import torch

from core.encoders.text_tower import can_trim, encode_text_trimmed, used_length
from tests.conftest import TinyClip


@pytest.fixture(scope="module")
def tiny_model(tiny_clip: TinyClip) -> torch.nn.Module:
    open_clip.add_model_config(tiny_clip.config_path)
    model = open_clip.create_model(tiny_clip.model_name, pretrained=str(tiny_clip.weights_path))
    return model.eval()


def test_trimmed_text_tower_matches_the_padded_one(
    tiny_model: torch.nn.Module, tiny_clip: TinyClip
) -> None:
    tokenizer = open_clip.get_tokenizer(tiny_clip.model_name)
    tokens = tokenizer(["a cat", "a dog on the beach at sunset", ""])
    assert can_trim(tiny_model)
    assert used_length(tokens, tiny_model) < tokens.shape[1]
    with torch.inference_mode():
        full = tiny_model.encode_text(tokens, normalize=True)
        trimmed = encode_text_trimmed(tiny_model, tokens)
    torch.testing.assert_close(trimmed, full, atol=1e-5, rtol=1e-5)


def test_text_filling_the_whole_context_is_not_cut(
    tiny_model: torch.nn.Module, tiny_clip: TinyClip
) -> None:
    tokenizer = open_clip.get_tokenizer(tiny_clip.model_name)
    tokens = tokenizer(["word " * 100])
    assert used_length(tokens, tiny_model) == tokens.shape[1]
    with torch.inference_mode():
        torch.testing.assert_close(
            encode_text_trimmed(tiny_model, tokens), tiny_model.encode_text(tokens, normalize=True)
        )


def test_models_without_a_causal_mask_use_the_standard_path() -> None:
    class Plain(torch.nn.Module):
        def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
            return torch.ones(len(tokens), 3)

    model = Plain()
    assert not can_trim(model)
    assert encode_text_trimmed(model, torch.zeros(2, 5, dtype=torch.long)).shape == (2, 3)

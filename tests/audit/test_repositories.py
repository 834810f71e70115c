"""repositories.py: which upstream a Makefile pin follows, read from its neighbouring variables."""

from __future__ import annotations

import hashlib

import pytest

from bumper.audit.repositories import sibling_repository

OLD = hashlib.sha1(b"old").hexdigest()


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "LLAMA_REPO?=https://github.com/ggml-org/llama.cpp\n",
            "https://github.com/ggml-org/llama.cpp",
        ),
        (
            "LLAMA_REPOSITORY = git@github.com:ggml-org/llama.cpp.git\n",
            "git@github.com:ggml-org/llama.cpp.git",
        ),
        ("LLAMA_URL := https://example.org/llama.git # mirror\n", "https://example.org/llama.git"),
        ("LLAMA_REPO = $(GITHUB)/llama.cpp\n", None),
        ("IK_LLAMA_REPO = https://github.com/ikawrakow/ik_llama.cpp\n", None),
        ("LLAMA_REPO = https://a.example/x\nLLAMA_REPO = https://b.example/x\n", None),
        ("", None),
    ],
)
def test_sibling_repository(text: str, url: str | None) -> None:
    assert sibling_repository(f"LLAMA_VERSION ?= {OLD}\n{text}", "LLAMA_VERSION") == url


def test_sibling_repository_of_a_commit_variable() -> None:
    text = f"whisper_commit = {OLD}\nwhisper_git = https://github.com/ggml-org/whisper.cpp\n"
    assert sibling_repository(text, "whisper_commit") == "https://github.com/ggml-org/whisper.cpp"

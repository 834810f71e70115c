"""A token pasted anywhere in the config is refused at its line, and never shown back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.cli import main

TOKENS = {
    "classic": "ghp_" + "Q7w8E9r0" * 4 + "Tz12",
    "fine-grained": "github_pat_11ABCDEFG0" + "xY9_" * 20,
    "installation": "ghs_" + "m4N5b6V7" * 4 + "Lk34",
}
GOOD_ROW = (
    "  - repository: ggml-org/llama.cpp\n"
    "    variable: LLAMA_VERSION\n"
    "    branch: master\n"
    "    file: backend/cpp/llama/Makefile\n"
)

# (id, config text with {token} where the token goes, line, field path)
PLACES = [
    ("target.repository", "target:\n  repository: {token}\nmatrix: []\n", 2, "target.repository"),
    ("schedule.timezone", "schedule:\n  timezone: {token}\nmatrix: []\n", 2, "schedule.timezone"),
    (
        "app_private_key",
        "github:\n  app_id: 1\n  app_private_key: {token}\nmatrix: []\n",
        3,
        "github.app_private_key",
    ),
    ("x-key", "x-common:\n  auth: {token}\nmatrix: []\n", 2, "x-common.auth"),
    ("x-key-in-list", "x-tokens:\n  - fine\n  - {token}\nmatrix: []\n", 3, "x-tokens[1]"),
    ("hold", "matrix:\n" + GOOD_ROW + '    hold: "use {token} to see #12"\n', 6, "matrix[0].hold"),
    ("pr.body", 'pr:\n  body: "Bumped with {token}"\nmatrix: []\n', 2, "pr.body"),
    ("pr.branch-hint", "pr:\n  brnach: {token}\nmatrix: []\n", 2, "pr.brnach"),
    (
        "matrix-row-repository",
        "matrix:\n"
        + GOOD_ROW
        + "  - repository: https://{token}@github.com/a/b\n"
        + "    variable: B_VERSION\n    branch: main\n    file: Makefile\n",
        6,
        "matrix[1].repository",
    ),
    ("key-itself", "x-notes:\n  {token}: 1\nmatrix: []\n", 2, "x-notes"),
]


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str, str]:
    path = tmp_path / "bumper.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(["run-once", "--config", str(path), "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind", sorted(TOKENS))
@pytest.mark.parametrize(
    ("text", "line", "field"), [p[1:] for p in PLACES], ids=[p[0] for p in PLACES]
)
def test_a_token_anywhere_in_the_config_is_refused_and_never_echoed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    text: str,
    line: int,
    field: str,
) -> None:
    token = TOKENS[kind]
    code, out, err = _run(tmp_path, capsys, text.format(token=token))
    assert code == 2
    assert f"bumper.yaml:{line}: {field}: looks like a token;" in err
    for shown in (token, token[:24], token[-12:]):
        assert shown not in out + err


def test_every_token_in_the_file_is_reported_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = TOKENS["classic"], TOKENS["installation"]
    text = f"target:\n  repository: {a}\npr:\n  body: {b}\nmatrix: []\n"
    code, out, err = _run(tmp_path, capsys, text)
    assert code == 2
    assert "bumper.yaml:2: target.repository: looks like a token;" in err
    assert "bumper.yaml:4: pr.body: looks like a token;" in err
    assert a not in out + err and b not in out + err


def test_ordinary_values_that_merely_mention_tokens_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        'pr:\n  body: "Set GITHUB_TOKEN (ghp_...) in the job; see ghs_ docs"\n'
        "matrix:\n" + GOOD_ROW + '    hold: "pinned at 0123456789abcdef0123456789abcdef01234567"\n'
    )
    path = tmp_path / "bumper.yaml"
    path.write_text(text, encoding="utf-8")
    from bumper.config import load_config

    config = load_config(path, tmp_path)
    assert config.matrix[0].hold is not None


@pytest.mark.parametrize(
    "spelled",
    [
        # an escape spells a character of the token (\x51 is Q): the text never holds it
        '"ghp_\\x517w8E9r0' + "Q7w8E9r0" * 3 + 'Tz12"',
        '"ghp_\\u00517w8E9r0' + "Q7w8E9r0" * 3 + 'Tz12"',
        # an escaped line break joins the token's halves without a space
        '"ghp_Q7w8E9r0Q7w8\\\n  E9r0Q7w8E9r0Q7w8E9r0Tz12"',
    ],
    ids=["hex-escape", "unicode-escape", "escaped-line-break"],
)
def test_a_token_spelled_with_escapes_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelled: str
) -> None:
    code, out, err = _run(tmp_path, capsys, f"pr:\n  body: {spelled}\nmatrix: []\n")
    assert code == 2
    assert "bumper.yaml:2: pr.body: looks like a token;" in err
    assert TOKENS["classic"] not in out + err

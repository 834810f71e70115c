"""What each shell command pins: assignments, git checkouts and clones, `go install`, args.

`scan_shell_text` lexes shell text (a script, a RUN, a recipe, a run: step) and records its
facts; scripts run by `bash -c` or fed to a shell as a here-doc are read as shell too.
"""

from __future__ import annotations

import re

from bumper.audit.repositories import go_module_repository, looks_like_url
from bumper.audit.scanners.base import SHELLS, Hit, Lines, is_rev, plausible_commit_variable
from bumper.audit.scanners.facts import Assign, Facts, GitUse, Remote
from bumper.audit.scanners.gomod import GO_PSEUDO
from bumper.audit.scanners.urls import VCS_URL, archive_hits
from bumper.model import is_sha
from bumper.shell_lexer import DEFAULT, Command, Word, commands, var_names

_ASSIGN_WORD = re.compile(r"\A([A-Za-z_][A-Za-z0-9_]*)(\+?)=(.*)\Z", re.S)
_PREFIXES = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "time"}
_PREFIXES |= {"exec", "nohup", "command", "builtin", "eval"}
_WRAPPERS = {"timeout", "nice", "ionice", "stdbuf", "chronic", "unbuffer"}
_PASSES_VARIABLES = {"make", "gmake", "cmake", "docker", "podman", "buildah", "nerdctl"}
_DECLARE = {"export", "local", "readonly", "declare", "typeset"}
_GIT_GLOBAL_WITH_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}
_GIT_REV_COMMANDS = {"checkout", "switch", "reset", "fetch", "pull", "worktree", "clone", "branch"}
_CLONE_WITH_VALUE = {"-b", "--branch", "--depth", "-o", "--origin", "--reference", "-c"}
_CLONE_WITH_VALUE |= {"--config", "--filter", "-j", "--jobs", "--template", "--separate-git-dir"}
_CLONE_WITH_VALUE |= {"--shallow-since", "--shallow-exclude", "-u", "--upload-pack", "--revision"}


def scan_shell_text(facts: Facts, text: str, base: int, lines: Lines) -> None:
    """Lex `text` (which starts at file offset `base`) and record what its commands pin."""
    for command in commands(text):
        _analyse_command(facts, command, text, base, lines)
        program = _program(command.words)
        if command.heredocs and program in SHELLS:
            for start, end in command.heredocs:
                scan_shell_text(facts, text[start:end], base + start, lines)


def _program(words: list[Word]) -> str:
    for word in words:
        if word.text in _PREFIXES or word.text == "sudo" or _ASSIGN_WORD.match(word.text):
            continue
        return word.text.rsplit("/", 1)[-1]
    return ""


def _analyse_command(facts: Facts, command: Command, text: str, base: int, lines: Lines) -> None:
    words = command.words
    i = 0
    # Leading keywords, `sudo -E`, `env A=b`, and assignments that prefix the command.
    while i < len(words):
        word = words[i].text
        if word in _PREFIXES:
            i += 1
        elif word == "sudo":
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 2 if words[i].text in ("-u", "-g") else 1
        elif word == "env":
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 1
        elif word in _DECLARE:
            i += 1
            while i < len(words) and (
                words[i].text.startswith("-")
                or _ASSIGN_WORD.match(words[i].text)
                or re.fullmatch(r"[A-Za-z_]\w*", words[i].text)
            ):
                _assignment(facts, words[i], base, lines)
                i += 1
        elif _ASSIGN_WORD.match(word):
            _assignment(facts, words[i], base, lines)
            i += 1
        elif word == ":" and i + 1 < len(words):
            for arg in words[i + 1 :]:
                match = DEFAULT.match(arg.text)
                if match and match[2].endswith("="):
                    _default_assignment(facts, match[1], match[3], arg, base, lines)
            return
        else:
            break
    rest = words[i:]
    for each in words:
        url_hits(facts, each, base, lines)
    if not rest:
        return
    program = rest[0].text.rsplit("/", 1)[-1]
    while program in _WRAPPERS and len(rest) > 1:  # timeout 60 git ..., nice -n 5 git ...
        rest = rest[1:]
        while len(rest) > 1 and (rest[0].text.startswith("-") or rest[0].text[:1].isdigit()):
            rest = rest[1:]
        program = rest[0].text.rsplit("/", 1)[-1]
    for index, shell in enumerate(rest):
        # `bash -c "git clone ... && git checkout <sha>"`, also as `docker run img sh -ec ...`
        if shell.text.rsplit("/", 1)[-1] not in SHELLS:
            continue
        for flag, script in zip(rest[index + 1 :], rest[index + 2 :], strict=False):
            if not re.fullmatch(r"-[a-z]+", flag.text):
                break
            if flag.text.endswith("c"):
                scan_shell_text(facts, script.text, base + script.start + 1, lines)
                return
    if program == "git":
        _git_command(facts, rest, base, lines)
    elif program == "go" and len(rest) > 1 and rest[1].text in ("install", "get", "run"):
        _go_command(facts, rest, base, lines)
    elif program in _PASSES_VARIABLES:
        _argument_pins(facts, rest[1:], base, lines)


def _assignment(facts: Facts, word: Word, base: int, lines: Lines) -> None:
    match = _ASSIGN_WORD.match(word.text)
    if not match or match[2]:
        return
    name, value = match[1], match[3]
    default = DEFAULT.match(value)
    if default:
        _default_assignment(facts, name, default[3], word, base, lines)
        return
    facts.assigns.append(Assign(name, value, lines.line(base + word.start), "shell-assign"))


def _default_assignment(
    facts: Facts, name: str, value: str, word: Word, base: int, lines: Lines
) -> None:
    value = value.strip().strip("\"'")
    facts.assigns.append(
        Assign(name, value, lines.line(base + word.start), "shell-default", default=True)
    )


def _git_command(facts: Facts, words: list[Word], base: int, lines: Lines) -> None:
    i = 1
    while i < len(words) and words[i].text.startswith("-"):
        option = words[i].text
        i += 2 if option in _GIT_GLOBAL_WITH_VALUE else 1
    if i >= len(words):
        return
    sub = words[i].text
    args = words[i + 1 :]
    if sub == "clone":
        _git_clone(facts, words[i], args, base, lines)
        return
    if sub == "remote" and len(args) >= 3 and args[0].text in ("add", "set-url"):
        facts.remotes.append(Remote(base + words[i].start, args[-1].text, None))
        return
    if sub == "submodule" and args and args[0].text == "add":
        urls = [a.text for a in args[1:] if not a.text.startswith("-")]
        if urls:
            facts.remotes.append(Remote(base + words[i].start, urls[0], None))
        return
    if sub not in _GIT_REV_COMMANDS:
        return
    url = next((a.text for a in args if looks_like_url(a.text) or _var_is_url(facts, a.text)), None)
    if url is not None and sub in ("fetch", "pull"):
        facts.remotes.append(Remote(base + words[i].start, url, None))
    for arg in args:
        token = arg.text
        if token.startswith("-") and "=" not in token:
            continue
        token = token.split("=", 1)[1] if token.startswith("-") else token
        if is_rev(token, short=True):
            facts.uses.append(
                GitUse(lines.line(base + arg.start), base + arg.start, sub, token, (), url)
            )
        elif names := var_names(token):
            facts.uses.append(
                GitUse(lines.line(base + arg.start), base + arg.start, sub, None, names, url)
            )


def _var_is_url(facts: Facts, word: str) -> bool:
    names = var_names(word)
    return bool(names) and any(
        a.name == names[0] and looks_like_url(a.value) for a in facts.assigns
    )


def _git_clone(facts: Facts, clone: Word, args: list[Word], base: int, lines: Lines) -> None:
    branch: str | None = None
    revision: Word | None = None
    positional: list[Word] = []
    i = 0
    while i < len(args):
        token = args[i].text
        if token in _CLONE_WITH_VALUE and i + 1 < len(args):
            if token in ("-b", "--branch"):
                branch = args[i + 1].text
            if token == "--revision":
                revision = args[i + 1]
            i += 2
            continue
        if token.startswith("--branch="):
            branch = token.split("=", 1)[1]
        elif token.startswith("--revision="):
            revision = Word(token.split("=", 1)[1], args[i].start)
        elif not token.startswith("-"):
            positional.append(args[i])
        i += 1
    if not positional:
        return
    url = positional[0].text
    facts.remotes.append(Remote(base + clone.start, url, branch))
    if revision is not None:
        line = lines.line(base + revision.start)
        if is_rev(revision.text, short=True):
            facts.uses.append(
                GitUse(line, base + revision.start, "clone", revision.text, (), url, branch)
            )
        elif names := var_names(revision.text):
            facts.uses.append(
                GitUse(line, base + revision.start, "clone", None, names, url, branch)
            )


def _go_command(facts: Facts, words: list[Word], base: int, lines: Lines) -> None:
    for arg in words[2:]:
        module, _, version = arg.text.rpartition("@")
        if not module:
            continue
        pseudo = GO_PSEUDO.fullmatch(version)
        rev = pseudo["rev"] if pseudo else version
        if is_rev(rev, short=True):
            repo = go_module_repository(module)
            facts.hits.append(
                Hit(
                    lines.line(base + arg.start),
                    "go-install",
                    rev,
                    None,
                    repo,
                    detail=f"`go {words[1].text} {module}@<sha>`",
                )
            )


def _argument_pins(facts: Facts, args: list[Word], base: int, lines: Lines) -> None:
    """`make LLAMA_VERSION=<sha>`, `--build-arg X=<sha>`, `cmake -DX_COMMIT=<sha>`."""
    for arg in args:
        match = re.fullmatch(r"(?:-D)?([A-Za-z_][A-Za-z0-9_]*)(?::\w+)?=(\S+)", arg.text)
        if match and is_sha(match[2]) and plausible_commit_variable(match[1], match[2]):
            facts.assigns.append(
                Assign(match[1], match[2], lines.line(base + arg.start), "command-arg")
            )


def url_hits(facts: Facts, word: Word, base: int, lines: Lines) -> None:
    text = word.text
    if "git+" in text:
        for match in VCS_URL.finditer(text):
            if is_rev(match["rev"], short=True):
                facts.hits.append(
                    Hit(
                        lines.line(base + word.start),
                        "pip-git",
                        match["rev"],
                        None,
                        match["url"],
                        detail=f"`git+{match['url']}@<sha>`",
                    )
                )
    if "github" in text:
        for hit in archive_hits(text, lines.line(base + word.start)):
            facts.hits.append(hit)

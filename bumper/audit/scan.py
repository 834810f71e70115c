"""Find commit pins outside Makefile variables: text in, hits out. Pure; no I/O.

A pin is a commit sha in a place that decides what gets built: an assignment, a git command,
a package spec, a build-system declaration. A sha merely mentioned (a comment, prose, an echo)
is not one, so every extractor needs that context and none looks for bare 40-hex strings.
Makefile variable pins (`VAR?=<sha>`) belong to bumper.pins; here a Makefile only contributes
the shell in its recipes and URLs that embed a sha.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bumper import pins as makefile_pins
from bumper.audit import repositories
from bumper.audit.repositories import looks_like_url

MANAGED = "Dependabot/Renovate"

# A sha as a whole token: full (40 or 64 hex) anywhere, abbreviated (7+) only where the context
# makes it a revision (a git command, a package reference), and then with a digit in it.
_FULL = r"[0-9a-f]{40}(?:[0-9a-f]{24})?"
_ANY = r"[0-9a-f]{7,64}"
_FULL_RE = re.compile(rf"\A{_FULL}\Z")
_ANY_RE = re.compile(rf"\A{_ANY}\Z")
_Q = "[\"']"  # either quote, in patterns below
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{7,64}(?![0-9A-Za-z])")

# Names that hold checksums, digests or secrets: 40 and 64 hex digits there are not commits.
_NOT_COMMIT = re.compile(
    r"SHA(?:224|256|384|512)|SHA1?SUM|CHECKSUM|DIGEST|(?:^|_)SUMS?(?:_|$)|MD5|INTEGRITY|"
    r"TOKEN|SECRET|PASSW|(?:^|_)(?:API_?)?KEY(?:_|$)|SALT|NONCE|UUID|FINGERPRINT|GPG|SIGNATURE|"
    r"(?:^|_)ID(?:_|$)|HMAC|NODE_ID|CERT",
    re.IGNORECASE,
)
_GIT_HINT = re.compile(r"COMMIT|REVISION|(?:^|_)REV(?:_|$)|GIT|(?:^|_)REF(?:_|$)", re.I)
_CHECKSUM_TOOL = re.compile(
    r"\b(?:sha\d*sum|shasum|md5sum|b2sum|cksum|openssl\s+dgst|checksum)\b", re.I
)
_COMMIT_HINT = re.compile(r"COMMIT|REV|VERSION|REF|SHA(?!\d)|HASH|PIN|TAG|CHECKOUT", re.I)

_TEST_DIRS = {"test", "tests", "testdata", "test_data", "test-data", "fixtures", "fixture"}
_TEST_DIRS |= {"__fixtures__", "__tests__", "__snapshots__", "testfixtures"}
_SKIP_DIRS = {"node_modules", "vendor", "third_party", "third-party", "3rdparty", ".git"}
_LOCK_FILES = {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}
_LOCK_FILES |= {"Cargo.lock", "go.sum", "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock"}
_LOCK_FILES |= {"Gemfile.lock", "composer.lock", "flake.lock", "gradle.lockfile", "bun.lock"}
_SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}
# Constants every git user meets: the null sha (new or deleted refs in hooks), the empty tree
# (`git diff $EMPTY_TREE`) and the empty blob. Never something a build checks out.
NOT_PINS = {"0" * 40, "0" * 64, "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}
NOT_PINS |= {"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}


@dataclass(frozen=True, slots=True)
class Hit:
    """One pin found in one file. `line` is 1-based; `repository` is as written (a URL or o/n)."""

    line: int
    kind: str
    value: str
    variable: str | None = None
    repository: str | None = None
    branch: str | None = None  # when the text names one, e.g. `git clone -b main`
    managed_by: str | None = None  # another tool keeps it current; listed only with --all
    detail: str = ""  # the context that makes it a pin, for the report's message


# --- file kinds ------------------------------------------------------------------------------


def classify(path: str) -> str | None:
    """The extractor for a repository-relative path, or None when it holds no pins we read.

    Documentation, test data, vendored code and files of other languages are None: a sha there
    is prose or data, not something the build checks out.
    """
    parts = path.split("/")
    name = parts[-1]
    if not name:
        return None
    dirs = {part.lower() for part in parts[:-1]}
    if dirs & _SKIP_DIRS or dirs & _TEST_DIRS:
        return None
    lower = name.lower()
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot > 0 else ""
    if lower in ("makefile", "gnumakefile") or suffix in (".mk", ".make"):
        return "makefile"
    if lower.startswith("makefile.") and suffix not in (".md", ".txt", ".rst", ".am", ".in"):
        return "makefile"  # Makefile.common, Makefile.cuda (not automake templates)
    if name in _LOCK_FILES or lower.endswith(".lock"):
        return "lock"
    if name == "go.mod":
        return "gomod"
    if name == ".pre-commit-config.yaml":
        return "precommit"
    docs = (".md", ".txt", ".rst", ".adoc", ".html")
    if re.fullmatch(r"(?:docker|container)file(?:[._-][\w.-]*)?", lower) and suffix not in docs:
        return "dockerfile"
    if lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if suffix in (".sh", ".bash", ".zsh", ".ksh"):
        return "shell"
    if lower == "cmakelists.txt" or suffix == ".cmake":
        return "cmake"
    if suffix in (".txt", ".in") and lower.startswith(("requirements", "constraints")):
        return "requirements"
    if lower.startswith("requirements") and suffix == ".txt":
        return "requirements"
    if "requirements" in dirs and suffix in (".txt", ".in"):
        return "requirements"
    if lower in ("pyproject.toml", "cargo.toml", "pipfile", "setup.cfg"):
        return "manifest"
    if suffix in (".yml", ".yaml"):
        if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
            return "workflow"
        if lower in ("action.yml", "action.yaml"):
            return "workflow"
    return None


def is_shell_script(head: str) -> bool:
    """Does a file without a telling name start with a shell shebang?"""
    if not head.startswith("#!"):
        return False
    words = head[2:].split("\n", 1)[0].split()
    if not words:
        return False
    program = PurePosixPath(words[0]).name
    if program == "env" and len(words) > 1:
        program = next((w for w in words[1:] if not w.startswith("-")), "")
    return program in _SHELLS


def scan(path: str, text: str, kind: str | None = None, *, managed: bool = False) -> list[Hit]:
    """Every pin in `text` (the content of `path`), in line order.

    Pins other tools keep current (go.mod pseudo-versions, lock files, `uses: o/n@sha`,
    submodules) are returned only when `managed` is true, with `managed_by` set.
    """
    kind = kind or classify(path)
    if kind is None:
        return []
    if kind in ("lock", "gomod", "precommit") and not managed:
        return []
    if not _CANDIDATE.search(text):
        return []
    hits = [h for h in _EXTRACTORS[kind](text, path) if h.value not in NOT_PINS]
    if not managed:
        hits = [hit for hit in hits if hit.managed_by is None]
    return _dedupe(hits)


def _dedupe(hits: Iterable[Hit]) -> list[Hit]:
    seen: dict[tuple[int, str], Hit] = {}
    for hit in hits:
        key = (hit.line, hit.value)
        if key not in seen:
            seen[key] = hit
    return sorted(seen.values(), key=lambda h: (h.line, h.value))


# --- shas and names ---------------------------------------------------------------------------


def _is_rev(value: str, *, short: bool) -> bool:
    """A sha token: full always; abbreviated (>= 7) only when allowed and it holds a digit."""
    if _FULL_RE.match(value):
        return True
    return short and bool(_ANY_RE.match(value)) and any(c.isdigit() for c in value)


def plausible_commit_variable(name: str, value: str) -> bool:
    """Could `name=value` be a commit pin rather than a checksum, digest or secret?"""
    if _NOT_COMMIT.search(name):
        return False
    if len(value) == 40:
        return True
    # 64 hex digits are nearly always a SHA-256 checksum; a sha256 git object needs a telling name.
    return bool(_GIT_HINT.search(name))


# --- facts gathered from shell-like text, resolved into hits at the end of a file -------------


@dataclass(slots=True)
class _Assign:
    name: str
    value: str  # the sha, or a URL / other text for the variable table
    line: int
    kind: str  # shell-assign, shell-default, dockerfile-arg, ...
    default: bool = False  # ${NAME:-value}


@dataclass(slots=True)
class _GitUse:
    line: int
    offset: int  # position in the file, to find the nearest clone
    sub: str
    literal: str | None  # a sha written in the command
    variables: tuple[str, ...]  # variables used as the revision
    url: str | None  # a URL in the same command (git fetch URL sha, git clone --revision)
    branch: str | None = None


@dataclass(slots=True)
class _Remote:
    offset: int
    url: str  # raw, may reference a variable
    branch: str | None


@dataclass(slots=True)
class _Facts:
    path: str
    assigns: list[_Assign] = field(default_factory=list)
    uses: list[_GitUse] = field(default_factory=list)
    remotes: list[_Remote] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    where: str = "a shell script"  # for messages: "a Dockerfile RUN", "a workflow run: step"


# --- the shell lexer -------------------------------------------------------------------------


@dataclass(slots=True)
class _Word:
    text: str  # with quotes removed, expansions kept as written
    start: int  # offset in the scanned text


@dataclass(slots=True)
class _Command:
    words: list[_Word]
    heredocs: list[tuple[int, int]] = field(default_factory=list)  # body spans


_SEPARATORS = set(";&|()`")
_PLAIN = re.compile(r"[^ \t\r\n\\'\"$<;&|()`]+")  # characters that are just part of a word


class _Lexer:
    """Split shell text into simple commands of words, skipping comments and here-doc bodies.

    Quotes, `${...}` and `$(...)` nest; a `#` starts a comment only where a word could start.
    Enough of the POSIX rules to know what is code, which is all an extractor needs.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.commands: list[_Command] = []
        self.words: list[_Word] = []
        self.buf: list[str] = []
        self.word_start = -1
        self.pending: list[tuple[str, bool]] = []  # here-doc delimiters waiting for a newline
        self.heredoc_owner: _Command | None = None

    def run(self) -> list[_Command]:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r":
                self._end_word()
                self.pos += 1
            elif ch == "\n":
                self._end_command()
                self.pos += 1
                if self.pending:
                    self._read_heredocs()
            elif ch == "\\":
                if text.startswith("\n", self.pos + 1):
                    self.pos += 2  # line continuation
                elif text.startswith("\r\n", self.pos + 1):
                    self.pos += 3
                else:
                    self._add(text[self.pos + 1 : self.pos + 2])
                    self.pos += 2
            elif ch == "#" and self.word_start < 0:
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif ch == "'":
                end = text.find("'", self.pos + 1)
                end = n if end < 0 else end
                self._add(text[self.pos + 1 : end])
                self.pos = end + 1
            elif ch == '"':
                self._add(self._double_quoted())
            elif ch == "$" and text.startswith("'", self.pos + 1):
                end = self._ansi_c_end(self.pos + 2)
                self._add(text[self.pos + 2 : end])
                self.pos = end + 1
            elif ch == "$" and text.startswith(("{", "(("), self.pos + 1):
                end = self._balanced(self.pos + 1)
                self._add(text[self.pos : end])
                self.pos = end
            elif (
                ch == "<"
                and text.startswith("<<", self.pos)
                and not text.startswith("<<<", self.pos)
            ):
                self._here_doc_operator()
            elif ch in _SEPARATORS:
                self._end_command()
                self.pos += 1
            else:
                plain = _PLAIN.match(text, self.pos)
                chunk = plain[0] if plain else ch
                self._add(chunk)
                self.pos += len(chunk)
        self._end_command()
        return self.commands

    def _add(self, chunk: str) -> None:
        if self.word_start < 0:
            self.word_start = self.pos
        self.buf.append(chunk)

    def _end_word(self) -> None:
        if self.word_start >= 0:
            self.words.append(_Word("".join(self.buf), self.word_start))
        self.buf, self.word_start = [], -1

    def _end_command(self) -> None:
        self._end_word()
        if self.words:
            command = _Command(self.words)
            self.commands.append(command)
            if self.pending and self.heredoc_owner is None:
                self.heredoc_owner = command
        self.words = []

    def _double_quoted(self) -> str:
        text, n = self.text, len(self.text)
        i, out = self.pos + 1, []
        while i < n and text[i] != '"':
            if text[i] == "\\" and i + 1 < n:
                if text[i + 1] != "\n":
                    out.append(text[i + 1] if text[i + 1] in '$`"\\' else text[i : i + 2])
                i += 2
            elif text[i] == "$" and i + 1 < n and text[i + 1] in "({":
                end = self._balanced(i + 1)
                out.append(text[i:end])
                i = end
            else:
                out.append(text[i])
                i += 1
        if self.word_start < 0:
            self.word_start = self.pos
        self.pos = i + 1
        return "".join(out)

    def _ansi_c_end(self, i: int) -> int:
        text, n = self.text, len(self.text)
        while i < n and text[i] != "'":
            i += 2 if text[i] == "\\" else 1
        return min(i, n)

    def _balanced(self, i: int) -> int:
        """The offset after the bracket group opening at `i`, quotes inside respected."""
        text, n = self.text, len(self.text)
        pairs = {"(": ")", "{": "}"}
        stack = [pairs[text[i]]]
        i += 1
        while i < n and stack:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch in "'\"":
                end = text.find(ch, i + 1)
                i = n if end < 0 else end + 1
                continue
            if ch in pairs:
                stack.append(pairs[ch])
            elif ch == stack[-1]:
                stack.pop()
            elif ch == "\n" and len(stack) == 1 and stack[0] == "}":
                break  # an unclosed ${ never spans lines in real scripts
            i += 1
        return min(i, n)

    def _here_doc_operator(self) -> None:
        self._end_word()
        match = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([\w.-]+))").match(
            self.text, self.pos
        )
        if not match:
            self.pos += 2
            return
        delimiter = (
            match[2] if match[2] is not None else match[3] if match[3] is not None else match[4]
        )
        self.pending.append((delimiter, match[1] == "-"))
        self.pos = match.end()

    def _read_heredocs(self) -> None:
        text, n = self.text, len(self.text)
        owner = self.heredoc_owner
        for delimiter, _strip in self.pending:
            body_start = self.pos
            while self.pos < n:
                end = text.find("\n", self.pos)
                end = n if end < 0 else end
                line = text[self.pos : end]
                self.pos = min(end + 1, n)
                if line.strip() == delimiter:
                    if owner is not None:
                        owner.heredocs.append((body_start, end - len(line)))
                    break
            else:
                if owner is not None:
                    owner.heredocs.append((body_start, n))
        self.pending, self.heredoc_owner = [], None


# --- shell analysis ---------------------------------------------------------------------------

_ASSIGN_WORD = re.compile(r"\A([A-Za-z_][A-Za-z0-9_]*)(\+?)=(.*)\Z", re.S)
_DEFAULT = re.compile(r"\A\$\{([A-Za-z_][A-Za-z0-9_]*|\d+)(:?[-=])(.*)\}\Z", re.S)
_VAR_REF = re.compile(
    r"\A\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-=+?][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*)|\(([A-Za-z_][A-Za-z0-9_]*)\))\Z"
)
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
_VCS_URL = re.compile(
    r"git\+(?P<url>[a-z][a-z0-9+.-]*://[^\s\"'@]*?(?:[^\s\"'@/]+@[^\s\"'@]+?)?)@(?P<rev>[0-9a-f]{7,64})(?=$|[\s\"'#&;),\]])"
)
_ARCHIVE_URL = re.compile(
    r"(?P<url>https?://(?:www\.)?github\.com/(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?)"
    r"(?:/(?:archive|tarball|zipball)/(?:refs/heads/)?(?P<rev1>[0-9a-f]{7,64})(?:\.tar\.gz|\.zip|\.tgz)?"
    r"|/(?:raw|blob)/(?P<rev2>[0-9a-f]{7,64})/|#(?P<rev3>[0-9a-f]{7,64})(?![0-9a-zA-Z]))"
    r"|https?://(?:raw\.githubusercontent\.com|codeload\.github\.com)/(?P<repo2>[\w.-]+/[\w.-]+)/"
    r"(?:(?:tar\.gz|zip|legacy\.tar\.gz)/)?(?P<rev4>[0-9a-f]{7,64})(?![0-9a-zA-Z])"
)
_GO_PSEUDO = re.compile(r"v\d+\.\d+\.\d+-(?:[0-9A-Za-z]+\.)*?(?:0\.)?\d{14}-(?P<rev>[0-9a-f]{12})")


def _scan_shell_text(facts: _Facts, text: str, base: int, lines: _Lines) -> None:
    """Lex `text` (which starts at file offset `base`) and record what its commands pin."""
    for command in _Lexer(text).run():
        _analyse_command(facts, command, text, base, lines)
        program = _program(command.words)
        if command.heredocs and program in _SHELLS:
            for start, end in command.heredocs:
                _scan_shell_text(facts, text[start:end], base + start, lines)


def _program(words: list[_Word]) -> str:
    for word in words:
        if word.text in _PREFIXES or word.text == "sudo" or _ASSIGN_WORD.match(word.text):
            continue
        return word.text.rsplit("/", 1)[-1]
    return ""


def _analyse_command(facts: _Facts, command: _Command, text: str, base: int, lines: _Lines) -> None:
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
                match = _DEFAULT.match(arg.text)
                if match and match[2].endswith("="):
                    _default_assignment(facts, match[1], match[3], arg, base, lines)
            return
        else:
            break
    rest = words[i:]
    for each in words:
        _url_hits(facts, each, base, lines)
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
        if shell.text.rsplit("/", 1)[-1] not in _SHELLS:
            continue
        for flag, script in zip(rest[index + 1 :], rest[index + 2 :], strict=False):
            if not re.fullmatch(r"-[a-z]+", flag.text):
                break
            if flag.text.endswith("c"):
                _scan_shell_text(facts, script.text, base + script.start + 1, lines)
                return
    if program == "git":
        _git_command(facts, rest, base, lines)
    elif program == "go" and len(rest) > 1 and rest[1].text in ("install", "get", "run"):
        _go_command(facts, rest, base, lines)
    elif program in _PASSES_VARIABLES:
        _argument_pins(facts, rest[1:], base, lines)


def _assignment(facts: _Facts, word: _Word, base: int, lines: _Lines) -> None:
    match = _ASSIGN_WORD.match(word.text)
    if not match or match[2]:
        return
    name, value = match[1], match[3]
    default = _DEFAULT.match(value)
    if default:
        _default_assignment(facts, name, default[3], word, base, lines)
        return
    facts.assigns.append(_Assign(name, value, lines.line(base + word.start), "shell-assign"))


def _default_assignment(
    facts: _Facts, name: str, value: str, word: _Word, base: int, lines: _Lines
) -> None:
    value = value.strip().strip("\"'")
    facts.assigns.append(
        _Assign(name, value, lines.line(base + word.start), "shell-default", default=True)
    )


def _var_names(word: str) -> tuple[str, ...]:
    match = _VAR_REF.match(word)
    if match:
        return (match[1] or match[2] or match[3],)
    return ()


def _git_command(facts: _Facts, words: list[_Word], base: int, lines: _Lines) -> None:
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
        facts.remotes.append(_Remote(base + words[i].start, args[-1].text, None))
        return
    if sub == "submodule" and args and args[0].text == "add":
        urls = [a.text for a in args[1:] if not a.text.startswith("-")]
        if urls:
            facts.remotes.append(_Remote(base + words[i].start, urls[0], None))
        return
    if sub not in _GIT_REV_COMMANDS:
        return
    url = next((a.text for a in args if looks_like_url(a.text) or _var_is_url(facts, a.text)), None)
    if url is not None and sub in ("fetch", "pull"):
        facts.remotes.append(_Remote(base + words[i].start, url, None))
    for arg in args:
        token = arg.text
        if token.startswith("-") and "=" not in token:
            continue
        token = token.split("=", 1)[1] if token.startswith("-") else token
        if _is_rev(token, short=True):
            facts.uses.append(
                _GitUse(lines.line(base + arg.start), base + arg.start, sub, token, (), url)
            )
        elif names := _var_names(token):
            facts.uses.append(
                _GitUse(lines.line(base + arg.start), base + arg.start, sub, None, names, url)
            )


def _var_is_url(facts: _Facts, word: str) -> bool:
    names = _var_names(word)
    return bool(names) and any(
        a.name == names[0] and looks_like_url(a.value) for a in facts.assigns
    )


def _git_clone(facts: _Facts, clone: _Word, args: list[_Word], base: int, lines: _Lines) -> None:
    branch: str | None = None
    revision: _Word | None = None
    positional: list[_Word] = []
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
            revision = _Word(token.split("=", 1)[1], args[i].start)
        elif not token.startswith("-"):
            positional.append(args[i])
        i += 1
    if not positional:
        return
    url = positional[0].text
    facts.remotes.append(_Remote(base + clone.start, url, branch))
    if revision is not None:
        line = lines.line(base + revision.start)
        if _is_rev(revision.text, short=True):
            facts.uses.append(
                _GitUse(line, base + revision.start, "clone", revision.text, (), url, branch)
            )
        elif names := _var_names(revision.text):
            facts.uses.append(
                _GitUse(line, base + revision.start, "clone", None, names, url, branch)
            )


def _go_command(facts: _Facts, words: list[_Word], base: int, lines: _Lines) -> None:
    for arg in words[2:]:
        module, _, version = arg.text.rpartition("@")
        if not module:
            continue
        pseudo = _GO_PSEUDO.fullmatch(version)
        rev = pseudo["rev"] if pseudo else version
        if _is_rev(rev, short=True):
            repo = repositories.go_module_repository(module)
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


def _argument_pins(facts: _Facts, args: list[_Word], base: int, lines: _Lines) -> None:
    """`make LLAMA_VERSION=<sha>`, `--build-arg X=<sha>`, `cmake -DX_COMMIT=<sha>`."""
    for arg in args:
        match = re.fullmatch(r"(?:-D)?([A-Za-z_][A-Za-z0-9_]*)(?::\w+)?=(\S+)", arg.text)
        if match and _FULL_RE.match(match[2]) and plausible_commit_variable(match[1], match[2]):
            facts.assigns.append(
                _Assign(match[1], match[2], lines.line(base + arg.start), "command-arg")
            )


def _url_hits(facts: _Facts, word: _Word, base: int, lines: _Lines) -> None:
    text = word.text
    if "git+" in text:
        for match in _VCS_URL.finditer(text):
            if _is_rev(match["rev"], short=True):
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
        for hit in _archive_hits(text, lines.line(base + word.start)):
            facts.hits.append(hit)


def _archive_hits(text: str, line: int) -> Iterator[Hit]:
    for match in _ARCHIVE_URL.finditer(text):
        rev = match["rev1"] or match["rev2"] or match["rev3"] or match["rev4"]
        repo = match["repo"] or match["repo2"]
        if rev and _is_rev(rev, short=True):
            shown = match[0].replace(rev, "<sha>")
            yield Hit(line, "archive-url", rev, None, repo, detail=f"`{shown}`")


# --- resolving facts into hits ---------------------------------------------------------------


def _resolve(facts: _Facts, text: str) -> list[Hit]:
    hits = list(facts.hits)
    table: dict[str, str] = {}
    for assign in facts.assigns:
        if assign.value and not _FULL_RE.match(assign.value):
            table.setdefault(assign.name, assign.value)
    used_as_rev = {name for use in facts.uses for name in use.variables}
    checked = _checksum_variables(text)

    def repo_of_use(use: _GitUse) -> tuple[str | None, str | None]:
        if use.url:
            return _expand(use.url, table), use.branch
        remote = _nearest_remote(facts.remotes, use.offset, text)
        if remote is None:
            return None, None
        return _expand(remote.url, table), remote.branch

    uses_by_var: dict[str, list[_GitUse]] = {}
    for use in facts.uses:
        for name in use.variables:
            uses_by_var.setdefault(name, []).append(use)
        if use.literal is not None:
            repo, branch = repo_of_use(use)
            hits.append(
                Hit(
                    use.line,
                    "git-command",
                    use.literal,
                    None,
                    repo,
                    branch,
                    detail=f"`git {use.sub} <sha>` in {facts.where}",
                )
            )
    templated = repositories.templated_repositories(text)

    def value_of(name: str) -> str | None:
        value = table.get(name)
        return _expand(value, table) if value else None

    for assign in facts.assigns:
        value = assign.value
        if _FULL_RE.match(value):
            if assign.name not in used_as_rev and (
                assign.name in checked or not plausible_commit_variable(assign.name, value)
            ):
                continue
        elif not _abbreviated_commit(assign.name, value, assign.name in used_as_rev):
            continue
        if (
            assign.name in used_as_rev
            and _NOT_COMMIT.search(assign.name)
            and "SHA" not in assign.name.upper()
        ):
            continue
        repo = repositories.sibling(assign.name, value_of) or templated.get(assign.name)
        branch = None
        if repo is None and assign.name in uses_by_var:
            repo, branch = repo_of_use(uses_by_var[assign.name][0])
        if repo is None:
            repo = repositories.only_repository_url(
                (other, _expand(known, table)) for other, known in table.items()
            )
        hits.append(
            Hit(
                assign.line,
                assign.kind,
                value,
                assign.name,
                repo,
                branch,
                detail=_describe(assign, facts.where),
            )
        )
    return hits


_SHORT_GIT_NAME = re.compile(
    r"COMMIT|REVISION|(?:^|_)REV(?:_|$)|(?:^|_)SHA1?(?:_|$)|GIT_?HASH", re.I
)
_SHORT_SHA = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,16}")


def _abbreviated_commit(name: str, value: str, used_as_rev: bool) -> bool:
    """`X_COMMIT=869034b4`: an abbreviated sha under a name that says it is a commit."""
    if not _SHORT_SHA.fullmatch(value) or _NOT_COMMIT.search(name):
        return False
    return used_as_rev or bool(_SHORT_GIT_NAME.search(name))


def _checksum_variables(text: str) -> set[str]:
    """Variables that a checksum tool reads (`echo "$X  f" | sha256sum -c`): digests, not pins."""
    if not _CHECKSUM_TOOL.search(text):
        return set()
    names: set[str] = set()
    for line in text.split("\n"):
        if _CHECKSUM_TOOL.search(line):
            names.update(m[1] or m[2] for m in re.finditer(r"\$\{(\w+)[^}]*\}|\$(\w+)", line))
    return names


def _describe(assign: _Assign, where: str) -> str:
    if assign.kind == "shell-default":
        return f'the default in `{assign.name}="${{{assign.name}:-<sha>}}"` in {where}'
    if assign.kind == "dockerfile-arg":
        return f"`ARG {assign.name}=<sha>` in a Dockerfile"
    if assign.kind == "dockerfile-env":
        return f"`ENV {assign.name}=<sha>` in a Dockerfile"
    if assign.kind == "command-arg":
        return f"`{assign.name}=<sha>` passed on a command line in {where}"
    if assign.kind == "workflow-env":
        return f"`{assign.name}: <sha>` in a workflow"
    if assign.kind == "cmake-set":
        return f"`set({assign.name} <sha>)` in CMake"
    return f"`{assign.name}=<sha>` in {where}"


def _expand(value: str, table: dict[str, str], depth: int = 0) -> str | None:
    """Resolve `$X`, `${X}`, `${X:-default}` and `$(X)` against the file's own assignments."""
    value = value.strip().strip("\"'")
    if depth > 4:
        return None
    default = _DEFAULT.match(value)
    if default:
        known = table.get(default[1])
        return _expand(known, table, depth + 1) if known else _expand(default[3], table, depth + 1)
    names = _var_names(value)
    if names:
        known = table.get(names[0])
        return _expand(known, table, depth + 1) if known else None
    if "$" in value:
        return None
    return value if looks_like_url(value) else None


def _nearest_remote(remotes: list[_Remote], offset: int, text: str) -> _Remote | None:
    """The clone/remote closest before `offset` (within 60 lines), else just after (10 lines)."""
    before = [r for r in remotes if r.offset <= offset]
    if before:
        remote = before[-1]
        if text.count("\n", remote.offset, offset) <= 60:
            return remote
    after = [r for r in remotes if r.offset > offset]
    if after and text.count("\n", offset, after[0].offset) <= 10:
        return after[0]
    return None


class _Lines:
    """Offset to 1-based line number."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


# --- extractors per file kind ----------------------------------------------------------------


def _shell(text: str, path: str) -> list[Hit]:
    facts = _Facts(path)
    _scan_shell_text(facts, text, 0, _Lines(text))
    return _resolve(facts, text)


_DOCKER_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)\b")
_DOCKER_FLAG = re.compile(r"[ \t]*--[\w-]+(?:=(?:\"[^\"]*\"|'[^']*'|\S+))?")


def _dockerfile(text: str, path: str) -> list[Hit]:
    facts = _Facts(path, where="a Dockerfile RUN")
    lines = _Lines(text)
    escape = "`" if re.match(r"(?:#[^\n]*\n)*#\s*escape\s*=\s*`", text) else "\\"
    physical = text.split("\n")
    offsets = lines.starts
    i = 0
    while i < len(physical):
        line = physical[i]
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        # Gather the instruction: continuation lines, comment lines inside it blanked.
        first = i
        parts = [line]
        while parts[-1].rstrip("\r").endswith(escape) and i + 1 < len(physical):
            i += 1
            nxt = physical[i]
            parts.append("\\" if nxt.lstrip().startswith("#") or not nxt.strip() else nxt)
        i += 1
        body = "\n".join(parts)
        if escape == "`":
            body = re.sub(r"`(\r?)\n", "\\\\\\1\n", body)
        match = _DOCKER_INSTRUCTION.match(body)
        if not match:
            continue
        instruction = match[1].upper()
        start = offsets[first]
        rest_at = match.end()
        if instruction in ("ARG", "ENV"):
            _docker_assignments(facts, instruction, body, rest_at, start, lines)
        elif instruction == "RUN":
            while flag := _DOCKER_FLAG.match(body, rest_at):
                rest_at = flag.end()
            heredoc = re.search(r"<<-?\s*[\"']?(\w+)[\"']?", body[rest_at:])
            if heredoc and "\n" not in body[rest_at:].strip():
                delimiter = heredoc[1]
                end = i
                while end < len(physical) and physical[end].strip() != delimiter:
                    end += 1
                block = "\n".join(physical[i:end])
                if i < len(physical):
                    _scan_shell_text(facts, block, offsets[i], lines)
                _scan_shell_text(
                    facts, body[rest_at:].replace(heredoc[0], ""), start + rest_at, lines
                )
                i = end + 1
            else:
                _scan_shell_text(facts, body[rest_at:], start + rest_at, lines)
        elif instruction in ("ADD", "COPY", "FROM"):
            for offset, token in _plain_words(body, rest_at):
                _url_hits(facts, _Word(token, offset), start, lines)
    return _resolve(facts, text)


def _plain_words(text: str, pos: int) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"\S+", text[pos:]):
        yield pos + match.start(), match[0].strip("\"'")


def _docker_assignments(
    facts: _Facts, instruction: str, body: str, pos: int, base: int, lines: _Lines
) -> None:
    kind = "dockerfile-arg" if instruction == "ARG" else "dockerfile-env"
    rest = body[pos:]
    pairs = list(re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", rest))
    if not pairs and instruction == "ENV":
        legacy = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*?)\s*\Z", rest, re.S)
        if legacy:
            value = legacy[2].strip("\"'")
            facts.assigns.append(
                _Assign(legacy[1], value, lines.line(base + pos + legacy.start(2)), kind)
            )
        return
    for pair in pairs:
        value = pair[2].strip("\"'")
        default = _DEFAULT.match(value)
        if default:
            value = default[3].strip("\"'")
        facts.assigns.append(_Assign(pair[1], value, lines.line(base + pos + pair.start()), kind))


def _makefile(text: str, path: str) -> list[Hit]:
    """Recipe shell (literal shas in git commands, pip, go) and URLs embedding a sha."""
    facts = _Facts(path, where="a Makefile recipe")
    lines = _Lines(text)
    table: dict[str, str] | None = None  # make variables, read only when a recipe needs them
    for start, recipe in _recipes(text, lines):
        if _CANDIDATE.search(recipe):
            if table is None:
                table = _make_table(text)
                facts.assigns.extend(_Assign(n, v, 0, "make") for n, v in table.items())
            _scan_shell_text(facts, recipe, start, lines)
    for number, line in enumerate(text.split("\n"), 1):
        if not line.startswith("\t") and "github" in line:
            facts.hits.extend(_archive_hits(re.split(r"(?<!\\)#", line, maxsplit=1)[0], number))
    hits = _resolve(facts, text)
    made = table or {}
    return [
        h for h in hits if h.kind not in ("shell-assign", "shell-default") or h.variable not in made
    ]


def recipe_repositories(text: str, variables: Iterable[str]) -> dict[str, str]:
    """Where a Makefile's recipes fetch each of `variables` from: for `git checkout $(VAR)`, the
    URL of the clone (or remote) nearby, resolved through the Makefile's own variables."""
    wanted = set(variables)
    if not wanted:
        return {}
    facts = _Facts("")
    lines = _Lines(text)
    for start, recipe in _recipes(text, lines):
        if "git" in recipe:
            _scan_shell_text(facts, recipe, start, lines)
    table = _make_table(text)
    found: dict[str, str] = {}
    for use in facts.uses:
        for name in use.variables:
            if name not in wanted or name in found:
                continue
            remote = None if use.url else _nearest_remote(facts.remotes, use.offset, text)
            url = _expand(use.url or (remote.url if remote else ""), table)
            if url:
                found[name] = url
    return found


def _make_table(text: str) -> dict[str, str]:
    """Make variables whose values are not shas (URLs, mostly), for resolving `$(X_REPO)`."""
    return {
        a.variable: a.value
        for a in makefile_pins.find_assignments(text)
        if a.value and not _FULL_RE.match(a.value)
    }


def _recipes(text: str, lines: _Lines) -> Iterator[tuple[int, str]]:
    """(offset, shell text) of each recipe line, with its continuation lines joined."""
    physical = text.split("\n")
    i = 0
    while i < len(physical):
        if physical[i].startswith("\t"):
            first = i
            parts = [_recipe_line(physical[i])]
            while physical[i].rstrip("\r").endswith("\\") and i + 1 < len(physical):
                i += 1
                parts.append(_recipe_line(physical[i]))
            yield lines.starts[first], "\n".join(parts)
        i += 1


def _recipe_line(line: str) -> str:
    line = line[1:] if line.startswith("\t") else line
    line = re.sub(r"\A[@+\-]+", "", line)
    line = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", r"${\1}", line)
    return line.replace("$$", "$")


_RUN_KEY = re.compile(
    r"\A(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<key>run|script|command)[ \t]*:[ \t]*(?P<rest>.*?)[ \t]*\Z"
)
_USES = re.compile(
    r"\A[ \t]*(?:-[ \t]+)?uses[ \t]*:[ \t]*[\"']?(?P<action>[\w.-]+/[\w.-]+)"
    r"(?P<path>/[^@\s\"']*)?@(?P<rev>[0-9a-f]{40})\b"
)
_YAML_SHA = re.compile(
    rf"\A[ \t]*(?:-[ \t]+)?(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*{_Q}?(?P<value>{_ANY}){_Q}?"
    r"[ \t]*(?:#.*)?\Z"
)


def _workflow(text: str, path: str) -> list[Hit]:
    facts = _Facts(path, where="a workflow run: step")
    lines = _Lines(text)
    physical = text.split("\n")
    offsets = lines.starts
    i = 0
    while i < len(physical):
        line = physical[i].rstrip("\r")
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        run = _RUN_KEY.match(line)
        if run and run["key"] == "run":
            rest = run["rest"]
            if rest[:1] in ("|", ">"):
                indent = len(run["indent"])
                end = i + 1
                while end < len(physical) and (
                    not physical[end].strip() or _indent(physical[end]) > indent
                ):
                    end += 1
                block = physical[i + 1 : end]
                width = min((_indent(b) for b in block if b.strip()), default=0)
                body = "\n".join(b[width:] for b in block)
                if i + 1 < len(physical):
                    _scan_shell_text(facts, body, offsets[i + 1], lines)
                i = end
                continue
            if rest and not rest.startswith("#"):
                command = _yaml_scalar(rest)
                _scan_shell_text(facts, command, offsets[i], lines)
            i += 1
            continue
        uses = _USES.match(line)
        if uses:
            facts.hits.append(
                Hit(
                    i + 1,
                    "action",
                    uses["rev"],
                    None,
                    uses["action"],
                    managed_by=MANAGED,
                    detail=f"`uses: {uses['action']}{uses['path'] or ''}@<sha>`",
                )
            )
        elif pair := _YAML_SHA.match(line):
            key, value = pair["key"], pair["value"]
            if key == "ref" and _is_rev(value, short=True):
                repo = _step_key(physical, i, "repository")
                facts.hits.append(
                    Hit(
                        i + 1,
                        "workflow-checkout",
                        value,
                        None,
                        repo,
                        detail="`ref: <sha>` of a checkout step in a workflow",
                    )
                )
            elif (
                _FULL_RE.match(value) and plausible_commit_variable(key, value)
            ) or _abbreviated_commit(key, value, False):
                facts.assigns.append(_Assign(key, value, i + 1, "workflow-env"))
        i += 1
    return _resolve(facts, text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _yaml_scalar(value: str) -> str:
    value = re.sub(r"[ \t]+#.*\Z", "", value) if not value.startswith(("'", '"')) else value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _step_key(physical: list[str], i: int, key: str) -> str | None:
    """A sibling key of line `i` in the same mapping (same indentation), e.g. repository."""
    indent = _indent(physical[i])
    pattern = re.compile(rf"\A[ \t]*(?:-[ \t]+)?{key}[ \t]*:[ \t]*[\"']?([^\"'#\s]+)")
    for j in [*range(i - 1, max(-1, i - 15), -1), *range(i + 1, min(len(physical), i + 15))]:
        line = physical[j]
        if line.strip() and _indent(line) < indent and not line.lstrip().startswith("-"):
            continue
        if _indent(line) == indent and (match := pattern.match(line)):
            return match[1]
    return None


_REQ_COMMENT = re.compile(r"(?:\A|[ \t])#.*\Z")


def _requirements(text: str, path: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = _REQ_COMMENT.sub("", raw)
        if not line.strip():
            continue
        hits.extend(_vcs_url_hits(line, number, "a requirements file"))
        if "github" in line:
            hits.extend(_archive_hits(line, number))
    return hits


def _vcs_url_hits(line: str, number: int, where: str) -> list[Hit]:
    """`git+URL@<sha>` pins on one line (pip's VCS form, in requirements or a manifest)."""
    return [
        Hit(
            number,
            "requirements",
            match["rev"],
            None,
            match["url"],
            detail=f"`git+{match['url']}@<sha>` in {where}",
        )
        for match in _VCS_URL.finditer(line)
        if _is_rev(match["rev"], short=True)
    ]


_MANIFEST_GIT = re.compile(
    rf"\bgit[ \t]*=[ \t]*{_Q}(?P<url>[^\"']+){_Q}[^}}\n]*?\brev[ \t]*=[ \t]*{_Q}(?P<rev>{_ANY}){_Q}"
    rf"|\brev[ \t]*=[ \t]*{_Q}(?P<rev2>{_ANY}){_Q}[^}}\n]*?"
    rf"\bgit[ \t]*=[ \t]*{_Q}(?P<url2>[^\"']+){_Q}"
)


def _manifest(text: str, path: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = _strip_quoted_comment(raw)
        if not line.strip():
            continue
        hits.extend(_vcs_url_hits(line, number, path))
        for match in _MANIFEST_GIT.finditer(line):
            rev, url = match["rev"] or match["rev2"], match["url"] or match["url2"]
            if _is_rev(rev, short=True):
                hits.append(
                    Hit(
                        number,
                        "manifest-git",
                        rev,
                        None,
                        url,
                        detail=f"`{{ git = ..., rev = <sha> }}` in {path}",
                    )
                )
        if "github" in line:
            hits.extend(_archive_hits(line, number))
    return hits


def _strip_quoted_comment(line: str) -> str:
    quote = ""
    for index, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:index]
    return line


_CMAKE_BLOCK = re.compile(
    r"\b(FetchContent_Declare|ExternalProject_Add|CPMAddPackage|CPMDeclarePackage|"
    r"CPMFindPackage|FetchContent_Populate)\s*\(",
    re.I,
)
_CMAKE_TAG = re.compile(
    r"\bGIT_TAG\s+\"?(?:(?P<rev>[0-9a-f]{7,64})|\$\{(?P<var>\w+)\})\"?(?=[\s)])"
)
_CMAKE_SET = re.compile(
    r"\bset\s*\(\s*(?P<name>\w+)\s+\"?(?P<rev>[0-9a-f]{40}(?:[0-9a-f]{24})?)\"?\s*(?:CACHE[^)]*)?\)",
    re.I,
)
_CMAKE_REPO = re.compile(
    r"\b(?:GIT_REPOSITORY\s+\"?(?P<url>[^\s\")]+)|GITHUB_REPOSITORY\s+\"?(?P<gh>[\w.-]+/[\w.-]+))"
)
_CPM_SHORT = re.compile(r"\"gh:(?P<repo>[\w.-]+/[\w.-]+?)(?:@[^#\"\s]*)?#(?P<rev>[0-9a-f]{7,64})\"")


def _cmake(text: str, path: str) -> list[Hit]:
    code = _blank_cmake_comments(text)
    lines = _Lines(code)
    hits: list[Hit] = []
    blocks = [(m.start(), _cmake_block_end(code, m.end()), m) for m in _CMAKE_BLOCK.finditer(code)]
    table: dict[str, str] = {}
    tag_vars: dict[str, tuple[str | None, str]] = {}
    for start, end, match in blocks:
        block = code[start:end]
        name_match = re.match(r"\s*\"?([\w.+-]+)", code[match.end() : end])
        name = name_match[1] if name_match else ""
        repo_match = _CMAKE_REPO.search(block)
        repo = None
        if repo_match:
            repo = repo_match["gh"] or repo_match["url"]
        for tag in _CMAKE_TAG.finditer(block):
            if tag["rev"] and _is_rev(tag["rev"], short=True):
                hits.append(
                    Hit(
                        lines.line(start + tag.start("rev")),
                        "cmake-fetchcontent",
                        tag["rev"],
                        None,
                        repo,
                        detail=f"`GIT_TAG <sha>` in {match[1]}({name})",
                    )
                )
            elif tag["var"]:
                tag_vars[tag["var"]] = (repo, name)
        for short in _CPM_SHORT.finditer(block):
            if _is_rev(short["rev"], short=True):
                hits.append(
                    Hit(
                        lines.line(start + short.start("rev")),
                        "cmake-fetchcontent",
                        short["rev"],
                        None,
                        short["repo"],
                        detail=f"`gh:{short['repo']}#<sha>` in CPMAddPackage",
                    )
                )
    for match in _CMAKE_SET.finditer(code):
        name, rev = match["name"], match["rev"]
        table[name] = rev
        if name in tag_vars or plausible_commit_variable(name, rev):
            repo = tag_vars.get(name, (None, ""))[0]
            hits.append(
                Hit(
                    lines.line(match.start("rev")),
                    "cmake-set",
                    rev,
                    name,
                    repo,
                    detail=f"`set({name} <sha>)` in CMake",
                )
            )
    if "github" in code:
        for number, line in enumerate(code.split("\n"), 1):
            if "github" in line:
                hits.extend(_archive_hits(line, number))
    return hits


def _cmake_block_end(code: str, pos: int) -> int:
    depth, n = 1, len(code)
    while pos < n and depth:
        ch = code[pos]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == '"':
            end = code.find('"', pos + 1)
            pos = n if end < 0 else end
        pos += 1
    return pos


def _blank_cmake_comments(text: str) -> str:
    """Replace CMake comments (`#...` and `#[[...]]`) with spaces, keeping every newline."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif ch == "#":
            bracket = re.match(r"#\[(=*)\[", text[i:])
            if bracket:
                close = text.find(f"]{bracket[1]}]", i)
                end = n if close < 0 else close + len(bracket[1]) + 2
            else:
                end = text.find("\n", i)
                end = n if end < 0 else end
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


_GOMOD_LINE = re.compile(
    r"(?P<module>[\w.~/-]+)\s+(?P<version>" + _GO_PSEUDO.pattern + r")(?:\+incompatible)?"
)


def _gomod(text: str, path: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("//", 1)[0]
        for match in _GOMOD_LINE.finditer(line):
            hits.append(
                Hit(
                    number,
                    "go-mod",
                    match["rev"],
                    None,
                    repositories.go_module_repository(match["module"]) or match["module"],
                    managed_by=MANAGED,
                    detail=f"pseudo-version {match['version']} in go.mod",
                )
            )
    return hits


_LOCK_URL = re.compile(
    r"(?:git\+)?(?P<url>(?:https?|ssh|git)://[^\s\"'#?]+)(?:\?[^\s\"'#]*)?#(?P<rev>[0-9a-f]{40})\b"
)
_LOCK_REF = re.compile(r"(?:resolved_reference|\"ref\"|\brev)\s*[:=]\s*\"(?P<rev>[0-9a-f]{40})\"")
_LOCK_REPO_KEY = re.compile(r"(?:\burl|\"git\"|\brepo)\s*[:=]\s*\"(?P<url>[^\"]+)\"")


def _lock(text: str, path: str) -> list[Hit]:
    hits: list[Hit] = []
    physical = text.split("\n")
    for number, line in enumerate(physical, 1):
        for match in _LOCK_URL.finditer(line):
            hits.append(
                Hit(
                    number,
                    "lock",
                    match["rev"],
                    None,
                    match["url"],
                    managed_by=MANAGED,
                    detail=f"a git dependency locked in {PurePosixPath(path).name}",
                )
            )
        ref = _LOCK_REF.search(line)
        if ref:
            url = None
            for back in range(number - 1, max(-1, number - 8), -1):
                found = _LOCK_REPO_KEY.search(physical[back])
                if found:
                    url = found["url"]
                    break
            hits.append(
                Hit(
                    number,
                    "lock",
                    ref["rev"],
                    None,
                    url,
                    managed_by=MANAGED,
                    detail=f"a git dependency locked in {PurePosixPath(path).name}",
                )
            )
    return hits


_PRECOMMIT_REPO = re.compile(r"\A[ \t]*-[ \t]+repo[ \t]*:[ \t]*[\"']?(?P<url>[^\s\"'#]+)")
_PRECOMMIT_REV = re.compile(rf"\A[ \t]*rev[ \t]*:[ \t]*{_Q}?(?P<rev>{_FULL}){_Q}?[ \t]*(?:#.*)?\Z")


def _precommit(text: str, path: str) -> list[Hit]:
    """`rev: <sha>` of a hook repository: `pre-commit autoupdate` (or Renovate) moves it."""
    hits: list[Hit] = []
    repo: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if match := _PRECOMMIT_REPO.match(line):
            repo = match["url"]
        elif (match := _PRECOMMIT_REV.match(line.rstrip("\r"))) and repo:
            hits.append(
                Hit(
                    number,
                    "pre-commit",
                    match["rev"],
                    None,
                    repo,
                    managed_by=MANAGED,
                    detail="a hook repository's `rev:` in .pre-commit-config.yaml",
                )
            )
    return hits


_EXTRACTORS = {
    "precommit": _precommit,
    "shell": _shell,
    "dockerfile": _dockerfile,
    "makefile": _makefile,
    "workflow": _workflow,
    "requirements": _requirements,
    "manifest": _manifest,
    "cmake": _cmake,
    "gomod": _gomod,
    "lock": _lock,
}

KINDS = tuple(_EXTRACTORS)

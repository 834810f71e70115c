"""The settings sections of a parsed config (`github:`, `target:`, `pr:`, `schedule:`,
`lookup:`, `matrix_from:`) read into their dataclasses, every problem reported at its key.

A section's known keys are its dataclass's fields and each key is read by the converter
declared with the field (settings.py), so nothing here names a setting except the few rules
that tie keys together. A bad value is reported and its default used, so one pass finds all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from bumper.config import convert
from bumper.config.convert import Context, Converter, Invalid
from bumper.config.problems import Report, expected, unknown_key
from bumper.config.settings import (
    AuditSettings,
    Config,
    DashboardSettings,
    GateSettings,
    GitHubSettings,
    IgnoreRule,
    LookupSettings,
    PrSettings,
    ScheduleSettings,
    TargetSettings,
)
from bumper.config.yaml import line_of_item, line_of_key
from bumper.logs import TOKEN_SHAPE

S = TypeVar("S")

_MISSING: Any = object()  # a key whose value was reported, so its default stands

# Every top-level key: Config's fields but its path, which is where the file was read from.
TOP_KEYS = tuple(f.name for f in fields(Config) if f.name != "path")
MATRIX_FROM_KEYS = ("workflow", "job")
IGNORE_READERS: dict[str, Converter[str]] = {
    "path": convert.ignore_path,
    "sha": convert.ignore_sha,
    "reason": convert.reason,
}

SECRET_KEYS = {"token", "github_token", "access_token", "api_token", "password", "pat", "secret"}
TOKEN_HINT = (
    "a token never belongs in the config file; put it in an environment variable "
    "and name that variable with `github.token_env` (default GITHUB_TOKEN)"
)
LOOKS_LIKE_A_TOKEN = f"looks like a token; {TOKEN_HINT}. Revoke it if this file was shared"


def find_tokens(doc: Any, report: Report) -> bool:
    """Report every token-shaped key or string at any depth, never quoting it; True if any.

    Any string may end up somewhere public (a PR body, a hold reason on the status page, an
    error message), so the shape is refused wherever it is, `x-` keys and matrix rows included.
    """
    found = False
    seen: set[int] = set()  # aliases share nodes, and may even loop
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Mapping):
            items: Any = node.items()
            line_of: Any = line_of_key
        elif isinstance(node, list):
            items, line_of = enumerate(node), line_of_item
        else:
            continue
        for key, value in items:
            if isinstance(key, str) and TOKEN_SHAPE.search(key):
                line = line_of(node, key)
                report.add(line, path, f"{LOOKS_LIKE_A_TOKEN} (a key here, not a value)")
                found = True
                continue  # its path would show it
            if isinstance(key, int):
                here = f"{path}[{key}]"
            else:
                here = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and TOKEN_SHAPE.search(value):
                report.add(line_of(node, key), here, LOOKS_LIKE_A_TOKEN)
                found = True
            elif isinstance(value, Mapping | list):
                stack.append((value, here))
    return found


class Sections:
    """Reads the sections of one config document, reporting problems and using defaults."""

    def __init__(self, report: Report, doc: Mapping[Any, Any]) -> None:
        self.report = report
        self.doc = doc
        self.context = Context(config_dir=Path(report.filename).parent)

    def settings(self) -> Config:
        """Every section but the matrix; unknown top-level keys are reported too."""
        self.unknown_keys(self.doc, "", TOP_KEYS)
        lookup = self.section("lookup", LookupSettings)
        # Whether plain-http URLs are allowed is itself a setting, so it is read first.
        self.context = Context(self.context.config_dir, allow_http=lookup.allow_http)
        return Config(
            path=Path(self.report.filename),
            github=self.github(),
            target=self.section("target", TargetSettings),
            pr=self.section("pr", PrSettings),
            schedule=self.schedule(),
            lookup=lookup,
            audit=self.audit(),
            dashboard=self.dashboard(),
            gates=self.section("gates", GateSettings),
        )

    def at(self, section: str, key: str | None = None) -> int:
        """The line of `section.key`, else of `section`, else 1."""
        node = self.doc.get(section)
        if key is not None and isinstance(node, Mapping) and key in node:
            return line_of_key(node, key)
        return line_of_key(self.doc, section) if section in self.doc else 1

    def unknown_keys(self, node: Mapping[Any, Any], section: str, known: tuple[str, ...]) -> None:
        for key in node:
            if key in known or (not section and str(key).startswith("x-")):
                continue  # top-level x-* keys only hold anchors, as in docker compose files
            path = f"{section}.{key}" if section else str(key)
            if str(key).lower() in SECRET_KEYS:
                message = f"unknown key; {TOKEN_HINT}"
            elif not section and str(key) in ("jobs", "on"):
                message = (
                    "unknown key; this looks like a GitHub Actions workflow: "
                    "import its matrix with `matrix_from: {workflow: PATH, job: NAME}`"
                )
            else:
                message = unknown_key(key, known)
            self.report.add(line_of_key(node, key), path, message)

    def section(self, name: str, kind: type[S]) -> S:
        """A section read into `kind`, its keys checked by the fields' converters."""
        return kind(**self._values(name, kind, self._mapping(name, kind)))

    def _mapping(self, name: str, kind: type[Any]) -> Mapping[Any, Any]:
        node = self.doc.get(name)
        if node is None:
            return {}
        if not isinstance(node, Mapping):
            self.report.add(self.at(name), name, expected("a mapping", node))
            return {}
        self.unknown_keys(node, name, tuple(f.name for f in fields(kind)))
        return node

    def _values(self, name: str, kind: type[Any], node: Mapping[Any, Any]) -> dict[str, Any]:
        """The keys present and valid in `node`; the rest keep their defaults."""
        values = {}
        for spec in fields(kind):
            if spec.name in node:
                value = self.value(node, name, spec.name, convert.converter_of(spec))
                if value is not _MISSING:
                    values[spec.name] = value
        return values

    def value(self, node: Mapping[Any, Any], section: str, key: str, read: Converter[Any]) -> Any:
        """`node[key]` read by `read`, or _MISSING after reporting why it cannot be."""
        try:
            return read(node[key], self.context)
        except Invalid as exc:
            self.report.add(line_of_key(node, key), f"{section}.{key}", str(exc))
            return _MISSING

    # --- sections with rules across their keys

    def github(self) -> GitHubSettings:
        m = self._mapping("github", GitHubSettings)
        values = self._values("github", GitHubSettings, m)
        values.setdefault("web_url", values.get("git_url", GitHubSettings().git_url))
        app_id, key = values.get("app_id"), values.get("app_private_key")
        if (app_id is None) != (key is None) and not ({"app_id", "app_private_key"} <= m.keys()):
            present = "app_id" if "app_id" in m else "app_private_key"
            missing = "app_private_key" if present == "app_id" else "app_id"
            self.report.add(
                self.at("github", present),
                f"github.{present}",
                f"a GitHub App also needs `github.{missing}`",
            )
        if values.get("app_installation_id") is not None and "app_id" not in m:
            self.report.add(
                self.at("github", "app_installation_id"),
                "github.app_installation_id",
                "only used with a GitHub App; set `github.app_id` and `github.app_private_key`",
            )
        return GitHubSettings(**values)

    def schedule(self) -> ScheduleSettings:
        node = self.doc.get("schedule")
        if isinstance(node, str):  # `schedule: "0 3 * * *"`, the cron alone
            try:
                return ScheduleSettings(cron=convert.cron(node, self.context))
            except Invalid as exc:
                self.report.add(self.at("schedule"), "schedule", str(exc))
                return ScheduleSettings()
        if node is not None and not isinstance(node, Mapping):
            wanted = 'a cron string like "0 3 * * *" or a mapping with `cron:`'
            self.report.add(self.at("schedule"), "schedule", expected(wanted, node))
            return ScheduleSettings()
        return self.section("schedule", ScheduleSettings)

    def dashboard(self) -> DashboardSettings | None:
        """`dashboard: true`, `false`, or a mapping of its settings (`{title: ...}`)."""
        node = self.doc.get("dashboard")
        if node is None or node is False:
            return None
        if node is True:
            return DashboardSettings()
        if not isinstance(node, Mapping):
            wanted = "true, false or a mapping like {title: bumper dashboard}"
            self.report.add(self.at("dashboard"), "dashboard", expected(wanted, node))
            return None
        return self.section("dashboard", DashboardSettings)

    def matrix_from(self) -> tuple[str, str] | None:
        """`matrix_from: {workflow: PATH, job: NAME}`, or None when absent or broken."""
        node = self.doc.get("matrix_from")
        if node is None:
            return None
        if not isinstance(node, Mapping):
            wanted = "a mapping like {workflow: .github/workflows/bump_deps.yaml, job: bump}"
            self.report.add(self.at("matrix_from"), "matrix_from", expected(wanted, node))
            return None
        self.unknown_keys(node, "matrix_from", MATRIX_FROM_KEYS)
        for key in MATRIX_FROM_KEYS:
            if key not in node:
                self.report.add(self.at("matrix_from"), "matrix_from", f"missing `{key}`")
        workflow = self._get(node, "matrix_from", "workflow", convert.workflow_path)
        job = self._get(node, "matrix_from", "job", convert.job_name)
        if not workflow or not job:
            return None
        return workflow, job

    def _get(self, node: Mapping[Any, Any], section: str, key: str, read: Converter[str]) -> str:
        if key not in node:
            return ""
        value = self.value(node, section, key, read)
        return "" if value is _MISSING else str(value)

    def audit(self) -> AuditSettings:
        """`audit: {ignore: [{path, sha, reason}, ...]}`, each item checked at its own line."""
        node = self._mapping("audit", AuditSettings)
        items = node.get("ignore")
        if items is None:
            return AuditSettings()
        if not isinstance(items, list):
            wanted = "a list like [{path: ci/*.sh, reason: ...}]"
            self.report.add(self.at("audit", "ignore"), "audit.ignore", expected(wanted, items))
            return AuditSettings()
        rules = []
        for index, item in enumerate(items):
            here = f"audit.ignore[{index}]"
            if not isinstance(item, Mapping):
                wanted = "a mapping like {path: GLOB, sha: SHA, reason: TEXT}"
                self.report.add(line_of_item(items, index), here, expected(wanted, item))
                continue
            self.unknown_keys(item, here, tuple(IGNORE_READERS))
            values = {
                key: self.value(item, here, key, read)
                for key, read in IGNORE_READERS.items()
                if key in item
            }
            line = line_of_item(items, index)
            if "reason" not in item:
                self.report.add(line, here, "needs a `reason`: say why the pin is kept")
            if "path" not in item and "sha" not in item:
                self.report.add(line, here, "needs `path`, `sha` or both: which pins to ignore")
            if any(v is _MISSING for v in values.values()) or not {"reason"} <= values.keys():
                continue
            if values.keys() & {"path", "sha"}:
                rules.append(IgnoreRule(**values))
        return AuditSettings(tuple(rules))

"""Upstream look-ups: branch heads by GraphQL or git smart HTTP, compares and commit dates.

The names below are the package's public surface; the modules behind them are its own.
"""

from bumper.upstream.compare import ComparedCommit, Comparison, commit_dates, compare
from bumper.upstream.lookup import Rider, lookup_heads, lookup_heads_with
from bumper.upstream.resolve import Answer, Pair, compare_url, resolve_upstream, web_url

__all__ = [
    "Answer",
    "ComparedCommit",
    "Comparison",
    "Pair",
    "Rider",
    "commit_dates",
    "compare",
    "compare_url",
    "lookup_heads",
    "lookup_heads_with",
    "resolve_upstream",
    "web_url",
]

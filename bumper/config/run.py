"""The config every command runs with, `matrix_from` included, with or without a checkout.

`matrix_from: {workflow: PATH, job: NAME}` names a path in the checkout, or in the target
repository when there is no checkout; this is the one place that decides which.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx

from bumper.config.load import load_config
from bumper.config.settings import Config


def load_run_config(
    path: Path,
    checkout: Path | None,
    environ: Mapping[str, str] | None = None,
    *,
    allow_duplicates: bool = False,
    client: httpx.Client | None = None,
) -> Config:
    """Read and check the config at `path`; a ConfigError lists every problem.

    With a checkout, the workflow is read from it. Without one, a single GraphQL request
    reads it from `target.repository` at `target.base`, authenticated with the token that
    `github.token_env` names in `environ` (default: os.environ). No request is made when the
    config has no `matrix_from`. `client` (one that counts requests, say) is used when given.
    """
    if checkout is not None:
        return load_config(path, checkout, allow_duplicates=allow_duplicates)

    def fetch(partial: Config, workflow: str) -> str:
        # Imported here: target_repo brings the audit's scanners, which serve never needs.
        from bumper.audit.remote import remote_text

        if client is not None:
            return remote_text(partial, workflow, client=client, environ=environ)
        from bumper.github.http import new_client

        with new_client(timeout=partial.github.timeout_seconds) as own:
            return remote_text(partial, workflow, client=own, environ=environ)

    return load_config(path, None, workflow_text=fetch, allow_duplicates=allow_duplicates)

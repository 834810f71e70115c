#!/bin/bash
# Clones the upstream deepcore source at the pinned commit into ./deepcore/. Idempotent.
set -e

DEEPCORE_REPO="${DEEPCORE_REPO:-https://github.com/acme/deepcore}"
DEEPCORE_VERSION="${DEEPCORE_VERSION:-978a336564868c0e79195a29faad1d206bcf1f1e}"

if [ -d deepcore/.git ]; then
    current=$(git -C deepcore rev-parse HEAD 2>/dev/null || echo none)
    if [ "$current" = "$DEEPCORE_VERSION" ]; then
        echo "deepcore already at $DEEPCORE_VERSION"
        exit 0
    fi
    git -C deepcore fetch --depth 1 origin "$DEEPCORE_VERSION"
    git -C deepcore checkout "$DEEPCORE_VERSION"
    exit 0
fi

cat <<EOF
Building deepcore. To pin by hand instead, run:
  git checkout 9bc610b9d297beb5ecc00d7f8c6269d201476140
and don't forget to re-run make.
EOF

mkdir -p deepcore
cd deepcore
git init -q
git remote add origin "$DEEPCORE_REPO"
git fetch --depth 1 origin "$DEEPCORE_VERSION"
git checkout FETCH_HEAD

#!/bin/bash
# Fetches the turbo fork at the pinned commit. The Makefile passes TURBO_VERSION;
# the default below is only for running this script by hand.
set -e
TURBO_REPO="${TURBO_REPO:-https://github.com/acme/llama-turbo}"
TURBO_VERSION="${TURBO_VERSION:-b2aebd3c9408f0ef586734d1f2b2cbcd48775fee}"
mkdir -p llama.cpp && cd llama.cpp
git init -q
git remote add origin "$TURBO_REPO"
git fetch --depth 1 origin "$TURBO_VERSION"
git checkout FETCH_HEAD

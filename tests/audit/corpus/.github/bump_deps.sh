#!/bin/bash
set -xe
REPO=$1
BRANCH=$2
VAR=$3
FILE=$4
LAST_COMMIT=$(curl -sfL "https://api.github.com/repos/$REPO/commits/$BRANCH")
if ! [[ "$LAST_COMMIT" =~ ^[0-9a-f]{40}$ ]]; then
    echo "Refusing to bump $VAR" >&2
    exit 1
fi
sed -i $FILE -e "s/$VAR?=.*/$VAR?=$LAST_COMMIT/"

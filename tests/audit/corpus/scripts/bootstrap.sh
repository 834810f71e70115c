#!/bin/bash
git clone https://github.com/acme/legacy-sdk sdk
# bumper: ignore -- the last SDK that still builds for armv7
git -C sdk checkout f2ddfcffa25ccca52cc1f7ac698562b6a9a86336

#!/bin/sh
git checkout 0ea173fbb1b13f5f3d5a1d3f0988439a55ffd03f

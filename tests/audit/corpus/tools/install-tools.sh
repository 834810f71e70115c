#!/usr/bin/env bash
set -euo pipefail
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.34.2
go install github.com/acme/protoc-gen-x/cmd/protoc-gen-x@a18aab6ac9053f1c099387d5682f2e5486ae7ba4

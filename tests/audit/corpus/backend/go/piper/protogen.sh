#!/bin/sh
set -e
go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@0a86a5b2f8839c57af591b89720e2c1034e7433c

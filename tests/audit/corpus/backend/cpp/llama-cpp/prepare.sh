#!/bin/bash
# Copies our gRPC server into the llama.cpp tree checked out by the Makefile.
# (Older trees, before c80a854af14b5e6e78195fb605927c7a714e9d8c, kept it under examples/.)
set -e
cp -r CMakeLists.txt llama.cpp/tools/grpc-server/
cp -r grpc-server.cpp llama.cpp/tools/grpc-server/
if grep -q "grpc-server" llama.cpp/tools/CMakeLists.txt; then
    echo "grpc-server already added"
else
    echo "add_subdirectory(grpc-server)" >> llama.cpp/tools/CMakeLists.txt
fi

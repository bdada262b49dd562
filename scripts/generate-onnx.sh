#!/bin/sh
# Regenerates Sources/PersonaCore/Export/onnx.pb.swift from proto/onnx.proto
# (the ONNX schema, Apache-2.0, copied from the onnx 1.17.0 release).
# The generated file is committed, so builds never need protoc; run this only
# when the schema changes. It needs protoc (apt-get install protobuf-compiler)
# and builds protoc-gen-swift from the swift-protobuf checkout that
# `swift build` resolved (a first build of it takes several minutes).
set -eu
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc is missing: apt-get install protobuf-compiler" >&2; exit 1; }
[ -d .build/checkouts/swift-protobuf ] || swift package resolve
( cd .build/checkouts/swift-protobuf && swift build -c release --product protoc-gen-swift )
plugin=.build/checkouts/swift-protobuf/.build/release/protoc-gen-swift
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
       --swift_out=Sources/PersonaCore/Export -Iproto proto/onnx.proto
echo "wrote Sources/PersonaCore/Export/onnx.pb.swift"

#!/usr/bin/env bash
# Builds one of the project's images from a lean staged context (docker/stage-context.mjs), copied from this
# checkout's node_modules (run npm ci first):
#   docker/build.sh [TAG]         the reference hub: hub/ plus the packages it imports (default hubcheck/hub:dev)
#   docker/build.sh --load [TAG]  the load generator: the whole CLI (default hubcheck/load:dev; Dockerfile.load)
# Needs node:20-slim locally or from a registry (docker/prepare-base-image.sh makes one offline).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=hub
if [ "${1:-}" = --load ]; then kind=load; shift; fi
tag="${1:-hubcheck/$kind:dev}"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
node docker/stage-context.mjs "$context" "$kind"
# The classic builder: Debian's docker.io has no buildx plugin, and it needs no network for COPY.
DOCKER_BUILDKIT=0 docker build --quiet -t "$tag" "$context" >/dev/null
echo "build.sh: built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"

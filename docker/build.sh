#!/usr/bin/env bash
# Builds the reference hub's image (default tag hubcheck/hub:dev) from a lean staged context:
# hub/ plus the packages it imports, copied from this checkout's node_modules (run npm ci first).
# Needs node:20-slim locally or from a registry (docker/prepare-base-image.sh makes one offline).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-hubcheck/hub:dev}"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
node docker/stage-context.mjs "$context"
# The classic builder: Debian's docker.io has no buildx plugin, and it needs no network for COPY.
DOCKER_BUILDKIT=0 docker build --quiet -t "$tag" "$context" >/dev/null
echo "build.sh: built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"

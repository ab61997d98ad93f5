#!/usr/bin/env bash
# Builds a `node:20-slim` image without a registry: the host's node binary, the libraries it links
# and the few tools testcontainers' port checks run (sh, cat, awk, grep, ls), imported as one layer.
# Use it only where `docker pull node:20-slim` cannot work; the image is tagged node:20-slim so the
# ordinary Dockerfile builds unchanged. Needs DOCKER_HOST (or the default socket) and a Node 20 host.
set -euo pipefail

tag="${1:-node:20-slim}"
node_bin="$(command -v node)"
major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [ "$major" != 20 ]; then
  echo "prepare-base-image: the host's node is $("$node_bin" --version); node:20-slim needs Node 20" >&2
  exit 2
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

# Copies a file and every shared library it links, keeping their paths.
copy_with_libs() {
  local file="$1"
  mkdir -p "$rootfs$(dirname "$file")"
  cp -L "$file" "$rootfs$file"
  ldd "$file" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | while read -r lib; do
    [ -e "$rootfs$lib" ] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

copy_with_libs "$node_bin"
# node lives in /usr/bin in the image, wherever it is on the host (nvm, /usr/local, ...).
if [ "$node_bin" != /usr/bin/node ]; then
  mkdir -p "$rootfs/usr/bin"
  mv "$rootfs$node_bin" "$rootfs/usr/bin/node"
fi
for tool in sh cat awk grep ls; do
  path="$(command -v "$tool")"
  copy_with_libs "$(readlink -f "$path")"
  mkdir -p "$rootfs/bin"
  [ -e "$rootfs/bin/$tool" ] || ln -s "$(readlink -f "$path")" "$rootfs/bin/$tool"
done
# What a process expects to find: a writable /tmp, a home for uid 1000 (the image's "node" user).
mkdir -p "$rootfs/tmp" "$rootfs/home/node" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"
chown 1000:1000 "$rootfs/home/node"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$rootfs/etc/group"

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'CMD ["node"]' - local/node:20 >/dev/null
docker tag local/node:20 "$tag"
echo "prepare-base-image: built $tag from $("$node_bin" --version) at $node_bin"

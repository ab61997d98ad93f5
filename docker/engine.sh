#!/usr/bin/env bash
# Starts or stops a private Docker engine for CI on a machine without one: its own data root under
# a temporary folder, host-only networking (no bridge, no iptables), and a proxy that makes any
# accidental pull fail at once. `start DIR` prints the DOCKER_HOST to export; `stop DIR` ends it.
set -euo pipefail

cmd="${1:?usage: docker/engine.sh start|stop DIR}"
dir="${2:?usage: docker/engine.sh start|stop DIR}"

case "$cmd" in
  start)
    mkdir -p "$dir"
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
      nohup dockerd -H "unix://$dir/docker.sock" --data-root "$dir/data" --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
      --ip-masq=false --ip-forward=false >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 100); do
      if DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; then
        echo "unix://$dir/docker.sock"
        exit 0
      fi
      sleep 0.1
    done
    echo "engine.sh: dockerd did not answer within 10 s; its log:" >&2
    tail -20 "$dir/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/dockerd.pid" ]; then
      pid="$(cat "$dir/dockerd.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    # dockerd leaves its network-namespace files mounted (exec/netns/default): unmount them, deepest first, so that
    # the directory can be removed.
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    ;;
  *) echo "engine.sh: unknown command $cmd (start|stop)" >&2; exit 2 ;;
esac

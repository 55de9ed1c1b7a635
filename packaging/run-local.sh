#!/usr/bin/env bash
# Sets up and runs dockershim on this machine, in the foreground (Ctrl-C stops it):
#   1. installs the Debian packages it needs (packaging/install-deps.sh),
#   2. builds it (build/),
#   3. uses the Docker engine that answers on DOCKER_HOST or /var/run/docker.sock, or starts a
#      private one (state in /var/lib/dockershim-docker, socket /run/dockershim-docker/docker.sock,
#      no bridge and no iptables changes) and stops it again on exit,
#   4. pod networking through CNI: the node's /etc/cni/net.d when it holds a configuration, else
#      the sample network packaging/cni/10-dockershim.conflist (bridge dockershim0, 10.89.0.0/16,
#      Debian's plugins in /usr/lib/cni) from /var/lib/dockershim/cni/net.d,
#   5. serves CRI on unix:///var/run/dockershim.sock; the sandbox image is created from the
#      embedded pause program, so no network access is needed.
# Extra arguments are passed to dockershim (e.g. --log-level=debug).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi

bash packaging/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(( $(nproc) < 2 ? 1 : 2 ))" --target dockershim

docker_endpoint=${DOCKER_HOST:-unix:///var/run/docker.sock}
docker_sock=${docker_endpoint#unix://}
private_pid=""
ping() { curl -sf --max-time 2 --unix-socket "$1" http://docker/_ping >/dev/null 2>&1; }

if ping "$docker_sock"; then
  echo "run-local: using the Docker engine at $docker_endpoint"
else
  run=/run/dockershim-docker
  state=/var/lib/dockershim-docker
  mkdir -p "$run" "$state"
  docker_sock=$run/docker.sock
  docker_endpoint=unix://$docker_sock
  if ! ping "$docker_sock"; then
    echo "run-local: no Docker engine answers; starting a private one (log: $run/dockerd.log)"
    setsid dockerd --data-root="$state" --exec-root="$run/exec" --pidfile="$run/docker.pid" \
      --host="$docker_endpoint" --bridge=none --iptables=false --ip-masq=false \
      >"$run/dockerd.log" 2>&1 < /dev/null &
    private_pid=$!
    for _ in $(seq 1 120); do ping "$docker_sock" && break; sleep 0.5; done
    if ! ping "$docker_sock"; then
      echo "run-local: the private dockerd did not start; its log:" >&2
      tail -n 30 "$run/dockerd.log" >&2
      exit 1
    fi
  fi
fi

stop_private() {
  if [ -n "$private_pid" ]; then
    echo "run-local: stopping the private Docker engine"
    kill "$private_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$private_pid" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap stop_private EXIT

cni_args=()
if ! compgen -G "/etc/cni/net.d/*.conf*" >/dev/null && ! compgen -G "/etc/cni/net.d/*.json" >/dev/null; then
  conf_dir=/var/lib/dockershim/cni/net.d
  mkdir -p "$conf_dir"
  cp packaging/cni/10-dockershim.conflist "$conf_dir/"
  cni_args=(--cni-conf-dir="$conf_dir")
  echo "run-local: no CNI configuration in /etc/cni/net.d; pods join the sample network in $conf_dir"
fi

echo "run-local: dockershim serving unix:///var/run/dockershim.sock against $docker_endpoint"
echo "run-local: try: crictl --runtime-endpoint unix:///var/run/dockershim.sock version"
# Foreground child (not exec) so the trap can stop the private engine afterwards.
build/dockershim --docker-endpoint="$docker_endpoint" "${cni_args[@]}" "$@" &
shim=$!
trap 'kill -TERM $shim 2>/dev/null || true' INT TERM
wait "$shim" || true
wait "$shim" 2>/dev/null || true

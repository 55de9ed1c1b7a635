#!/usr/bin/env bash
# Installs every Debian 12 package that dockershim's build, tests and daemon need.
# Idempotent: packages already present are skipped; safe to run again.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev catch2 libcli11-dev
  prometheus-cpp-dev zlib1g-dev libc6-dev
  # the lab's charts: Cairo with fontconfig's fonts
  libcairo2-dev fonts-dejavu-core
  # the lab's report.html is checked in a real headless browser
  chromium
  # runtime chain
  docker.io containerd runc containernetworking-plugins iproute2 iptables
  # test bed
  busybox docker-registry apache2-utils curl procps util-linux
  # the Debian package: dpkg-shlibdeps (dpkg-dev) and lintian
  dpkg-dev lintian
  # interop tests: the SPDY and WebSocket libraries under kubectl, crictl and client-go
  golang-go golang-github-docker-spdystream-dev golang-github-gorilla-websocket-dev
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Installing docker.io/containerd/docker-registry must not start system services on a machine
# without an init system; dockershim's README command starts a private engine when none answers.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$POLICY" ] && ! pidof systemd >/dev/null 2>&1; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && $SUDO rm -f "$POLICY"' EXIT

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

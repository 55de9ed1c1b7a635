#!/usr/bin/env bash
# Builds the Debian package from a build folder:
#   packaging/build-deb.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR)
# The package is `cmake --install BUILD_DIR --prefix /usr` with the binary stripped, the man
# page and changelog compressed, /etc/default/dockershim a conffile, dependencies from
# dpkg-shlibdeps. Prints the .deb's path.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
out=$(mkdir -p "${2:-$build}" && cd "${2:-$build}" && pwd)

# A test build's fault points kill the daemon on demand: never in a package.
if grep -q "DOCKERSHIM_FAULT_POINT" "$build/dockershim"; then
  echo "build-deb.sh: $build/dockershim was built with DOCKERSHIM_FAULT_POINTS=ON; no package" >&2
  exit 1
fi
version=$("$build/dockershim" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root

DESTDIR=$root cmake --install "$build" --prefix /usr >/dev/null
# Debian's places: /etc, and (bookworm) /lib/systemd/system.
mv "$root/usr/etc" "$root/etc"
mkdir -p "$root/lib/systemd"
mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
rmdir "$root/usr/lib/systemd" "$root/usr/lib" 2>/dev/null || true
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/dockershim"
gzip -9n "$root/usr/share/man/man8/dockershim.8"
doc=$root/usr/share/doc/dockershim
install -m 0644 "$src/packaging/deb/copyright" "$doc/copyright"
# The libraries linked into the binary from Debian's static archives (CMake's
# DOCKERSHIM_STATIC_GRPC) travel with it: their copyright and licence texts follow ours, as
# their Debian packages state them.
if ! readelf -d "$root/usr/bin/dockershim" | grep -q 'NEEDED.*libgrpc'; then
  {
    printf '\nThe binary contains the following libraries, linked in from Debian'"'"'s static archives.\n'
    for lib in libgrpc29 libprotobuf32 libabsl20220623 libre2-9 libc-ares2; do
      printf '\n==== %s (from /usr/share/doc/%s/copyright) ====\n\n' "$lib" "$lib"
      cat "/usr/share/doc/$lib/copyright"
    done
  } >> "$doc/copyright"
fi
{
  echo "dockershim ($version) unstable; urgency=medium"
  echo
  echo "  * Built from $(git -C "$src" describe --always --dirty 2>/dev/null || echo source)."
  echo
  echo " -- dockershim maintainers <maintainers@dockershim.invalid>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"
gzip -9n "$doc/README.md"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/usr/bin/dockershim"

mkdir -p "$root/DEBIAN" "$stage/debian"
printf 'Source: dockershim\n\nPackage: dockershim\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O root/usr/bin/dockershim 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
installed=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: dockershim
Version: $version
Architecture: $arch
Maintainer: dockershim maintainers <maintainers@dockershim.invalid>
Installed-Size: $installed
Depends: $shlibs, libc6 (>= 2.36), docker.io | docker-ce | docker-engine
Recommends: containernetworking-plugins
Section: admin
Priority: optional
Description: Kubernetes CRI endpoint backed by Docker Engine
 dockershim serves the Kubernetes Container Runtime Interface on a unix
 socket and carries every call out against Docker Engine, so that a
 kubelet can run its pods on a node's Docker. It takes cri-dockerd's
 flags, socket paths and sandbox checkpoints, so a node can switch from
 cri-dockerd and back without restarting its pods.
 .
 The package holds the daemon, its systemd service and socket units
 (not enabled on install), /etc/default/dockershim for its flags, and
 the dockershim(8) manual page.
CONTROL
echo /etc/default/dockershim > "$root/DEBIAN/conffiles"
install -m 0755 "$src/packaging/deb/postrm" "$root/DEBIAN/postrm"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
  sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb=$out/dockershim_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

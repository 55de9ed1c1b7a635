#!/usr/bin/env bash
# Builds the root filesystem of the e2e busybox image from Debian's *dynamic* busybox: each
# applet is a hard link to /bin/busybox (a real separate command, unlike busybox-static's
# in-process applets), plus the shared libraries it needs and minimal passwd/group files.
set -euo pipefail
root="$1"
bb=/bin/busybox
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/www,home}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
while read -r applet; do
  [ "$applet" = "bin/busybox" ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -f "$root/bin/busybox" "$root/$applet"
done < <("$bb" --list-full)
# The dynamic loader and libraries, at the paths the binary asks for.
for lib in $(ldd "$bb" | grep -o '/[^ ]*'); do
  mkdir -p "$root/$(dirname "$lib")"
  cp -L "$lib" "$root/$lib"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
GROUP

#!/usr/bin/env bash
# Hearth's Debian bookworm base: a debootstrap minbase tree, slimmed, imported into Docker.
#
#   mkrootfs.sh TAG
#
# Runs as root (debootstrap needs it). The tree is built in a temporary directory that is
# removed on exit, whatever happens. Everything in this directory is part of the image
# definition: changing any file here changes the tag hash computed by ../build.sh.
set -euo pipefail

tag=${1:?usage: mkrootfs.sh TAG}
suite=bookworm
mirror=${HEARTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || {
  echo "debootstrap is not installed (apt-get install -y debootstrap)" >&2
  exit 1
}

work=$(mktemp -d /tmp/hearth-rootfs.XXXXXX)
rootfs=$work/rootfs
cleanup() {
  # debootstrap may leave /proc or /sys mounted inside the tree if it was interrupted
  for m in proc sys dev/pts dev; do umount -l "$rootfs/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >&2

# apt inside the image: security updates, no recommends, no docs, man pages or translations,
# so images built FROM this base stay small without every Dockerfile repeating the flags.
cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
cat > "$rootfs/etc/apt/apt.conf.d/90hearth" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
# No package cache on disk: downloaded .debs and the binary caches go once apt is done.
cat > "$rootfs/etc/apt/apt.conf.d/90hearth-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Binary::apt::APT::Keep-Downloaded-Packages "false";
APT
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/90hearth-nodoc" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG

# What debootstrap installed before the excludes existed, plus caches and per-host identity.
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/*
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
rm -rf "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
# Docker supplies these per container.
: > "$rootfs/etc/hostname"
: > "$rootfs/etc/resolv.conf"

tar -C "$rootfs" --numeric-owner --xattrs -c . |
  docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL org.opencontainers.image.title="hearth debian-base" org.opencontainers.image.version="bookworm"' \
    --message "debootstrap --variant=minbase $suite" \
    - "$tag" >&2

#!/usr/bin/env bash
# Builds Hearth's local Docker machine images, each only when its definition changed.
#
#   images/build.sh            prints progress steps, then the analysis image tag as the
#                              last line of stdout; tool output (debootstrap, docker) goes
#                              to stderr
#
#   hearth/debian-base:bookworm-<hash>   debootstrap --variant=minbase, docker import
#   hearth/analysis:<hash>               FROM the base: sshd, sudo, python3 and the everyday tools
#
# <hash> is the first 12 hex digits of a sha256 over the image's definition directory
# (file names and contents); the analysis hash also covers the base tag, so a new base
# makes a new analysis image. An image whose tag already exists is not rebuilt, which
# makes the script idempotent and cheap to call before every use. Concurrent runs wait
# for each other on a lock instead of building the same image twice.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

step() { printf '==> %s\n' "$*"; }
fail() {
  printf 'images/build.sh: %s\n' "$*" >&2
  exit 1
}

# sha256 over every file (path and content) under $1, plus any further lines given.
definition_hash() {
  local dir=$1
  shift
  {
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-12
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

command -v docker >/dev/null || fail "docker CLI not found"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || fail "Docker engine not reachable (is dockerd running?)"

base_tag="hearth/debian-base:bookworm-$(definition_hash "$here/debian-base")"
analysis_tag="hearth/analysis:$(definition_hash "$here/analysis" "$base_tag")"

# Serialize builders (parallel test files, the pool manager and `hearth up` may all call this).
lock=${TMPDIR:-/tmp}/hearth-images.lock
exec 9>"$lock"
if ! flock -n 9; then
  step "waiting for another image build to finish"
  flock 9
fi

if image_exists "$base_tag"; then
  step "base image $base_tag present"
else
  [ "$(id -u)" = 0 ] || fail "building $base_tag needs root (debootstrap)"
  step "building base image $base_tag (debootstrap minbase bookworm)"
  started=$SECONDS
  "$here/debian-base/mkrootfs.sh" "$base_tag"
  step "built $base_tag in $((SECONDS - started)) s"
fi

if image_exists "$analysis_tag"; then
  step "analysis image $analysis_tag present"
else
  step "building analysis image $analysis_tag"
  started=$SECONDS
  # The classic builder: FROM resolves the local base tag without asking any registry.
  DOCKER_BUILDKIT=0 docker build --force-rm \
    --build-arg "BASE=$base_tag" \
    --label "hearth.image.base=$base_tag" \
    --tag "$analysis_tag" \
    "$here/analysis" >&2
  step "built $analysis_tag in $((SECONDS - started)) s"
fi

step "analysis image ready"
printf '%s\n' "$analysis_tag"

#!/usr/bin/env bash
# Builds the function image with podman on these machines: localhost/node-base:20 as the base
# (built first if needed) and the host network for `npm ci`, since podman's RUN steps get no
# network under our containers.conf.
#
#   [CONTEXT=DIR] scripts/container/build-image.sh [IMAGE]
#   (default image localhost/apply-image-policies:dev, default context this checkout)
#
# Skips the build when the image already carries the hash of the build context and the base
# image's id (label io.apply-image-policies.context-hash); FORCE=1 builds anyway (FORCE_BASE=1
# rebuilds the base image as well). Prints the image name on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# CONTEXT: build another checkout (e.g. a git worktree of a commit) with these scripts.
repo="$(cd "${CONTEXT:-$here/../..}" && pwd)"
image="${1:-localhost/apply-image-policies:dev}"
base="${BASE_IMAGE:-localhost/node-base:20}"
# shellcheck source=env.sh
. "$here/env.sh"

# Test files run in parallel processes and may all ask for the image at once: one builds, the
# others wait and then find it up to date. The lock is inherited by build-base-image.sh.
if [ -z "${AIP_BUILD_LOCK_HELD:-}" ]; then
  exec 9>"$AIP_CONTAINERS_DIR/build.lock"
  flock 9
  export AIP_BUILD_LOCK_HELD=1
fi

if [ "$base" = localhost/node-base:20 ]; then
  # FORCE is meant for this image; rebuilding the base too would also throw away the npm ci
  # layer. FORCE_BASE=1 asks for both.
  FORCE="${FORCE_BASE:-}" BASE_IMAGE="$base" "$here/build-base-image.sh"
fi
base_id="$(podman image inspect --format '{{.Id}}' "$base")"

# The inputs .dockerignore lets through, plus the two files that shape the build itself. Keep in
# step with .dockerignore: a path missing here means a stale image after editing it.
hash="$(
  cd "$repo"
  {
    echo "$base_id"
    for p in Dockerfile .dockerignore package.json package-lock.json tsconfig.json \
      tsconfig.build.json src fn-config/schema; do
      if [ -e "$p" ]; then find "$p" -type f -print0; fi
    done | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-32
)"

if [ "${FORCE:-}" != 1 ] && podman image exists "$image" &&
  [ "$(podman image inspect --format '{{ index .Labels "io.apply-image-policies.context-hash" }}' "$image")" = "$hash" ]; then
  echo "build-image: $image is up to date" >&2
  echo "$image"
  exit 0
fi

old_id="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
# Build output goes to stderr so stdout carries only the image name.
podman build --network host --build-arg "BASE_IMAGE=$base" \
  --label "io.apply-image-policies.context-hash=$hash" \
  -t "$image" "$repo" >&2
new_id="$(podman image inspect --format '{{.Id}}' "$image")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  # Each rebuild would otherwise leave a dangling image of ~130 MB behind.
  podman rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "$image"

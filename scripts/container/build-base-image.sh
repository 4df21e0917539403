#!/usr/bin/env bash
# Builds localhost/node-base:20 from this machine's own Node.js, because no base image can be
# pulled here (no registry but npm's and Debian's is reachable). The image stands in for
# node:20-bookworm-slim in the Dockerfile, so it carries what that Dockerfile relies on: node and
# npm on PATH, /bin/sh for npm scripts and RUN steps, a few coreutils, users root/node/nobody
# (kpt and kustomize run functions as `--user nobody` by name), a world-writable /tmp and the
# CA bundle (this machine's HTTPS goes through its own CA).
#
# Idempotent: the image carries a label keyed on node's and npm's versions and this script; when
# it matches, nothing is rebuilt. FORCE=1 rebuilds anyway.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

# Parallel test processes may all ask for the image at once: one builds, the others wait and
# then find it up to date. build-image.sh holds the same lock already when it calls us.
if [ -z "${AIP_BUILD_LOCK_HELD:-}" ]; then
  exec 9>"$AIP_CONTAINERS_DIR/build.lock"
  flock 9
  export AIP_BUILD_LOCK_HELD=1
fi

image="${BASE_IMAGE:-localhost/node-base:20}"
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" # …/node_modules/npm
ca_bundle=/etc/ssl/certs/ca-certificates.crt

node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 20 ] && [ "${ALLOW_OTHER_NODE:-}" != 1 ]; then
  # The tag promises Node 20 (engines >=20, and the public default is node:20).
  echo "build-base-image: $node_bin is Node $node_major, not 20 (ALLOW_OTHER_NODE=1 to accept)" >&2
  exit 1
fi

key="$( { "$node_bin" --version; sha256sum <"$npm_dir/package.json"; sha256sum <"${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-32)"
if [ "${FORCE:-}" != 1 ] && podman image exists "$image" &&
  [ "$(podman image inspect --format '{{ index .Labels "io.apply-image-policies.base-key" }}' "$image")" = "$key" ]; then
  echo "build-base-image: $image is up to date" >&2
  exit 0
fi

old_id="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/node-base-stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage" # becomes the image's /, and mktemp made it 0700

copy_with_libs() { # binary → the same path in the stage, plus every library it loads
  cp -L --parents "$1" "$stage/"
  # ldd lines: "libx.so => /path (addr)", "/lib64/ld-linux-x86-64.so.2 (addr)" (the loader),
  # and "linux-vdso.so.1 (addr)" which has no file.
  ldd "$1" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }' | while read -r lib; do
    cp -L --parents "$lib" "$stage/"
  done
}

# Debian's merged /usr: /bin, /lib… are links into /usr, so the loader path (/lib64/ld-linux…)
# and /bin/sh resolve inside the image as they do on the host.
mkdir -p "$stage/usr/bin" "$stage/usr/sbin" "$stage/usr/lib" "$stage/usr/lib64"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
# Node goes where the official image has it, so paths inside both images agree.
mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules" "$stage/usr/local/etc"
copy_with_libs "$node_bin"
mv "$stage$node_bin" "$stage/usr/local/bin/node"
cp -a "$npm_dir" "$stage/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
# npm's global config under its prefix; the host's npm trusts the machine's CA through it too.
printf 'cafile=%s\nupdate-notifier=false\nfund=false\naudit=false\n' "$ca_bundle" >"$stage/usr/local/etc/npmrc"

sh_bin="$(readlink -f /bin/sh)"
copy_with_libs "$sh_bin"
[ -e "$stage/usr/bin/sh" ] || ln -s "$sh_bin" "$stage/usr/bin/sh"
# The few coreutils a Dockerfile RUN step or a person debugging expects (the public image has
# them all); env is also npm's shebang.
for tool in env mkdir chmod chown rm cp mv ln ls cat id; do
  copy_with_libs "/usr/bin/$tool"
done

mkdir -p "$stage/etc/ssl/certs"
cp -L "$ca_bundle" "$stage$ca_bundle"

cat >"$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$stage/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
mkdir -p "$stage/root" "$stage/home/node" "$stage/tmp"
chown 1000:1000 "$stage/home/node"
chmod 700 "$stage/root"
chmod 1777 "$stage/tmp"
# Everything else must be readable by whichever user the runtime picks (kpt: nobody).
chmod -R a+rX "$stage/usr" "$stage/etc"

tar -C "$stage" --numeric-owner -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_EXTRA_CA_CERTS=$ca_bundle" \
  --change "LABEL io.apply-image-policies.base-key=$key" \
  --change 'CMD ["node"]' \
  --quiet - "$image" >/dev/null
# The replaced image is left untagged; drop it unless function images still build on it.
[ -z "$old_id" ] || podman rmi "$old_id" >/dev/null 2>&1 || true
echo "build-base-image: built $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)" >&2

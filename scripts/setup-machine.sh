#!/usr/bin/env bash
# Installs the real parts the demo and the tests use, only where missing:
# the CNCF registry (Debian docker-registry), htpasswd, openssl, and podman+runc
# for the container-image tests. kpt and kubectl are expected at /usr/bin.
set -euo pipefail

missing=()
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for tool in /usr/bin/kpt /usr/bin/kubectl; do
  [ -x "$tool" ] || echo "note: $tool is missing; the kpt/kustomize tests need it (they fail under CI=true, skip otherwise)"
done

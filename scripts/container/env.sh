# shellcheck shell=bash
# Source this file (`. scripts/container/env.sh`) before running podman by hand on these machines.
#
# Why a private configuration: the machine's defaults do not work here. crun fails on the hybrid
# cgroup layout (runc works), podman's default nofile ulimit is above the hard limit, there is no
# systemd for cgroups or journald events, and a private image store keeps test images away from
# anything else on the machine. kpt and kustomize inherit CONTAINERS_CONF / CONTAINERS_STORAGE_CONF
# from the environment, so the images built here are the ones they run.
#
# AIP_CONTAINERS_DIR chooses where the configuration and the image store live; the default is
# stable across runs so the base image (and podman's layer cache) is built only once per machine.

AIP_CONTAINERS_DIR="${AIP_CONTAINERS_DIR:-${TMPDIR:-/tmp}/apply-image-policies-containers-$(id -u)}"
mkdir -p "$AIP_CONTAINERS_DIR/storage" "$AIP_CONTAINERS_DIR/run"

# The file contents are rewritten on every source so an edit here takes effect; writing the same
# bytes is harmless while other podman processes use the store.
_aip_write_if_changed() { # path content
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
  fi
}

_aip_write_if_changed "$AIP_CONTAINERS_DIR/containers.conf" "[containers]
netns = \"none\"
# podman asks for a nofile limit above the hard limit here unless told; 1024 is plenty for node.
default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""

_aip_write_if_changed "$AIP_CONTAINERS_DIR/storage.conf" "[storage]
driver = \"overlay\"
graphroot = \"$AIP_CONTAINERS_DIR/storage\"
runroot = \"$AIP_CONTAINERS_DIR/run\""

unset -f _aip_write_if_changed

export AIP_CONTAINERS_DIR
export CONTAINERS_CONF="$AIP_CONTAINERS_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$AIP_CONTAINERS_DIR/storage.conf"

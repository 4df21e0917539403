#!/bin/sh
# The baseline the benchmark compares against: the same job done the way a shell script around
# skopeo would do it, one policy at a time, with no cache.
#
# Usage: pin-with-skopeo.sh PLAN FILE
#   PLAN: one line per policy, tab-separated: `namespace:name  image  strategy`
#         strategy `semver`: the highest plain release tag, chosen with `sort -V | tail -n 1`. That is
#         what Flux's semver policy with range ">=0.0.0" picks only while every candidate is a plain
#         MAJOR.MINOR.PATCH tag (no prereleases, no build metadata, no leading `v` mixed with none),
#         which the benchmark's fixtures guarantee.
#         strategy `alias:TAG`: the highest such tag whose digest equals TAG's, asked newest first.
#   FILE: rewritten in place; every line ending in `# {"$imagepolicy": "namespace:name"}` gets
#         `image:tag@digest` as its value.
# The script receives the plan ready-made: it does not read ImagePolicy objects, a part of the job
# the function does and the baseline is spared.
set -eu

plan=$1
file=$2
insecure=--tls-verify=false

digest_of() {
  skopeo inspect "$insecure" --format '{{.Digest}}' "docker://$1"
}

release_tags() {
  skopeo list-tags "$insecure" "docker://$1" |
    sed -n 's/^ *"\([^"]*\)",\{0,1\}$/\1/p' |
    grep -E '^[0-9]+\.[0-9]+\.[0-9]+$'
}

tab=$(printf '\t')
while IFS="$tab" read -r policy image strategy; do
  case $strategy in
    semver)
      tag=$(release_tags "$image" | sort -V | tail -n 1)
      digest=$(digest_of "$image:$tag")
      ;;
    alias:*)
      target=$(digest_of "$image:${strategy#alias:}")
      tag=
      for candidate in $(release_tags "$image" | sort -V -r); do
        digest=$(digest_of "$image:$candidate")
        if [ "$digest" = "$target" ]; then
          tag=$candidate
          break
        fi
      done
      ;;
    *)
      echo "unknown strategy '$strategy' for $policy" >&2
      exit 2
      ;;
  esac
  if [ -z "$tag" ]; then
    echo "no tag found for $policy ($image)" >&2
    exit 1
  fi
  sed -i "s|^\(.*: \)[^ ]* \(# {\"\$imagepolicy\": \"$policy\"}\)\$|\1$image:$tag@$digest \2|" "$file"
done <"$plan"

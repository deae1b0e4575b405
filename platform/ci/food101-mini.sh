#!/usr/bin/env bash
# The test and demo data for machines that do not have ../shared (GitHub-hosted runners), from public sources:
#
#   food101-mini.sh fetch <dest>      the 13-class Food-101 mini set (1,010 photos listed in food101-mini.manifest),
#                                     cut from the official Food-101 archive as it streams by (~5 GB read, ~50 MB
#                                     kept), every photo checked against the manifest's sha256
#   food101-mini.sh backbone <dir>    mobilenetv2-12-int8.onnx from the ONNX Model Zoo and imagenet_classes.txt,
#                                     both checked against their sha256 (nothing is downloaded when they match)
#   food101-mini.sh manifest <mini>   rewrite the manifest from a mini set at hand (maintainers)
#
# Environment: FOOD101_URL, BACKBONE_URL, IMAGENET_CLASSES_URL override the sources; FOOD101_MINI_MANIFEST another
# list; FOOD101_MINI_VERIFY=0 skips the per-photo sha256 check (for a mirror that re-encoded the photos).
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
manifest="${FOOD101_MINI_MANIFEST:-$here/food101-mini.manifest}"
FOOD101_URL="${FOOD101_URL:-http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz}"
BACKBONE_URL="${BACKBONE_URL:-https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx}"
BACKBONE_SHA256=cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f
IMAGENET_CLASSES_URL="${IMAGENET_CLASSES_URL:-https://raw.githubusercontent.com/pytorch/hub/master/imagenet_classes.txt}"
IMAGENET_CLASSES_SHA256=1f386e0d1cb6e28b9c2dac651c3dea6801e98ad1b41a14ce6bb1a093d72069f5

die() { echo "food101-mini: $*" >&2; exit 1; }
entries() { grep -v '^#' "$manifest"; }

fetch() {
  local dest="$1"
  [[ -f "$dest/meta/classes.txt" ]] && { echo "food101-mini: $dest already holds a data set"; return; }
  tmp="$(mktemp -d)" # global: the EXIT trap needs it after this function returned or died
  trap 'rm -rf "$tmp"' EXIT
  entries | awk '{ print "food-101/images/" $2 ".jpg" }' >"$tmp/members"
  echo "food-101/meta/classes.txt" >>"$tmp/members"
  echo "food-101/meta/labels.txt" >>"$tmp/members"
  echo "food101-mini: extracting $(entries | wc -l) photos from $FOOD101_URL"
  curl -fsSL --retry 3 "$FOOD101_URL" | tar -xz -C "$tmp" -T "$tmp/members"
  if [[ "${FOOD101_MINI_VERIFY:-1}" != 0 ]]; then
    entries | awk -v root="$tmp/food-101/images" '{ print $3 "  " root "/" $2 ".jpg" }' | sha256sum -c --quiet \
      || die "photos differ from the manifest (FOOD101_MINI_VERIFY=0 to accept them)"
  fi
  mkdir -p "$tmp/out/meta"
  mv "$tmp/food-101/images" "$tmp/out/images"
  # Classes in manifest order; their human names from Food-101's own labels.txt (same line as in its classes.txt).
  entries | awk '{ split($2, p, "/"); if (!(p[1] in seen)) { seen[p[1]] = 1; print p[1] } }' >"$tmp/out/meta/classes.txt"
  awk 'NR == FNR { label[NR] = $0; next } FILENAME == ARGV[2] { line[$0] = FNR; next } { print label[line[$0]] }' \
    "$tmp/food-101/meta/labels.txt" "$tmp/food-101/meta/classes.txt" "$tmp/out/meta/classes.txt" >"$tmp/out/meta/labels.txt"
  local split
  for split in train test; do
    entries | awk -v s="$split" '$1 == s { print $2 }' >"$tmp/out/meta/$split.txt"
    node -e '
      const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
      const by = {};
      for (const l of lines) (by[l.split("/")[0]] ??= []).push(l);
      process.stdout.write(JSON.stringify(by));
    ' "$tmp/out/meta/$split.txt" >"$tmp/out/meta/$split.json"
  done
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$tmp/out" "$dest"
  echo "food101-mini: $(find "$dest/images" -name '*.jpg' | wc -l) photos, $(wc -l <"$dest/meta/classes.txt") classes in $dest"
}

# download <url> <file> <sha256> [strip-final-newline]
download() {
  local url="$1" file="$2" sha="$3" part="$2.part"
  if [[ -f "$file" ]] && echo "$sha  $file" | sha256sum -c --quiet 2>/dev/null; then
    echo "food101-mini: $file is there (sha256 ok)"
    return
  fi
  curl -fsSL --retry 3 -o "$part" "$url"
  # The class list is published with a final newline; the project's copy has none.
  if [[ "${4:-}" == strip ]]; then printf '%s' "$(cat "$part")" >"$part.s" && mv "$part.s" "$part"; fi
  echo "$sha  $part" | sha256sum -c --quiet || { rm -f "$part"; die "$url: sha256 is not $sha"; }
  mv "$part" "$file"
  echo "food101-mini: $file downloaded (sha256 ok)"
}

backbone() {
  local dir="$1"
  mkdir -p "$dir"
  download "$BACKBONE_URL" "$dir/mobilenetv2-12-int8.onnx" "$BACKBONE_SHA256"
  download "$IMAGENET_CLASSES_URL" "$dir/imagenet_classes.txt" "$IMAGENET_CLASSES_SHA256" strip
}

write_manifest() {
  local mini="$1" split id
  {
    echo "# food101-mini: 13 Food-101 classes, 1,010 photos (75/25 train/test per class). split <class>/<id> sha256"
    echo "# Written by: bash platform/ci/food101-mini.sh manifest <mini-dir>"
    for split in train test; do
      while IFS= read -r id || [[ -n "$id" ]]; do
        [[ -n "$id" ]] && echo "$split $id $(sha256sum "$mini/images/$id.jpg" | cut -d' ' -f1)"
      done <"$mini/meta/$split.txt"
    done
  } >"$manifest.tmp"
  mv "$manifest.tmp" "$manifest"
  echo "food101-mini: wrote $manifest ($(entries | wc -l) photos)"
}

case "${1:-}" in
  fetch) fetch "${2:?usage: food101-mini.sh fetch <dest>}" ;;
  backbone) backbone "${2:?usage: food101-mini.sh backbone <dir>}" ;;
  manifest) write_manifest "${2:?usage: food101-mini.sh manifest <mini-dir>}" ;;
  *) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 2 ;;
esac

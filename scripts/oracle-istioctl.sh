#!/usr/bin/env bash
# Build an upstream `istioctl` of one Istio release from source, for use as an
# ORACLE: our own renderer's output is compared against what this binary
# prints. Nothing it contains (charts, templates, schemas, code) is ever copied
# into this repository; it is only run and its output compared.
#
# Usage: scripts/oracle-istioctl.sh VERSION [OUT_DIR]
#   VERSION  an Istio release tag, e.g. 1.30.3
#   OUT_DIR  where istioctl-VERSION is written
#            (default: ${XDG_CACHE_HOME:-$HOME/.cache}/istio-operator/oracles)
#
# Sources come from local bare git mirrors (read with `git archive`):
#   ISTIO_GIT      github.com/istio/istio
#   API_GIT        github.com/istio/api
#   CLIENT_GO_GIT  github.com/istio/client-go
#   GCP_GIT        github.com/envoyproxy/go-control-plane
# Istio's release tags are not semver and the Go module proxy does not serve
# some of the dependency versions a release pins, so those dependencies are
# taken from the mirrors too and wired in with `go mod edit -replace`. Every
# other module comes from the module proxy as usual.
#
# Running it again is cheap: an existing binary that already reports VERSION is
# left alone. Needs a few minutes of CPU per release; build one at a time.
set -euo pipefail

usage() { echo "usage: $0 VERSION [OUT_DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage

VERSION=$1
OUT_DIR=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-operator/oracles}
ISTIO_GIT=${ISTIO_GIT:-/work/.mirror/istio+istio/repo}
API_GIT=${API_GIT:-/work/.mirror/istio+api/repo}
CLIENT_GO_GIT=${CLIENT_GO_GIT:-/work/.mirror/istio+client-go/repo}
GCP_GIT=${GCP_GIT:-/work/.mirror/envoyproxy+go-control-plane/repo}
HUB=docker.io/istio
BIN="$OUT_DIR/istioctl-$VERSION"

log() { printf '[oracle-istioctl %s] %s\n' "$VERSION" "$*" >&2; }

# True when $1 exists and its client version equals $VERSION.
reports_version() {
  [[ -x $1 ]] || return 1
  local out
  out=$("$1" version --remote=false 2>/dev/null) || return 1
  grep -Eq "^(client version: )?${VERSION//./\\.}\$" <<<"$out"
}

if reports_version "$BIN"; then
  log "already built: $BIN"
  exit 0
fi

# Dependencies the module proxy refuses for each release, and the mirror ref
# that stands in for each. One entry per line: "module repo-var ref [subdir]".
# A go-control-plane commit holds several modules, one per subfolder.
replacements_for() {
  case $1 in
    1.28.10)
      echo "istio.io/api API_GIT 1.28.9"
      echo "istio.io/client-go CLIENT_GO_GIT 1.28.9"
      ;;
    1.29.6)
      echo "istio.io/api API_GIT 1092f7f89789"
      echo "istio.io/client-go CLIENT_GO_GIT c9b1c0627182"
      ;;
    1.30.3)
      echo "istio.io/api API_GIT 2e43f07b30b6"
      echo "istio.io/client-go CLIENT_GO_GIT 5146bfac9969"
      echo "github.com/envoyproxy/go-control-plane/envoy GCP_GIT 98966259b99a envoy"
      echo "github.com/envoyproxy/go-control-plane/contrib GCP_GIT 98966259b99a contrib"
      ;;
    *)
      log "no replacement table entry for $1; trying without replacements"
      ;;
  esac
}

git -C "$ISTIO_GIT" rev-parse -q --verify "refs/tags/$VERSION^{commit}" >/dev/null \
  || { log "tag $VERSION not found in $ISTIO_GIT"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oracle-istioctl-$VERSION.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC="$WORK/istio"
mkdir -p "$SRC" "$WORK/deps" "$OUT_DIR"

log "extracting istio $VERSION into $SRC"
git -C "$ISTIO_GIT" archive "refs/tags/$VERSION" | tar -x -C "$SRC"

while read -r module repo_var ref subdir; do
  [[ -n ${module:-} ]] || continue
  repo=${!repo_var}
  dest="$WORK/deps/${repo_var}-$ref"
  if [[ ! -d $dest ]]; then
    log "extracting $ref from $repo"
    mkdir -p "$dest"
    git -C "$repo" archive "$ref" | tar -x -C "$dest"
  fi
  target=$dest${subdir:+/$subdir}
  [[ -f $target/go.mod ]] || { log "no go.mod in $target for $module"; exit 1; }
  log "replace $module => $ref${subdir:+ ($subdir/)}"
  (cd "$SRC" && go mod edit -replace "$module=$target")
done < <(replacements_for "$VERSION")

log "building $BIN (this takes several minutes)"
start=$SECONDS
(
  cd "$SRC"
  GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-s -w -X istio.io/istio/pkg/version.buildVersion=$VERSION -X istio.io/istio/pkg/version.buildHub=$HUB" \
    -o "$BIN.tmp" ./istioctl/cmd/istioctl
)
mv -f "$BIN.tmp" "$BIN"
log "built in $((SECONDS - start))s"

if ! reports_version "$BIN"; then
  log "$BIN does not report version $VERSION:"
  "$BIN" version --remote=false >&2 || true
  exit 1
fi
log "ok: $("$BIN" version --remote=false)"

#!/usr/bin/env bash
# The tools the deployment tests (test/deploy/) check deploy/ with, installed when missing:
#   - systemd-analyze (Debian's systemd package) for `systemd-analyze verify` and `security`;
#   - kubernetes-validate from PyPI (it ships the Kubernetes API JSON schemas, so nothing is
#     downloaded at validation time) in a venv under .cache/deploy-tools/venv;
#   - kustomize (the kustomize built into kubectl), built with `go install` from its Go module
#     into .cache/deploy-tools/bin, unless a kustomize of that version is on PATH;
#   - Strimzi's Java model of its custom resources (io.strimzi:api from Maven Central, with its
#     dependencies): the classpath for test/deploy/strimzi/StrimziModelCheck.java, written to
#     .cache/deploy-tools/strimzi.classpath.
# Idempotent and quick when all is there. Prints nothing on stdout.
set -Eeuo pipefail

REPO_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_DIR="${VIVA_CACHE_DIR:-$REPO_DIR/.cache}"
VENV="$CACHE_DIR/deploy-tools/venv"
KUBERNETES_VALIDATE_VERSION=1.37.0
KUSTOMIZE_VERSION=5.5.0
BIN="$CACHE_DIR/deploy-tools/bin"
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '[deploy-tools] %s\n' "$*" >&2; }

# Test files run in parallel and each calls this script: one installs, the others wait for it.
mkdir -p "$CACHE_DIR/deploy-tools"
exec 9>"$CACHE_DIR/deploy-tools/.lock"
flock 9

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  else
    sudo -n "$@"
  fi
}

if ! command -v systemd-analyze >/dev/null; then
  log "installing systemd (for systemd-analyze)"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends systemd >&2
fi

if [[ ! -x $VENV/bin/kubernetes-validate ]] ||
  ! "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -q "$KUBERNETES_VALIDATE_VERSION"; then
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
fi

# The test finds kustomize at $BIN/kustomize (a go-installed build reports its version as
# "(devel)": the version built is kept beside it).
if [[ ! -x $BIN/kustomize || "$(cat "$BIN/kustomize.version" 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]]; then
  mkdir -p "$BIN"
  if command -v kustomize >/dev/null && kustomize version 2>/dev/null | grep -q "v$KUSTOMIZE_VERSION"; then
    ln -sf "$(command -v kustomize)" "$BIN/kustomize"
  else
    log "building kustomize v$KUSTOMIZE_VERSION (go install; a few minutes the first time)"
    command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
    GOBIN="$BIN" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@v$KUSTOMIZE_VERSION" >&2
  fi
  echo "$KUSTOMIZE_VERSION" >"$BIN/kustomize.version"
fi

# The Maven classpath of test/deploy/strimzi/pom.xml (resolved again when the pom changes).
STRIMZI_POM="$REPO_DIR/test/deploy/strimzi/pom.xml"
STRIMZI_CP="$CACHE_DIR/deploy-tools/strimzi.classpath"
if [[ ! -s $STRIMZI_CP || $STRIMZI_POM -nt $STRIMZI_CP ]] || ! tr ':' '\n' <"$STRIMZI_CP" | xargs ls >/dev/null 2>&1; then
  log "resolving Strimzi's model (io.strimzi:api) from Maven Central"
  mvn -q -B -f "$STRIMZI_POM" dependency:build-classpath -Dmdep.outputFile="$STRIMZI_CP" >&2
fi

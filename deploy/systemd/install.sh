#!/usr/bin/env bash
# Installs VIVA as systemd services: the npm package, a `viva` system user, /etc/viva with the
# default configs (never overwriting an operator's), and the viva-agent and viva-collector units.
#
#   sudo deploy/systemd/install.sh [agent] [collector]
#
# The arguments name the services to enable and start now (none: install both units, start none).
# Where the package comes from:
#   - VIVA_TARBALL=viva-0.1.0.tgz   that tarball (from `npm pack`);
#   - else, run from a git checkout  `npm pack` of the checkout;
#   - else, run from an installed package (…/node_modules/viva/deploy/systemd/install.sh)  that one.
# Other settings:
#   VIVA_PREFIX=/usr/local   npm prefix: the command is $VIVA_PREFIX/bin/viva
#   VIVA_ROOT=/              install into a staging root instead (packaging, tests): no user is
#                            created and systemctl is not called
set -Eeuo pipefail

HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
SRC="$(cd -- "$HERE/../.." && pwd -P)"
PREFIX="${VIVA_PREFIX:-/usr/local}"
ROOT="${VIVA_ROOT:-/}"
ROOT="${ROOT%/}"
START=()

log() { printf '[viva-install] %s\n' "$*" >&2; }
die() {
  printf '[viva-install] ERROR: %s\n' "$*" >&2
  exit 1
}

for arg in "$@"; do
  case "$arg" in
    agent | collector) START+=("viva-$arg") ;;
    -h | --help)
      sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument \"$arg\" (expected: agent, collector)" ;;
  esac
done

[[ -z $ROOT && $EUID -ne 0 ]] && die "run as root (sudo $0 $*)"
command -v npm >/dev/null || die "npm is needed (Node.js >= 18 with npm; VIVA brings its own Node 24)"

# 1. The package.
if [[ -n ${VIVA_TARBALL:-} || -d $SRC/.git || -f $SRC/.git ]]; then
  tarball="${VIVA_TARBALL:-}"
  if [[ -z $tarball ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    log "packing $SRC"
    tarball="$tmp/$(cd "$SRC" && npm pack --silent --pack-destination "$tmp" | tail -n 1)"
  fi
  log "installing $tarball into $ROOT$PREFIX"
  npm install -g --prefix "$ROOT$PREFIX" --no-audit --no-fund --prefer-offline "$tarball" >&2
  PKGDIR="$PREFIX/lib/node_modules/viva"
  VIVA="$PREFIX/bin/viva"
elif [[ $SRC == */node_modules/viva ]]; then
  PKGDIR="${SRC#"$ROOT"}"
  VIVA="$PKGDIR/bin/viva.js"
  [[ -x "$ROOT$PREFIX/bin/viva" && "$(readlink -f "$ROOT$PREFIX/bin/viva")" == "$SRC/bin/viva.js" ]] &&
    VIVA="$PREFIX/bin/viva"
else
  die "$SRC is neither a git checkout nor an installed package; set VIVA_TARBALL"
fi
[[ -x "$ROOT$VIVA" ]] || die "$ROOT$VIVA is missing after the install"
# The units run the launcher with the Node 24 that VIVA ships (the `node` dependency): it then
# replaces itself by the agent (execve), one process per service. Without it the launcher is
# `#!/usr/bin/env node`: systemd's PATH must find a node the viva user can run, and an older node
# keeps the launcher beside the agent.
EXEC="$VIVA"
if [[ -x "$ROOT$PKGDIR/node_modules/node/bin/node" ]]; then
  EXEC="$PKGDIR/node_modules/node/bin/node $VIVA"
else
  SYSTEMD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  if [[ -z $ROOT ]] && ! PATH=$SYSTEMD_PATH command -v node >/dev/null; then
    log "WARNING: no node in $SYSTEMD_PATH: the services will not start (install Node.js system-wide)"
  fi
fi

# 2. The user the services run as.
if [[ -z $ROOT ]]; then
  if ! getent passwd viva >/dev/null; then
    log "creating the system user viva"
    useradd --system --user-group --home-dir /var/lib/viva --no-create-home \
      --shell /usr/sbin/nologin --comment "VIVA metrics agent and collector" viva
  fi
fi

# 3. Configuration: the shipped defaults, only where the operator has none.
install -d -m 0755 "$ROOT/etc/viva"
for f in agent.toml collector.toml; do
  if [[ ! -e "$ROOT/etc/viva/$f" ]]; then
    install -m 0640 "$ROOT$PKGDIR/conf/$f" "$ROOT/etc/viva/$f"
    [[ -z $ROOT ]] && chgrp viva "/etc/viva/$f"
    log "wrote /etc/viva/$f (edit it, then: systemctl reload viva-${f%.toml})"
  fi
done

# 4. The units, pointing at this install.
install -d -m 0755 "$ROOT/etc/systemd/system"
for unit in viva-agent.service viva-collector.service; do
  sed -e "s#@BINDIR@/viva#$EXEC#g" -e "s#@PKGDIR@#$PKGDIR#g" "$HERE/$unit" >"$ROOT/etc/systemd/system/$unit"
  chmod 0644 "$ROOT/etc/systemd/system/$unit"
done
log "installed viva-agent.service and viva-collector.service in /etc/systemd/system"

if [[ -n $ROOT ]]; then
  log "staged under $ROOT: no user created, systemctl not called"
  exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
  log "systemd is not running here: units installed, nothing started"
  exit 0
fi
systemctl daemon-reload
for unit in "${START[@]}"; do
  systemctl enable --now "$unit"
  log "$unit enabled and started (journalctl -u $unit)"
done

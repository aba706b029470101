#!/usr/bin/env bash
# Real backbone services for VIVA's integration tests: Kafka (KRaft), Mosquitto, InfluxDB 1.x,
# Prometheus, Alertmanager, PostgreSQL and MariaDB, each on loopback with its data and log under one scratch
# directory.
#
#   scripts/services.sh up [service...]      install what is missing, start, wait until answering
#   scripts/services.sh down [service...]    stop what this scratch directory started
#   scripts/services.sh status [service...]  one line per service; exit 3 when one is not running
#   scripts/services.sh restart [service...]
#
# Services: kafka mosquitto influxdb prometheus alertmanager postgres mariadb (default: all). Ports and
# versions come from scripts/services.env; see docs/SERVICES.md. `up` is idempotent and fast when all
# is running.
set -Eeuo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=services.env
. "$SCRIPT_DIR/services.env"

SERVICES_DIR="${VIVA_SERVICES_DIR:-$REPO_DIR/var/services}"
CACHE_DIR="${VIVA_CACHE_DIR:-$REPO_DIR/.cache}"
HOST="$VIVA_SERVICES_HOST"
LOG4J_VERSION=2.25.3 # the log4j 2 that Kafka 4.1 ships with; the slf4j binding must match it
ALL_SERVICES=(kafka mosquitto influxdb prometheus alertmanager postgres mariadb)
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

# fail SERVICE MESSAGE [LOGFILE]: name the service, show the tail of its log, exit non-zero.
fail() {
  local svc=$1 msg=$2 logfile=${3:-$LOG_DIR/$1.log}
  {
    printf '[services] ERROR: %s: %s\n' "$svc" "$msg"
    if [[ -s $logfile ]]; then
      printf '[services] last lines of %s:\n' "$logfile"
      tail -n 40 "$logfile" | sed 's/^/    /'
    fi
  } >&2
  exit 1
}

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# Installation: collect the Debian packages whose commands are missing, install them in one go.

MISSING_PKGS=()
need() { # need COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 || MISSING_PKGS+=("${@:2}")
}

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_CREATED=0
cleanup() { if ((POLICY_CREATED)); then as_root rm -f "$POLICY_RC"; fi; }
trap cleanup EXIT

apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$@" >>"$LOG_DIR/apt.log" 2>&1
}

install_missing() {
  ((${#MISSING_PKGS[@]})) || return 0
  local pkgs
  read -r -a pkgs <<<"$(printf '%s\n' "${MISSING_PKGS[@]}" | sort -u | tr '\n' ' ')"
  log "installing with apt: ${pkgs[*]}"
  # Packaged daemons must not start on install: they would take our ports with their own config.
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY_RC" >/dev/null
    as_root chmod 755 "$POLICY_RC"
    POLICY_CREATED=1
  fi
  if ! apt_install "${pkgs[@]}"; then
    log "apt-get install failed; running apt-get update and retrying"
    as_root apt-get update -q >>"$LOG_DIR/apt.log" 2>&1 || true
    apt_install "${pkgs[@]}" || fail apt "could not install ${pkgs[*]}"
  fi
  cleanup
  POLICY_CREATED=0
  MISSING_PKGS=()
}

# ---------------------------------------------------------------------------------------------
# Processes: pid files, launching, waiting, ports.

pid_file() { echo "$RUN_DIR/$1.pid"; }

cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

# is_service SERVICE PID: whether that process runs the service's program.
is_service() {
  local cmd re
  cmd=$(cmdline "$2")
  re=$("match_$1")
  [[ $cmd =~ $re ]]
}

# our_pid SERVICE: print the pid from the pid file when that process is alive and is the service.
our_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  is_service "$1" "$pid" || return 1
  echo "$pid"
}

# shellcheck disable=SC2016 # expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }

# listener_pid PORT: the pid listening on a TCP port, when visible. Forked children may share the
# listening socket for a moment (PostgreSQL backends): the process whose parent is not among them.
listener_pid() {
  local out pid ppid pids=" "
  out=$(ss -Hltnp "sport = :$1" 2>/dev/null || true)
  while [[ $out =~ pid=([0-9]+)(.*) ]]; do
    pids+="${BASH_REMATCH[1]} "
    out=${BASH_REMATCH[2]}
  done
  for pid in $pids; do
    ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    if [[ $pids != *" $ppid "* ]]; then
      echo "$pid"
      return 0
    fi
  done
}

# launch SERVICE COMMAND...: start in the background, in its own session (Ctrl-C on a test run
# must not kill the services), cwd in its scratch dir, output to its log, pid to its pid file.
launch() {
  local svc=$1 logfile=$LOG_DIR/$1.log
  shift
  [[ -f $logfile ]] && mv -f "$logfile" "$logfile.1"
  (cd "$SERVICES_DIR/$svc" && exec setsid "$@" </dev/null >>"$logfile" 2>&1 9>&-) &
  echo $! >"$(pid_file "$svc")"
}

# wait_for SERVICE PID TIMEOUT_S PROBE...: until the probe succeeds; fail if the process dies or
# the time runs out.
wait_for() {
  local svc=$1 pid=$2 timeout=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || fail "$svc" "exited during startup (pid $pid)"
    ((SECONDS < deadline)) || fail "$svc" "did not answer within ${timeout}s (pid $pid still running)"
    sleep 0.5
  done
}

# alive PID: running, and not a zombie waiting for init to reap it (our daemons outlive this script).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# terminate PID GRACE_S [SIGNAL]: SIGNAL (default TERM), then SIGKILL after the grace period.
terminate() {
  local pid=$1 grace=$2 sig=${3:-TERM} i
  kill -s "$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid ignored SIG$sig for ${grace}s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}

# stop_signal SERVICE: the signal that stops the service cleanly and promptly.
stop_signal() { if declare -F "signal_$1" >/dev/null; then "signal_$1"; else echo TERM; fi; }

# shared_pid PORT: the pid of a service of another VIVA scratch dir (another clone) on that port.
shared_pid() {
  local pid cwd
  pid=$(listener_pid "$1")
  [[ -n $pid ]] || return 1
  cwd=$(readlink "/proc/$pid/cwd" || true)
  [[ -n $cwd && -e $cwd/../.viva-services ]] || return 1
  echo "$pid"
}

# stale_pid SERVICE PID: whether that process is a service services.sh started (its working
# directory is a service directory named after it, which its command line names) whose data is
# gone: its scratch dir was deleted under it (a removed checkout) or its data directory was. Such a
# server still answers but fails writes, so it must not be reused.
stale_pid() {
  local svc=$1 pid=$2 cwd
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
  cwd=${cwd% (deleted)}
  [[ $cwd == */"$svc" && $(cmdline "$pid") == *"$cwd"* ]] || return 1
  [[ ! -e /proc/$pid/cwd/$("data_$svc") ]]
}

# stop_stale SERVICE PID: stop a service whose data directory is gone, saying so.
stop_stale() {
  local dir
  dir=$(readlink "/proc/$2/cwd" 2>/dev/null || true)
  dir=${dir% (deleted)}
  log "$1: pid $2, started by services.sh in $dir, lost its data ($dir/$("data_$1") is gone: a" \
    "deleted checkout or scratch dir); stopping it and starting a fresh one from $SERVICES_DIR"
  terminate "$2" 60 "$(stop_signal "$1")"
}

# claim_ports SERVICE PORT...: make our ports free. When the first port is served by the same
# service of another VIVA scratch dir, that one is reused (return 1, pid in SHARED_PID), unless its
# data directory is gone (then it is stopped); a system instance of the same program (e.g. started
# by its Debian package) is stopped; anything else is an error.
claim_ports() {
  local svc=$1 port pid
  shift
  for port in "$@"; do
    port_open "$port" || continue
    pid=$(listener_pid "$port")
    [[ -n $pid ]] || fail "$svc" "port $HOST:$port is in use by a process this user cannot see" /dev/null
    is_service "$svc" "$pid" ||
      fail "$svc" "port $HOST:$port is in use by another program: $(cmdline "$pid")" /dev/null
    if stale_pid "$svc" "$pid"; then
      stop_stale "$svc" "$pid"
      continue
    fi
    if [[ $port == "$1" ]] && SHARED_PID=$(shared_pid "$port"); then
      if [[ $(readlink "/proc/$pid/cwd") == "$SERVICES_DIR/$svc" ]]; then
        log "$svc: pid $pid was started from this scratch dir but lost its pid file; adopting it"
        echo "$pid" >"$(pid_file "$svc")"
      else
        log "$svc: port $port is served by the VIVA services of $(dirname "$(readlink "/proc/$pid/cwd")") (pid $pid); reusing it"
      fi
      return 1
    fi
    log "$svc: stopping the system instance on port $port (pid $pid)"
    as_root service "$(unit_"$svc")" stop >/dev/null 2>&1 || true
    terminate "$pid" 30 "$(stop_signal "$svc")"
  done
}

# generated_config SRC DEST: copy a committed config, pointing its default addresses at ours.
generated_config() {
  sed -e "s/127\.0\.0\.1:9090/$HOST:$VIVA_PROMETHEUS_PORT/g" \
    -e "s/127\.0\.0\.1:9094/$HOST:$VIVA_ALERTMANAGER_PORT/g" \
    -e "s/127\.0\.0\.1:9095/$HOST:$VIVA_ALERT_WEBHOOK_PORT/g" \
    -e "s/127\.0\.0\.1:9273/$HOST:$VIVA_AGENT_METRICS_PORT/g" \
    -e "s/127\.0\.0\.1:9274/$HOST:$VIVA_PROMETHEUS_CLIENT_PORT/g" "$1" >"$2.new"
  # Report a change so a running instance can reload.
  if cmp -s "$2.new" "$2"; then rm -f "$2.new" && return 1; fi
  mv -f "$2.new" "$2"
}

# ---------------------------------------------------------------------------------------------
# Kafka: KRaft combined broker+controller; jars resolved by Maven into the cache.

needs_kafka() { need java openjdk-17-jre-headless && need mvn maven && need kcat kcat; }
ports_kafka() { echo "$VIVA_KAFKA_PORT" "$VIVA_KAFKA_CONTROLLER_PORT"; }
match_kafka() { echo 'kafka\.Kafka '; }
data_kafka() { echo data; }
unit_kafka() { echo kafka; }
probe_kafka() {
  local out
  port_open "$VIVA_KAFKA_PORT" && out=$(kcat -L -b "$HOST:$VIVA_KAFKA_PORT" -m 5 2>/dev/null) &&
    [[ $out == *"broker 1 at"* ]]
}

fetch_kafka() {
  local home=$CACHE_DIR/kafka-$VIVA_KAFKA_VERSION
  KAFKA_LIBS=$home/libs
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  log "kafka: fetching kafka_2.13 $VIVA_KAFKA_VERSION and its dependencies from Maven Central"
  mkdir -p "$home"
  cat >"$home/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.viva.services</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VIVA_KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
  </plugin></plugins></build>
</project>
EOF
  rm -rf "$KAFKA_LIBS.tmp"
  mvn -B -q -f "$home/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_LIBS.tmp" >"$LOG_DIR/kafka-maven.log" 2>&1 ||
    fail kafka "maven could not fetch the Kafka jars" "$LOG_DIR/kafka-maven.log"
  rm -rf "$KAFKA_LIBS" && mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS" && touch "$KAFKA_LIBS/.complete"
}

start_kafka() {
  fetch_kafka
  local dir=$SERVICES_DIR/kafka
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/services.sh: single-node KRaft, broker and controller in one process.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$VIVA_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$VIVA_KAFKA_PORT,CONTROLLER://$HOST:$VIVA_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$VIVA_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$dir/log4j2.properties" -Dlog4j2.shutdownHookEnabled=false -cp "$KAFKA_LIBS/*")
  if [[ ! -f $dir/data/meta.properties ]]; then
    # A random Kafka Uuid (base64url); one starting with '-' would be read as an option.
    local id=
    until [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9_-]{21}$ ]]; do
      id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
    done
    "${java[@]}" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" \
      --ignore-formatted >"$LOG_DIR/kafka-format.log" 2>&1 ||
      fail kafka "formatting the KRaft storage failed" "$LOG_DIR/kafka-format.log"
  fi
  launch kafka "${java[@]}" kafka.Kafka "$dir/server.properties"
  wait_for kafka "$(<"$(pid_file kafka)")" 90 probe_kafka
}

# ---------------------------------------------------------------------------------------------
# Mosquitto: our own config, not the system service.

needs_mosquitto() { need mosquitto mosquitto && need mosquitto_pub mosquitto-clients; }
ports_mosquitto() { echo "$VIVA_MQTT_PORT"; }
match_mosquitto() { echo '(^|/)mosquitto( |$)'; }
data_mosquitto() { echo data; }
unit_mosquitto() { echo mosquitto; }
probe_mosquitto() {
  port_open "$VIVA_MQTT_PORT" && mosquitto_pub -h "$HOST" -p "$VIVA_MQTT_PORT" -i viva-probe -t viva/probe -n
}

start_mosquitto() {
  local dir=$SERVICES_DIR/mosquitto
  mkdir -p "$dir/data"
  cat >"$dir/mosquitto.conf" <<EOF
# Generated by scripts/services.sh.
user $(id -un)
listener $VIVA_MQTT_PORT $HOST
allow_anonymous true
persistence true
persistence_location $dir/data/
autosave_interval 30
max_queued_messages 100000
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
log_timestamp_format %Y-%m-%dT%H:%M:%S
EOF
  launch mosquitto mosquitto -c "$dir/mosquitto.conf"
  wait_for mosquitto "$(<"$(pid_file mosquitto)")" 30 probe_mosquitto
}

# ---------------------------------------------------------------------------------------------
# InfluxDB 1.x (Debian ships 1.6): HTTP API without auth, no usage reporting, no _internal db.

needs_influxdb() { need influxd influxdb && need influx influxdb-client && need curl curl; }
ports_influxdb() { echo "$VIVA_INFLUX_PORT" "$VIVA_INFLUX_RPC_PORT"; }
match_influxdb() { echo '(^|/)influxd( |$)'; }
data_influxdb() { echo meta; }
unit_influxdb() { echo influxdb; }
probe_influxdb() { curl -sf -o /dev/null "http://$HOST:$VIVA_INFLUX_PORT/ping"; }

start_influxdb() {
  local dir=$SERVICES_DIR/influxdb
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<EOF
# Generated by scripts/services.sh.
reporting-disabled = true
bind-address = "$HOST:$VIVA_INFLUX_RPC_PORT"

[meta]
  dir = "$dir/meta"

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "$HOST:$VIVA_INFLUX_PORT"
  auth-enabled = false
  log-enabled = false
EOF
  launch influxdb influxd -config "$dir/influxdb.conf"
  wait_for influxdb "$(<"$(pid_file influxdb)")" 30 probe_influxdb
}

# ---------------------------------------------------------------------------------------------
# Prometheus and Alertmanager: configs from conf/prometheus/, checked before every start.

needs_prometheus() { need prometheus prometheus && need curl curl; }
ports_prometheus() { echo "$VIVA_PROMETHEUS_PORT"; }
match_prometheus() { echo '(^|/)prometheus( |$)'; }
data_prometheus() { echo data; }
unit_prometheus() { echo prometheus; }
probe_prometheus() { curl -sf -o /dev/null "http://$HOST:$VIVA_PROMETHEUS_PORT/-/ready"; }

# config_prometheus: write and check the config; return 0 when it changed.
config_prometheus() {
  local dir=$SERVICES_DIR/prometheus changed=1
  mkdir -p "$dir/data"
  generated_config "$REPO_DIR/conf/prometheus/prometheus.yml" "$dir/prometheus.yml" && changed=0
  generated_config "$REPO_DIR/conf/prometheus/alert-rules.yml" "$dir/alert-rules.yml" && changed=0
  promtool check config "$dir/prometheus.yml" >"$LOG_DIR/promtool.log" 2>&1 ||
    fail prometheus "conf/prometheus/prometheus.yml or alert-rules.yml is invalid" "$LOG_DIR/promtool.log"
  return $changed
}

start_prometheus() {
  local dir=$SERVICES_DIR/prometheus receiver=--web.enable-remote-write-receiver help
  help=$(prometheus --help 2>&1 || true)
  [[ $help == *"$receiver"* ]] || receiver=--enable-feature=remote-write-receiver
  launch prometheus prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="$HOST:$VIVA_PROMETHEUS_PORT" \
    --web.enable-lifecycle --web.enable-admin-api "$receiver"
  wait_for prometheus "$(<"$(pid_file prometheus)")" 30 probe_prometheus
}

needs_alertmanager() { need prometheus-alertmanager prometheus-alertmanager && need curl curl; }
ports_alertmanager() { echo "$VIVA_ALERTMANAGER_PORT"; }
match_alertmanager() { echo '(^|/)(prometheus-)?alertmanager( |$)'; }
data_alertmanager() { echo data; }
unit_alertmanager() { echo prometheus-alertmanager; }
probe_alertmanager() { curl -sf -o /dev/null "http://$HOST:$VIVA_ALERTMANAGER_PORT/-/ready"; }

config_alertmanager() {
  local dir=$SERVICES_DIR/alertmanager changed=1
  mkdir -p "$dir/data"
  generated_config "$REPO_DIR/conf/prometheus/alertmanager.yml" "$dir/alertmanager.yml" && changed=0
  amtool check-config "$dir/alertmanager.yml" >"$LOG_DIR/amtool.log" 2>&1 ||
    fail alertmanager "conf/prometheus/alertmanager.yml is invalid" "$LOG_DIR/amtool.log"
  return $changed
}

start_alertmanager() {
  local dir=$SERVICES_DIR/alertmanager
  launch alertmanager prometheus-alertmanager --config.file="$dir/alertmanager.yml" \
    --storage.path="$dir/data" --web.listen-address="$HOST:$VIVA_ALERTMANAGER_PORT" --cluster.listen-address=
  wait_for alertmanager "$(<"$(pid_file alertmanager)")" 30 probe_alertmanager
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (Debian package): our own cluster in the scratch dir, never the packaged one (whose
# daemon policy-rc.d keeps from starting on install; it would listen on 5432 anyway). Debian keeps
# the binaries in /usr/lib/postgresql/<major>/bin, off the PATH. initdb and the server refuse to
# run as root, so as root they run as the `postgres` system user the package creates.

needs_postgres() {
  [[ -x $(pg_bin)/postgres ]] || MISSING_PKGS+=(postgresql)
  need openssl openssl
}
ports_postgres() { echo "$VIVA_POSTGRES_PORT"; }
match_postgres() { echo '(^|/)postgres -D '; }
data_postgres() { echo PG_VERSION; }
unit_postgres() { echo postgresql; }
signal_postgres() { echo INT; } # fast shutdown; SIGTERM would wait for every client to leave
probe_postgres() {
  local bin
  bin=$(pg_bin)
  [[ -n $bin ]] && "$bin/pg_isready" -q -t 2 -h "$HOST" -p "$VIVA_POSTGRES_PORT" -d postgres
}

# pg_bin: the binaries of the cluster's major version (once created), else of the newest installed.
pg_bin() {
  local bin
  if [[ -s $SERVICES_DIR/postgres/PG_VERSION ]]; then
    echo "/usr/lib/postgresql/$(<"$SERVICES_DIR/postgres/PG_VERSION")/bin"
    return 0
  fi
  bin=$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | grep -v '\*' | sort -V | tail -n 1)
  [[ -z $bin ]] || dirname "$bin"
}

# The cluster's owner runs its programs: `postgres` when we are root, else ourselves.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  local dir=$SERVICES_DIR/postgres bin
  bin=$(pg_bin)
  [[ -n $bin && -x $bin/postgres ]] ||
    fail postgres "no PostgreSQL server binaries in ${bin:-/usr/lib/postgresql/*/bin}" /dev/null
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || fail postgres "no 'postgres' system user to run the server as" /dev/null
    chown postgres: "$dir"
    as_pg test -w "$dir" -a -x "$dir" ||
      fail postgres "user postgres cannot reach $dir; set VIVA_SERVICES_DIR to a directory it can" /dev/null
  fi
  local socket=$dir/.s.PGSQL.$VIVA_POSTGRES_PORT
  ((${#socket} <= 107)) ||
    fail postgres "the socket path $socket is longer than 107 bytes; set a shorter VIVA_SERVICES_DIR" /dev/null
  if [[ ! -s $dir/PG_VERSION ]]; then
    log "postgres: creating the cluster in $dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
      --locale=C >"$LOG_DIR/postgres-initdb.log" 2>&1 ||
      fail postgres "initdb failed" "$LOG_DIR/postgres-initdb.log"
  fi
  # The socket lives in the 0700 data directory, so `trust` on it admits only its owner (and root).
  as_pg tee "$dir/pg_hba.conf" >/dev/null <<EOF
# Generated by scripts/services.sh.
local all all trust
host all $VIVA_POSTGRES_MD5_USER samehost md5
host all all samehost scram-sha-256
EOF
  if [[ ! -s $dir/server.key ]]; then
    as_pg openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$HOST" \
      -keyout "$dir/server.key" -out "$dir/server.crt" >"$LOG_DIR/postgres-openssl.log" 2>&1 ||
      fail postgres "could not make a TLS certificate" "$LOG_DIR/postgres-openssl.log"
    chmod 600 "$dir/server.key"
  fi
  local run=()
  [[ $EUID -ne 0 ]] || run=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  launch postgres "${run[@]}" "$bin/postgres" -D "$dir" -c listen_addresses="$HOST" \
    -c port="$VIVA_POSTGRES_PORT" -c unix_socket_directories="$dir" -c ssl=on \
    -c shared_buffers=32MB -c synchronous_commit=off
  wait_for postgres "$(<"$(pid_file postgres)")" 60 probe_postgres
  setup_postgres
}

# setup_postgres: the test roles and database, made by the superuser over the socket (idempotent;
# passwords are reset to the configured ones), then a SCRAM login of the test user over TCP.
setup_postgres() {
  local bin
  bin=$(pg_bin)
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$SERVICES_DIR/postgres" -p "$VIVA_POSTGRES_PORT" -U postgres \
    -d postgres -v user="$VIVA_POSTGRES_USER" -v password="$VIVA_POSTGRES_PASSWORD" \
    -v db="$VIVA_POSTGRES_DB" -v md5user="$VIVA_POSTGRES_MD5_USER" \
    -v md5password="$VIVA_POSTGRES_MD5_PASSWORD" >"$LOG_DIR/postgres-setup.log" 2>&1 <<'EOF' ||
SELECT format('CREATE ROLE %I', :'user')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SET password_encryption = 'scram-sha-256';
ALTER ROLE :"user" WITH LOGIN NOSUPERUSER PASSWORD :'password';
SELECT format('CREATE ROLE %I', :'md5user')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'md5user') \gexec
SET password_encryption = 'md5';
ALTER ROLE :"md5user" WITH LOGIN NOSUPERUSER PASSWORD :'md5password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
EOF
    fail postgres "creating the test roles and database failed" "$LOG_DIR/postgres-setup.log"
  PGPASSWORD=$VIVA_POSTGRES_PASSWORD "$bin/psql" -X -qAt -c 'SELECT 1' \
    "host=$HOST port=$VIVA_POSTGRES_PORT user=$VIVA_POSTGRES_USER dbname=$VIVA_POSTGRES_DB sslmode=disable" \
    >>"$LOG_DIR/postgres-setup.log" 2>&1 ||
    fail postgres "the test user cannot log in over TCP" "$LOG_DIR/postgres-setup.log"
}

# ---------------------------------------------------------------------------------------------
# MariaDB (Debian package `mariadb-server`): our own data directory in the scratch dir, never the
# packaged one (whose daemon policy-rc.d keeps from starting on install; it would take 3306).
# mariadbd refuses to run as root, so as root it runs as the `mysql` system user the package
# creates. The administrator logs in over the Unix socket (unix_socket authentication).

needs_mariadb() {
  [[ -x /usr/sbin/mariadbd ]] || MISSING_PKGS+=(mariadb-server)
  need mariadb-admin mariadb-client
  need openssl openssl
}
ports_mariadb() { echo "$VIVA_MARIADB_PORT"; }
match_mariadb() { echo '(^|/)(mariadbd|mysqld) '; }
data_mariadb() { echo mysql; }
unit_mariadb() { echo mariadb; }
# `ping` succeeds as soon as the server answers, whatever the user (a refused login included);
# without TLS, since the client would not trust a refusal sent before the TLS handshake.
probe_mariadb() {
  mariadb-admin --no-defaults --skip-ssl --protocol=TCP -h "$HOST" -P "$VIVA_MARIADB_PORT" -u ping \
    --connect-timeout=2 ping
}
# The administrator: the socket's OS user (root, or whoever created the data directory).
mariadb_admin_user() { if [[ $EUID -eq 0 ]]; then echo root; else id -un; fi; }

start_mariadb() {
  local dir=$SERVICES_DIR/mariadb user=()
  [[ -x /usr/sbin/mariadbd ]] || fail mariadb "no /usr/sbin/mariadbd (Debian package mariadb-server)" /dev/null
  if [[ $EUID -eq 0 ]]; then
    id mysql >/dev/null 2>&1 || fail mariadb "no 'mysql' system user to run the server as" /dev/null
    user=(--user=mysql)
    chown mysql: "$dir"
  fi
  local socket=$dir/mysqld.sock
  ((${#socket} <= 107)) ||
    fail mariadb "the socket path $socket is longer than 107 bytes; set a shorter VIVA_SERVICES_DIR" /dev/null
  # The data directory is the service directory itself: mariadbd runs in its data directory, and
  # another checkout recognizes a VIVA service by the scratch dir above its working directory.
  if [[ ! -d $dir/mysql ]]; then
    log "mariadb: creating the data directory in $dir"
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir" --skip-test-db \
      --auth-root-authentication-method=socket >"$LOG_DIR/mariadb-install.log" 2>&1 ||
      fail mariadb "mariadb-install-db failed" "$LOG_DIR/mariadb-install.log"
  fi
  if [[ ! -s $dir/server.key ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$HOST" \
      -keyout "$dir/server.key" -out "$dir/server.crt" >"$LOG_DIR/mariadb-openssl.log" 2>&1 ||
      fail mariadb "could not make a TLS certificate" "$LOG_DIR/mariadb-openssl.log"
    [[ $EUID -ne 0 ]] || chown mysql: "$dir/server.key" "$dir/server.crt"
    chmod 600 "$dir/server.key"
  fi
  launch mariadb /usr/sbin/mariadbd --no-defaults "${user[@]}" --datadir="$dir" \
    --bind-address="$HOST" --port="$VIVA_MARIADB_PORT" --socket="$socket" --pid-file="$dir/mariadbd.pid" \
    --skip-name-resolve --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
    --ssl-cert="$dir/server.crt" --ssl-key="$dir/server.key" --log-error="$LOG_DIR/mariadb-error.log"
  wait_for mariadb "$(<"$(pid_file mariadb)")" 90 probe_mariadb
  setup_mariadb
}

# setup_mariadb: the test user and database, made by the administrator over the socket
# (idempotent; the password is reset to the configured one), then a login of the test user over TCP.
setup_mariadb() {
  local dir=$SERVICES_DIR/mariadb sql
  [[ -S $dir/mysqld.sock ]] || return 0 # a server of another scratch dir: set up by its own `up`
  sql="CREATE DATABASE IF NOT EXISTS \`$VIVA_MARIADB_DB\`;
CREATE USER IF NOT EXISTS '$VIVA_MARIADB_USER'@'%' IDENTIFIED BY '$VIVA_MARIADB_PASSWORD';
ALTER USER '$VIVA_MARIADB_USER'@'%' IDENTIFIED BY '$VIVA_MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$VIVA_MARIADB_DB\`.* TO '$VIVA_MARIADB_USER'@'%';"
  mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$(mariadb_admin_user)" -e "$sql" \
    >"$LOG_DIR/mariadb-setup.log" 2>&1 ||
    fail mariadb "creating the test user and database failed" "$LOG_DIR/mariadb-setup.log"
  MYSQL_PWD=$VIVA_MARIADB_PASSWORD mariadb --no-defaults --protocol=TCP -h "$HOST" -P "$VIVA_MARIADB_PORT" \
    -u "$VIVA_MARIADB_USER" -e 'SELECT 1' "$VIVA_MARIADB_DB" >>"$LOG_DIR/mariadb-setup.log" 2>&1 ||
    fail mariadb "the test user cannot log in over TCP" "$LOG_DIR/mariadb-setup.log"
}

# ---------------------------------------------------------------------------------------------
# Commands.

up_one() {
  local svc=$1 pid changed=0 port
  # Before config_ recreates a data directory someone deleted under the running server.
  if pid=$(our_pid "$svc") && stale_pid "$svc" "$pid"; then
    stop_stale "$svc" "$pid"
    rm -f "$(pid_file "$svc")"
  fi
  mkdir -p "$SERVICES_DIR/$svc"
  if declare -F "config_$svc" >/dev/null && "config_$svc"; then changed=1; fi
  if pid=$(our_pid "$svc"); then
    if ! "probe_$svc" >/dev/null 2>&1; then
      log "$svc: pid $pid is starting; waiting"
      wait_for "$svc" "$pid" 90 "probe_$svc"
    fi
    if ((changed)); then
      log "$svc: configuration changed; reloading"
      port=$("ports_$svc")
      curl -sf -X POST -o /dev/null "http://$HOST:$port/-/reload" || fail "$svc" "reload was rejected"
    fi
    if declare -F "setup_$svc" >/dev/null; then "setup_$svc"; fi
    log "$svc: running (pid $pid)"
    return 0
  fi
  # shellcheck disable=SC2046 # the port list is meant to split
  if ! claim_ports "$svc" $("ports_$svc"); then
    wait_for "$svc" "$SHARED_PID" 90 "probe_$svc"
    return 0
  fi
  local started=$SECONDS
  "start_$svc"
  log "$svc: started (pid $(<"$(pid_file "$svc")"), answering after $((SECONDS - started))s)"
}

down_one() {
  local svc=$1 pid
  if pid=$(our_pid "$svc"); then
    log "$svc: stopping pid $pid"
    terminate "$pid" 60 "$(stop_signal "$svc")"
  else
    log "$svc: not running"
  fi
  rm -f "$(pid_file "$svc")"
}

status_one() {
  local svc=$1 pid state port ports
  read -r -a ports <<<"$("ports_$svc")"
  port=${ports[0]}
  if pid=$(our_pid "$svc"); then
    if "probe_$svc" >/dev/null 2>&1; then state=running; else state=starting; fi
  elif pid=$(listener_pid "$port") && [[ -n $pid ]] && stale_pid "$svc" "$pid"; then
    state=stale # its data directory is gone; `up` stops it and starts a fresh one
  elif pid=$(shared_pid "$port") && "probe_$svc" >/dev/null 2>&1; then
    state=shared # served by the services of another VIVA scratch dir (or ours, without pid file)
    [[ $(readlink "/proc/$pid/cwd") != "$SERVICES_DIR/$svc" ]] || state=running
  elif port_open "$port"; then
    pid=$(listener_pid "$port")
    state=foreign
  else
    pid=- state=stopped
  fi
  printf '%-13s %-9s pid %-8s %s:%s\n' "$svc" "$state" "${pid:-?}" "$HOST" "$port"
  [[ $state == running || $state == shared ]]
}

usage() {
  echo "usage: $0 up|down|status|restart [${ALL_SERVICES[*]}]" >&2
  exit 2
}

main() {
  local cmd=${1:-} svc rc=0 i
  [[ -n $cmd ]] || usage
  shift
  local services=("$@")
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  for svc in "${services[@]}"; do
    case $svc in
      kafka | mosquitto | influxdb | prometheus | alertmanager | postgres | mariadb) ;;
      *) die "unknown service '$svc' (known: ${ALL_SERVICES[*]})" ;;
    esac
  done

  mkdir -p "$SERVICES_DIR"
  SERVICES_DIR="$(cd "$SERVICES_DIR" && pwd -P)"
  LOG_DIR=$SERVICES_DIR/logs RUN_DIR=$SERVICES_DIR/run
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$CACHE_DIR"
  touch "$SERVICES_DIR/.viva-services"
  # One command at a time per scratch dir (two test runs may call `up` together).
  exec 9>"$SERVICES_DIR/.lock"
  flock -w 900 9 || die "another services.sh holds $SERVICES_DIR/.lock"

  case $cmd in
    up)
      command -v ss >/dev/null || MISSING_PKGS+=(iproute2)
      need chromium chromium # the dashboard's browser tests (playwright-core drives it)
      for svc in "${services[@]}"; do "needs_$svc"; done
      install_missing
      for svc in "${services[@]}"; do up_one "$svc"; done
      ;;
    down)
      for ((i = ${#services[@]} - 1; i >= 0; i--)); do down_one "${services[i]}"; done
      ;;
    restart)
      for ((i = ${#services[@]} - 1; i >= 0; i--)); do down_one "${services[i]}"; done
      exec 9>&-
      bash "$SCRIPT_DIR/services.sh" up "${services[@]}"
      ;;
    status)
      for svc in "${services[@]}"; do status_one "$svc" || rc=3; done
      return $rc
      ;;
    *) usage ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# A scaled-out mwupload on one machine, every part a real separate process on loopback:
#   PostgreSQL  (its own cluster in DIR/pg)            metadata, sessions, leases, the job queue
#   Garage      (single node, DIR/garage)              the S3 bucket holding every file's bytes
#   3 replicas  (`mwupload serve`, stateless)          any of them takes any request
#   nginx       (DIR/nginx)                            round-robin load balancer in front
#
#   scripts/cluster.sh up DIR      start what is not running yet; prints API_URL=… and writes
#                                  DIR/cluster.env and DIR/initial-credentials.env
#   scripts/cluster.sh down DIR    stop exactly what `up` started (pid files in DIR)
#   scripts/cluster.sh status DIR  which parts run
#
# Environment:
#   MWUPLOAD_BIN        the mwupload binary (default: target/release/mwupload if built, else
#                       target/debug/mwupload)
#   CLUSTER_REPLICAS    number of replicas (default 3)
#   CLUSTER_EXTRA_TOML  a file of TOML tables appended to the replicas' configuration (kept in DIR
#                       as extra.toml: a later `up` of the same DIR appends it again)
#                       (e.g. [url_uploads] for the acceptance scripts)
#   PG_BIN              PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/*/bin)
#   MWUPLOAD_GARAGE_BIN the garage binary (default: $MWUPLOAD_TOOLS/bin/garage, installed by
#                       scripts/install-s3-servers.sh when missing)
# Ports are picked free on the first `up` and kept in DIR/ports.env, so `up` after `down` (or
# after a replica was killed) brings back the same addresses over the same data.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() { echo "usage: $0 up|down|status DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
CMD=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

free_port() {
  free_ports 1
}

# N distinct free ports: all are bound at once, so two of them can never be the same port.
free_ports() {
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# Starts a command in a new session (so a Ctrl-C in the calling terminal does not reach it) as the
# very process whose pid `$!` names: `perl -e "$DETACH" cmd args… &`. setsid(1) would fork when
# the caller is a process-group leader (a shell with job control on starts every background job
# as one), and the pid we keep would be that of a parent that exits at once. setsid(2) fails
# harmlessly then: the job already has its own process group. (perl-base is on every Debian.)
DETACH='use POSIX (); POSIX::setsid(); exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\n"'

# Whether the pid in file $1 is alive and is ours (its command line mentions DIR).
alive() {
  local pid
  [[ -f $1 ]] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR"
}

# Stops the process of pid file $1 (TERM, then KILL after $2 seconds) and removes the file.
stop_pidfile() {
  local f=$1 grace=${2:-10} pid
  if alive "$f"; then
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "$(basename "$f" .pid) did not stop; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}

REPLICAS=${CLUSTER_REPLICAS:-3}

pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $d ]] && { echo "$d"; return; }
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  die "PostgreSQL's initdb was not found (apt-get install postgresql, or set PG_BIN)"
}

# Runs a PostgreSQL server program as the owner of the data dir (PostgreSQL refuses root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

garage_bin() {
  if [[ -n ${MWUPLOAD_GARAGE_BIN:-} ]]; then echo "$MWUPLOAD_GARAGE_BIN"; return; fi
  local tools=${MWUPLOAD_TOOLS:-/var/tmp/mwupload-tools}
  if [[ ! -x $tools/bin/garage ]] && ! command -v garage >/dev/null; then
    log "garage is not installed: running scripts/install-s3-servers.sh (a cold build takes ~13 min)"
    bash "$ROOT/scripts/install-s3-servers.sh" >&2
  fi
  if [[ -x $tools/bin/garage ]]; then echo "$tools/bin/garage"; else command -v garage; fi
}

mwupload_bin() {
  if [[ -n ${MWUPLOAD_BIN:-} ]]; then echo "$MWUPLOAD_BIN"; return; fi
  local b
  for b in "$ROOT/target/release/mwupload" "$ROOT/target/debug/mwupload"; do
    [[ -x $b ]] && { echo "$b"; return; }
  done
  die "no mwupload binary: cargo build --release (or set MWUPLOAD_BIN)"
}

# ---------------------------------------------------------------------------------------------
ports() {
  if [[ ! -f $DIR/ports.env ]]; then
    local p
    read -ra p <<<"$(free_ports $((5 + REPLICAS)))"
    {
      echo "PG_PORT=${p[0]}"
      echo "GARAGE_RPC_PORT=${p[1]}"
      echo "GARAGE_S3_PORT=${p[2]}"
      echo "GARAGE_ADMIN_PORT=${p[3]}"
      echo "NGINX_PORT=${p[4]}"
      for i in $(seq 1 "$REPLICAS"); do echo "REPLICA_${i}_PORT=${p[$((4 + i))]}"; done
    } >"$DIR/ports.env"
  fi
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
}

up_postgres() {
  local bin
  bin=$(pg_bin)
  local data=$DIR/pg
  if [[ ! -f $data/PG_VERSION ]]; then
    log "initdb $data"
    mkdir -p "$data"
    if [[ $(id -u) -eq 0 ]]; then
      chmod o+x "$DIR"
      chown postgres: "$data"
      runuser -u postgres -- test -w "$data" ||
        die "PostgreSQL runs as user postgres, who cannot reach $data (a parent directory is private); use a DIR under /tmp or /var/tmp"
    fi
    chmod 700 "$data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-instructions >"$DIR/pg-initdb.log" 2>&1 ||
      { cat "$DIR/pg-initdb.log" >&2; die "initdb failed"; }
  fi
  if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # TCP on loopback only, no Unix socket (nothing of it lands outside DIR).
    [[ $(id -u) -eq 0 ]] && { touch "$DIR/pg.log"; chown postgres: "$DIR/pg.log"; }
    as_pg "$bin/pg_ctl" -D "$data" -l "$DIR/pg.log" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200" start >/dev/null ||
      { tail -20 "$DIR/pg.log" >&2; die "PostgreSQL did not start"; }
  fi
  # pg_ctl keeps the postmaster's pid in the data dir; `down` uses pg_ctl stop.
  if ! "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='mwupload'" | grep -q 1; then
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE mwupload" >/dev/null
  fi
}

up_garage() {
  local bin g=$DIR/garage
  bin=$(garage_bin)
  mkdir -p "$g"
  if [[ ! -f $g/garage.toml ]]; then
    local secret
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    cat >"$g/garage.toml" <<EOF
metadata_dir = "$g/meta"
data_dir = "$g/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$GARAGE_RPC_PORT"
rpc_public_addr = "127.0.0.1:$GARAGE_RPC_PORT"
rpc_secret = "$secret"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$GARAGE_S3_PORT"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:$GARAGE_ADMIN_PORT"
admin_token = "$secret"
EOF
    chmod 600 "$g/garage.toml"
  fi
  local cli=("$bin" -c "$g/garage.toml")
  if ! alive "$DIR/garage.pid"; then
    log "starting Garage (S3 on 127.0.0.1:$GARAGE_S3_PORT)"
    RUST_LOG=warn perl -e "$DETACH" "${cli[@]}" server >>"$DIR/garage.log" 2>&1 </dev/null &
    echo $! >"$DIR/garage.pid"
  fi
  local node=""
  for _ in $(seq 1 300); do
    # (Checked twice: while a process execs, its /proc cmdline can read empty for a moment.)
    alive "$DIR/garage.pid" || { sleep 0.2; alive "$DIR/garage.pid"; } ||
      { tail -20 "$DIR/garage.log" >&2; die "garage exited while starting"; }
    if "${cli[@]}" status >/dev/null 2>&1; then
      node=$("${cli[@]}" node id -q 2>/dev/null | cut -c1-16) && [[ -n $node ]] && break
    fi
    sleep 0.2
  done
  [[ -n $node ]] || die "garage did not answer within 60 s"
  if [[ ! -f $g/key.env ]]; then
    log "Garage: layout, bucket mwupload, key"
    "${cli[@]}" layout assign -z dc1 -c 1G "$node" >/dev/null
    "${cli[@]}" layout apply --version 1 >/dev/null
    "${cli[@]}" bucket create mwupload >/dev/null
    local key_id secret
    key_id=GK$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    "${cli[@]}" key import --yes -n mwupload "$key_id" "$secret" >/dev/null
    "${cli[@]}" bucket allow --read --write mwupload --key mwupload >/dev/null
    printf 'S3_KEY_ID=%s\nS3_SECRET=%s\n' "$key_id" "$secret" >"$g/key.env"
    chmod 600 "$g/key.env"
  fi
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$GARAGE_S3_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  die "garage's S3 API did not listen on 127.0.0.1:$GARAGE_S3_PORT"
}

write_config() {
  # shellcheck disable=SC1091
  . "$DIR/garage/key.env"
  # The extra tables are kept with the cluster, so a later `up` (restarting what stopped) writes
  # the same configuration without being given them again.
  if [[ -n ${CLUSTER_EXTRA_TOML:-} ]]; then
    cp "$CLUSTER_EXTRA_TOML" "$DIR/extra.toml.new" && mv "$DIR/extra.toml.new" "$DIR/extra.toml"
  fi
  {
    cat <<EOF
# Written by scripts/cluster.sh: every replica reads this same file.
database_url = "postgres://postgres@127.0.0.1:$PG_PORT/mwupload"
database_pool_size = 10
# nginx on loopback: its X-Forwarded-For names the client.
trusted_proxies = ["127.0.0.1/32"]

[storage]
kind = "s3"
endpoint = "http://127.0.0.1:$GARAGE_S3_PORT"
bucket = "mwupload"
region = "garage"
access_key_id = "$S3_KEY_ID"
secret_access_key = "$S3_SECRET"
path_style = true

[limits]
# Every connection comes from nginx (one peer address): the per-address cap would count all
# clients as one, so it is the global cap here (nginx limits clients itself).
max_connections_per_ip = 1024
EOF
    if [[ -f $DIR/extra.toml ]]; then
      echo
      cat "$DIR/extra.toml"
    fi
  } >"$DIR/mwupload.toml.new"
  chmod 600 "$DIR/mwupload.toml.new"
  mv "$DIR/mwupload.toml.new" "$DIR/mwupload.toml"
}

up_replicas() {
  local bin i port
  bin=$(mwupload_bin)
  mkdir -p "$DIR/data"
  for i in $(seq 1 "$REPLICAS"); do
    alive "$DIR/replica-$i.pid" && continue
    port=REPLICA_${i}_PORT
    log "starting replica $i on 127.0.0.1:${!port} ($bin)"
    # All replicas at once: the first start's administrator is created by exactly one of them
    # (a unique user name in the database); the others find it.
    perl -e "$DETACH" "$bin" serve --listen "127.0.0.1:${!port}" --data "$DIR/data" --config "$DIR/mwupload.toml" \
      >>"$DIR/replica-$i.log" 2>&1 </dev/null &
    echo $! >"$DIR/replica-$i.pid"
  done
  for i in $(seq 1 "$REPLICAS"); do
    port=REPLICA_${i}_PORT
    local ok=0 tries=0
    for _ in $(seq 1 600); do
      if ! alive "$DIR/replica-$i.pid" && ! { sleep 0.2; alive "$DIR/replica-$i.pid"; }; then
        # Its port was taken meanwhile by someone else (ports are picked before anything
        # starts): pick another one and start it again.
        if grep -q "binding 127.0.0.1:${!port}:" "$DIR/replica-$i.log" && [[ $tries -lt 3 ]]; then
          tries=$((tries + 1))
          local new
          new=$(free_port)
          log "replica $i: port ${!port} was taken; using $new"
          sed -i "s/^REPLICA_${i}_PORT=.*/REPLICA_${i}_PORT=$new/" "$DIR/ports.env"
          printf -v "$port" '%s' "$new"
          perl -e "$DETACH" "$bin" serve --listen "127.0.0.1:${!port}" --data "$DIR/data" --config "$DIR/mwupload.toml" \
            >>"$DIR/replica-$i.log" 2>&1 </dev/null &
          echo $! >"$DIR/replica-$i.pid"
          continue
        fi
        tail -20 "$DIR/replica-$i.log" >&2
        die "replica $i exited while starting"
      fi
      if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${!port}/readyz") == 200 ]]; then ok=1; break; fi
      sleep 0.1
    done
    [[ $ok -eq 1 ]] || die "replica $i was not ready within 60 s (see $DIR/replica-$i.log)"
  done
}

up_nginx() {
  local n=$DIR/nginx i port servers=""
  if ! command -v nginx >/dev/null; then
    log "installing nginx"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } >&2 ||
      die "nginx is not installed and apt-get could not install it"
  fi
  mkdir -p "$n/tmp"
  for i in $(seq 1 "$REPLICAS"); do
    port=REPLICA_${i}_PORT
    servers+="    server 127.0.0.1:${!port} max_fails=1 fail_timeout=3s;"$'\n'
  done
  cat >"$n/nginx.conf.new" <<EOF
# Written by scripts/cluster.sh. Round-robin over the replicas, no stickiness: consecutive
# requests of one client land on different replicas.
daemon on;
worker_processes 2;
pid $n/nginx.pid;
error_log $n/error.log warn;
user $(id -un) $(id -gn);
events { worker_connections 1024; }
http {
    # (Which replica answered each request: the last field.)
    log_format upstream '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent \$upstream_addr';
    access_log $n/access.log upstream;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    # No keepalive pool towards the replicas: a request never goes out on a pooled connection
    # to a replica that has died meanwhile (nginx would answer 502 instead of trying the next
    # replica, since it does not replay a POST once sent). A refused connect is retried on the
    # next replica.
    upstream mwupload {
$servers    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # Uploads of any size stream through to a replica as they arrive (the replica enforces
        # \$wgMaxUploadSize); downloads stream back the same way.
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_connect_timeout 2s;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        # A replica that refuses connections (stopped, crashed) is skipped; a request already
        # sent to one is not replayed (uploads are not idempotent).
        proxy_next_upstream error timeout http_502 http_503;
        location / {
            proxy_pass http://mwupload;
        }
    }
}
EOF
  # A reload only when the configuration changed: a reload makes the old workers close their
  # idle keep-alive connections, and a client that sends on one just then gets a broken pipe.
  local changed=1
  cmp -s "$n/nginx.conf.new" "$n/nginx.conf" && changed=0
  mv "$n/nginx.conf.new" "$n/nginx.conf"
  if alive "$n/nginx.pid"; then
    if ((changed)); then nginx -p "$n" -c "$n/nginx.conf" -s reload 2>>"$n/error.log"; fi
  else
    log "starting nginx on 127.0.0.1:$NGINX_PORT"
    nginx -p "$n" -c "$n/nginx.conf" 2>>"$n/error.log" || { tail -5 "$n/error.log" >&2; die "nginx did not start"; }
  fi
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/healthz") == 200 ]] && return 0
    sleep 0.1
  done
  die "nginx does not answer on 127.0.0.1:$NGINX_PORT"
}

write_env() {
  local api="http://127.0.0.1:$NGINX_PORT/w/api.php" urls="" i port
  for i in $(seq 1 "$REPLICAS"); do
    port=REPLICA_${i}_PORT
    urls+="${urls:+ }http://127.0.0.1:${!port}"
  done
  {
    echo "API_URL=$api"
    echo "BASE_URL=http://127.0.0.1:$NGINX_PORT"
    echo "REPLICA_URLS=\"$urls\""
    echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/mwupload"
    echo "S3_ENDPOINT=http://127.0.0.1:$GARAGE_S3_PORT"
    echo "CONFIG=$DIR/mwupload.toml"
  } >"$DIR/cluster.env"
  # The replica that created the first administrator wrote its credentials (with its own
  # address) into the shared data dir; clients use the load balancer instead.
  if [[ -f $DIR/data/initial-credentials.env ]]; then
    (umask 077; sed "s|^API_URL=.*|API_URL=$api|" "$DIR/data/initial-credentials.env" >"$DIR/initial-credentials.env")
  elif [[ ! -f $DIR/initial-credentials.env ]]; then
    log "warning: no first-start credentials (the database already had users); create one with:"
    log "  $(mwupload_bin) --config $DIR/mwupload.toml --data $DIR/data user create NAME --groups sysop"
  fi
  echo "API_URL=$api"
}

cmd_up() {
  ports
  up_postgres
  up_garage
  write_config
  up_replicas
  up_nginx
  write_env
}

cmd_down() {
  [[ -f $DIR/ports.env ]] || { log "nothing was started in $DIR"; return 0; }
  local n=$DIR/nginx i
  if alive "$n/nginx.pid"; then
    nginx -p "$n" -c "$n/nginx.conf" -s quit 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$n/nginx.pid" || break; sleep 0.1; done
    stop_pidfile "$n/nginx.pid" 5
  fi
  for f in "$DIR"/replica-*.pid; do
    [[ -e $f ]] || continue
    # (SIGTERM: a replica stops accepting and finishes what is in flight; its running jobs
    # are taken over by the others when their leases run out.)
    stop_pidfile "$f" 15 &
  done
  wait
  stop_pidfile "$DIR/garage.pid" 10
  if [[ -f $DIR/pg/postmaster.pid ]]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  log "stopped"
}

cmd_status() {
  local i rc=0 bin
  [[ -f $DIR/ports.env ]] || { echo "not started"; return 1; }
  bin=$(pg_bin)
  if as_pg "$bin/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then echo "postgres: running"; else echo "postgres: stopped"; rc=1; fi
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
  local files=("$DIR/garage.pid")
  for i in $(seq 1 "$(grep -c '^REPLICA_' "$DIR/ports.env")"); do files+=("$DIR/replica-$i.pid"); done
  files+=("$DIR/nginx/nginx.pid")
  for f in "${files[@]}"; do
    local name
    name=$(basename "$f" .pid)
    if alive "$f"; then echo "$name: running (pid $(cat "$f"))"; else echo "$name: stopped"; rc=1; fi
  done
  return $rc
}

case $CMD in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac

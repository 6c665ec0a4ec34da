#!/usr/bin/env bash
# fleet's end-to-end test bed: two Docker engines, two registries, sshd.
#
#   tests/e2e/testbed.sh up      install what is missing (Debian, root), start everything, print it
#   tests/e2e/testbed.sh env     print the env file path (after `up`)
#   tests/e2e/testbed.sh down    stop what `up` started (images and volumes are kept)
#
# Idempotent: running `up` twice starts nothing twice. On a machine that is not Debian or
# where we are not root, nothing is installed: it uses what is there, and says what is missing.
# Everything lives under $FLEET_TESTBED_DIR (default /tmp/fleet-testbed); the endpoints are
# written to $FLEET_TESTBED_DIR/env, which tests/e2e/harness.ts reads.
set -euo pipefail

DIR=${FLEET_TESTBED_DIR:-/tmp/fleet-testbed}
REG_PORT=${FLEET_TESTBED_REGISTRY_PORT:-5400}
AUTH_REG_PORT=${FLEET_TESTBED_AUTH_REGISTRY_PORT:-5401}
SSH_PORT=${FLEET_TESTBED_SSH_PORT:-2422}
ENGINE2_SOCK="$DIR/engine2/docker.sock"
PLUGINS=/usr/libexec/docker/cli-plugins

say() { printf 'testbed: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

wait_for() { # wait_for <seconds> <what> <command...>
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what did not come up within ${secs}s"
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && file_is_static /bin/busybox ||
    missing+=(busybox-static)
  command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  [ ${#missing[@]} = 0 ] && return 0
  if ! is_root || ! is_debian; then
    die "missing: ${missing[*]} (install them, or run this as root on Debian)"
  fi
  say "installing ${missing[*]}"
  [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock || true)" ] || apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

# buildx and compose v2 are not packaged for Debian 12; the next release's packages work here.
# apt is pointed at a temporary sources file for this only; the system's sources are untouched.
install_plugins() {
  local need=()
  [ -x "$PLUGINS/docker-buildx" ] || [ -x /usr/local/lib/docker/cli-plugins/docker-buildx ] ||
    docker buildx version >/dev/null 2>&1 || need+=(docker-buildx)
  [ -x "$PLUGINS/docker-compose" ] || [ -x /usr/local/lib/docker/cli-plugins/docker-compose ] ||
    docker compose version >/dev/null 2>&1 || need+=(docker-compose)
  [ ${#need[@]} = 0 ] && return 0
  is_root && is_debian || die "missing docker plugins: ${need[*]}"
  [ -f /etc/apt/sources.list.d/debian.sources ] || die "no /etc/apt/sources.list.d/debian.sources to derive from"
  say "installing ${need[*]} from the next Debian release (plugins only)"
  local t; t=$(mktemp -d)
  mkdir -p "$t/parts" "$t/lists/partial" "$t/cache/archives/partial" "$t/x"
  # keep the main archive's stanza only (not -security), with the suite swapped
  sed 's/^Suites:.*/Suites: trixie/' /etc/apt/sources.list.d/debian.sources |
    awk 'BEGIN{RS="";ORS="\n\n"} /debian-security/{next} {print}' >"$t/parts/next.sources"
  local o=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$t/parts"
    -o "Dir::State::Lists=$t/lists" -o "Dir::Cache=$t/cache" -o APT::Sandbox::User=root)
  apt-get "${o[@]}" update -q >/dev/null
  (cd "$t" && apt-get "${o[@]}" download "${need[@]}" >/dev/null)
  mkdir -p "$PLUGINS"
  for deb in "$t"/*.deb; do dpkg-deb -x "$deb" "$t/x"; done
  for p in "${need[@]}"; do install -m 0755 "$t/x/usr/libexec/docker/cli-plugins/$p" "$PLUGINS/$p"; done
  rm -rf "$t"
}

# A daemon from before that is still shutting down holds the pidfile and the socket: wait for it.
wait_for_exit() { # wait_for_exit <seconds> <pgrep -f pattern>
  for _ in $(seq 1 $(($1 * 5))); do
    pgrep -f "$2" >/dev/null || return 0
    sleep 0.2
  done
  die "an old process ($2) did not exit"
}

# Start a dockerd in the background and wait until `docker info` answers; fail fast if it dies.
start_dockerd() { # start_dockerd <name> <DOCKER_HOST> <log> <dockerd args...>
  local name=$1 host=$2 log=$3; shift 3
  printf '\n==== %s: starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
  setsid dockerd "$@" >>"$log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 300); do
    if DOCKER_HOST=$host docker info >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 15 "$log" | tr -d '\000' >&2
      die "$name exited while starting (log: $log)"
    fi
    sleep 0.2
  done
  tail -n 15 "$log" | tr -d '\000' >&2
  die "$name did not come up within 60s (log: $log)"
}

start_engine1() {
  if docker info >/dev/null 2>&1; then say "engine 1 already running"; return 0; fi
  is_root || die "no Docker engine reachable and not root to start one"
  mkdir -p "$DIR"
  wait_for_exit 30 "^dockerd\$|^dockerd -H|^/usr/sbin/dockerd\$"
  say "starting engine 1 (dockerd, /var/run/docker.sock)"
  start_dockerd "engine 1" unix:///var/run/docker.sock "$DIR/engine1.log"
}

start_engine2() {
  if DOCKER_HOST="unix://$ENGINE2_SOCK" docker info >/dev/null 2>&1; then
    say "engine 2 already running"; return 0
  fi
  mkdir -p "$DIR/engine2"
  wait_for_exit 30 "dockerd --data-root $DIR/engine2/data"
  rm -f "$ENGINE2_SOCK"
  # On a restart, dockerd deletes the stale default "bridge" network from its store and, when
  # --default-address-pool is set, also the interface docker0 (by that name: engine 1's bridge).
  # Our engine 2 starts with an empty network store, so there is nothing stale to delete.
  rm -f "$DIR/engine2/data/network/files/local-kv.db"
  # its own bridge: with `--bridge none` dockerd deletes the docker0 of engine 1
  if ! ip link show fleet2br0 >/dev/null 2>&1; then
    ip link add fleet2br0 type bridge
    ip addr add 10.213.255.1/24 dev fleet2br0
    ip link set fleet2br0 up
  fi
  local had_docker0=no
  ip link show docker0 >/dev/null 2>&1 && had_docker0=yes
  say "starting engine 2 (the \"cloud host\", unix://$ENGINE2_SOCK)"
  start_dockerd "engine 2" "unix://$ENGINE2_SOCK" "$DIR/engine2.log" \
    --data-root "$DIR/engine2/data" --exec-root "$DIR/engine2/exec" \
    --pidfile "$DIR/engine2/docker.pid" -H "unix://$ENGINE2_SOCK" \
    --containerd-namespace fleet-engine2 --containerd-plugins-namespace fleet-engine2-plugins \
    --bridge fleet2br0 --iptables=false --ip-masq=false \
    --default-address-pool base=10.213.0.0/16,size=24
  if [ "$had_docker0" = yes ] && ! ip link show docker0 >/dev/null 2>&1; then
    die "starting engine 2 removed engine 1's bridge docker0: restart engine 1"
  fi
}

# busybox:latest from the static busybox, so `FROM busybox` builds with no network.
import_busybox() { # import_busybox <DOCKER_HOST>
  if DOCKER_HOST=$1 docker image inspect busybox:latest >/dev/null 2>&1; then return 0; fi
  say "importing busybox:latest into $1"
  local root="$DIR/busybox-rootfs"
  if [ ! -x "$root/bin/busybox" ]; then
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/var/www" "$root/root"
    cp /bin/busybox "$root/bin/busybox"
    for a in sh ash cat echo ls mkdir rm cp mv sleep httpd wget grep sed awk head tail env \
      date id printf test true false kill ps hostname dd touch chmod find sort uniq wc tr cut nc; do
      ln -sf busybox "$root/bin/$a"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
  fi
  tar -C "$root" -c . | DOCKER_HOST=$1 docker import \
    -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - busybox:latest >/dev/null
}

start_registry() { # start_registry <name> <port> [htpasswd]
  local name=$1 port=$2 auth=${3:-}
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null ||
    curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null | grep -q 401; then
    say "registry $name already on 127.0.0.1:$port"; return 0
  fi
  local d="$DIR/$name"
  mkdir -p "$d/data"
  {
    echo "version: 0.1"
    echo "log: { level: warn }"
    echo "storage: { filesystem: { rootdirectory: $d/data }, delete: { enabled: true } }"
    echo "http: { addr: 127.0.0.1:$port }"
    if [ -n "$auth" ]; then echo "auth: { htpasswd: { realm: fleet-testbed, path: $auth } }"; fi
  } >"$d/config.yml"
  say "starting registry $name on 127.0.0.1:$port${auth:+ (htpasswd auth)}"
  setsid docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 </dev/null &
  wait_for 20 "registry $name" sh -c "curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/v2/ | grep -qE '200|401'"
}

# The ssh user: like a real deploy user, in the docker group with a plain shell (root's shell
# startup files on a developer machine can cost a second per session). Without root: ourselves.
ssh_user() {
  if is_root && getent group docker >/dev/null; then
    id fleet-deploy >/dev/null 2>&1 ||
      useradd --system --create-home --shell /bin/sh --groups docker fleet-deploy
    usermod -p '*' fleet-deploy # no password, but not "locked": sshd (without PAM) refuses those
    echo fleet-deploy
  else
    id -un
  fi
}

start_sshd() {
  local d="$DIR/ssh" user
  user=$(ssh_user)
  mkdir -p "$d" "$DIR/bin" "$DIR/home"
  [ -f "$d/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  [ -f "$d/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
  cp "$d/client_key.pub" "$d/authorized_keys"
  chmod 644 "$d/authorized_keys" # sshd reads it as the ssh user
  cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 100:30:200
MaxSessions 100
SetEnv DOCKER_HOST=unix://$ENGINE2_SOCK
EOF
  # the client side lives only here: an ssh config, a known_hosts, and an `ssh` on the test PATH
  cat >"$d/ssh_config" <<EOF
Host fleet-testhost
  HostName 127.0.0.1
  Port $SSH_PORT
  User $user
  IdentityFile $d/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $d/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
  LogLevel ERROR
EOF
  cat >"$DIR/bin/ssh" <<EOF
#!/bin/sh
exec /usr/bin/ssh -F "$d/ssh_config" "\$@"
EOF
  chmod +x "$DIR/bin/ssh"
  if [ -f "$d/sshd.pid" ] && kill -0 "$(cat "$d/sshd.pid")" 2>/dev/null; then
    kill -HUP "$(cat "$d/sshd.pid")" # re-read the config written above
    wait_for 20 "sshd" "$DIR/bin/ssh" fleet-testhost true
    say "sshd already on 127.0.0.1:$SSH_PORT"; return 0
  fi
  mkdir -p /run/sshd 2>/dev/null || true
  say "starting sshd on 127.0.0.1:$SSH_PORT (user $user; engine 2 behind it)"
  /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
  wait_for 20 "sshd" "$DIR/bin/ssh" fleet-testhost true
}

write_env() {
  cat >"$DIR/env" <<EOF
FLEET_TESTBED_DIR=$DIR
FLEET_TESTBED_ENGINE1=unix:///var/run/docker.sock
FLEET_TESTBED_ENGINE2=unix://$ENGINE2_SOCK
FLEET_TESTBED_SSH_HOST=ssh://fleet-testhost
FLEET_TESTBED_SSH_BIN=$DIR/bin
FLEET_TESTBED_REGISTRY=127.0.0.1:$REG_PORT
FLEET_TESTBED_AUTH_REGISTRY=127.0.0.1:$AUTH_REG_PORT
FLEET_TESTBED_AUTH_USER=fleet
FLEET_TESTBED_AUTH_PASSWORD_FILE=$DIR/auth-registry/password
EOF
}

up() {
  mkdir -p "$DIR"
  install_packages
  install_plugins
  start_engine1
  start_engine2
  import_busybox unix:///var/run/docker.sock
  import_busybox "unix://$ENGINE2_SOCK"
  start_registry registry "$REG_PORT"
  mkdir -p "$DIR/auth-registry"
  if [ ! -f "$DIR/auth-registry/htpasswd" ]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/auth-registry/password"
    htpasswd -Bbn fleet "$(cat "$DIR/auth-registry/password")" >"$DIR/auth-registry/htpasswd" 2>/dev/null
  fi
  start_registry auth-registry "$AUTH_REG_PORT" "$DIR/auth-registry/htpasswd"
  start_sshd
  write_env
  say "up: engine 1 $(docker version -f '{{.Server.Version}}'), engine 2 $(DOCKER_HOST=unix://$ENGINE2_SOCK docker version -f '{{.Server.Version}}')," \
    "buildx $(docker buildx version | awk '{print $2}'), compose $(docker compose version --short)," \
    "registries 127.0.0.1:$REG_PORT and 127.0.0.1:$AUTH_REG_PORT (auth), sshd 127.0.0.1:$SSH_PORT; env in $DIR/env"
}

down() {
  [ -f "$DIR/ssh/sshd.pid" ] && kill "$(cat "$DIR/ssh/sshd.pid")" 2>/dev/null || true
  pkill -f "docker-registry serve $DIR/" 2>/dev/null || true
  [ -f "$DIR/engine2/docker.pid" ] && kill "$(cat "$DIR/engine2/docker.pid")" 2>/dev/null || true
  say "down (engine 1 is left running)"
}

case "${1:-up}" in
  up) up; echo "$DIR/env" ;;
  down) down ;;
  env) echo "$DIR/env" ;;
  *) die "usage: $0 up|down|env" ;;
esac

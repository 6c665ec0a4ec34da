#!/usr/bin/env bash
# fleet's end-to-end test bed: two Docker engines, two registries, sshd; and, optional but started
# by default, a 3-node Swarm, a Docker Engine 26 and arm64 emulation.
#
#   tests/e2e/testbed.sh up              install what is missing (Debian, root), start everything, print it
#   tests/e2e/testbed.sh env             print the env file path (after `up`)
#   tests/e2e/testbed.sh down [part...]  stop what `up` started (images, volumes, swarm state are kept);
#                                        parts: swarm engine26 hosts (default: everything)
#
# Idempotent: running `up` twice starts nothing twice (concurrent `up`s wait for each other). On a
# machine that is not Debian or where we are not root, nothing is installed: it uses what is there,
# and says what is missing. Everything lives under $FLEET_TESTBED_DIR (default /tmp/fleet-testbed);
# the endpoints are written to $FLEET_TESTBED_DIR/env, which testbed/bed.ts reads.
#
# Engine 1 also gets fleet-testbed/caddy:2 (FLEET_TESTBED_CADDY_IMAGE), a Caddy image made from
# Debian's caddy package, for the proxy tests (no Docker Hub here; users run caddy:2).
#
# Optional parts (each off with FLEET_TESTBED_<PART>=0; when one cannot be had, the env file says
# why in FLEET_TESTBED_SWARM_UNAVAILABLE / FLEET_TESTBED_ENGINE26_UNAVAILABLE / FLEET_TESTBED_ARM64
# and `up` goes on, except with FLEET_E2E=required (CI), where it fails):
# - SWARM: 3 dockerd 20.10 in network namespaces fleetsw1..3 (10.77.0.11-13 on bridge fleetsw0,
#   10.77.0.1/24; own data/exec roots, sockets $DIR/swarm/nodeN/docker.sock), node 1 the manager.
#   A registry (one storage) listens on 10.77.0.1:5077 (marked insecure in the engines) and on
#   127.0.0.1:5077 in the root namespace and inside every namespace of the bed: 127.0.0.1:5077 is
#   one image name that engine 1, the nodes and engine 26 all reach. The nodes reach nothing
#   outside 10.77.0.0/24 (no default route). This kernel has no IPVS: no routing mesh or VIPs,
#   so tests publish host-mode ports with endpoint_mode dnsrr and try every node (testbed/poll.ts).
# - ENGINE26: dockerd 26 + containerd from the next Debian release (extracted under $DIR/engine26,
#   not installed; Debian 12's runc) in namespace fleete26 (10.77.0.26), containerd image store on.
# - ARM64: qemu-user-static + binfmt_misc (mounted when it is not), and $DIR/multiarch with
#   busybox-amd64.tar and busybox-arm64.tar (rootfs tars of Debian's busybox-static, the arm64 one
#   downloaded with a private apt state), for `FROM scratch` + `ARG TARGETARCH` +
#   `ADD busybox-${TARGETARCH}.tar /`.
# - HOSTS: 3 plain dockerd 20.10 (no swarm) in namespaces fleeth1..3 (10.77.0.31-33 on the same
#   bridge), sockets $DIR/hosts/hostN/docker.sock, the bed's registry on 127.0.0.1:5077 inside each;
#   host 3 also reached over ssh (an sshd in its namespace; ssh://fleet-host3): several hosts per stage.
# Their names and addresses can be moved (another copy of the parts beside these):
# FLEET_TESTBED_SWARM_SUBNET (10.77.0), FLEET_TESTBED_SWARM_REGISTRY_PORT (5077),
# FLEET_TESTBED_NETNS_PREFIX (fleet: bridge fleetsw0, namespaces fleetsw1..3 and fleete26).
set -euo pipefail

DIR=${FLEET_TESTBED_DIR:-/tmp/fleet-testbed}
REG_PORT=${FLEET_TESTBED_REGISTRY_PORT:-5400}
AUTH_REG_PORT=${FLEET_TESTBED_AUTH_REGISTRY_PORT:-5401}
SSH_PORT=${FLEET_TESTBED_SSH_PORT:-2422}
ENGINE2_SOCK="$DIR/engine2/docker.sock"
PLUGINS=/usr/libexec/docker/cli-plugins
SELF=$(readlink -f "${BASH_SOURCE[0]}")

# the optional parts (see the header)
SW_SUBNET=${FLEET_TESTBED_SWARM_SUBNET:-10.77.0} # the first three octets of the bed's /24
NS_PREFIX=${FLEET_TESTBED_NETNS_PREFIX:-fleet} # names: bridge <p>sw0, netns <p>sw1..3 and <p>e26
SW_BR=${NS_PREFIX}sw0
SW_GW=$SW_SUBNET.1
SW_NODES=3
BED_REG_PORT=${FLEET_TESTBED_SWARM_REGISTRY_PORT:-5077}
BED_REG=$SW_GW:$BED_REG_PORT            # the bed's registry as the engines in the namespaces name it
BED_REG_LOCAL=127.0.0.1:$BED_REG_PORT   # the same registry, in the root namespace and in each netns
E26=$DIR/engine26
E26_NS=${NS_PREFIX}e26
E26_VETH=${NS_PREFIX}e26v
E26_IP=$SW_SUBNET.26
MULTIARCH=$DIR/multiarch
PARTS_DIR=$DIR/parts

say() { printf 'testbed: %s%s\n' "${PART:+$PART: }" "$*" >&2; }
die() {
  say "error: $*"
  if [ -n "${PART_FAIL:-}" ]; then printf '%s\n' "$*" >"$PART_FAIL"; fi
  exit 1
}
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

# A private apt state under $DIR/apt/<name>, for packages of another release or architecture: they
# are downloaded (never installed); the system's sources, lists and cache are left alone. It is
# kept between runs (its index is fetched again only when a download fails).
private_apt() { # private_apt <name> <suite> [arch]; sets APT_OPTS and APT_DEBS
  local a="$DIR/apt/$1" suite=$2 arch=${3:-}
  [ -f /etc/apt/sources.list.d/debian.sources ] || die "no /etc/apt/sources.list.d/debian.sources to derive from"
  mkdir -p "$a/parts" "$a/lists/partial" "$a/cache/archives/partial" "$a/debs"
  # keep the main archive's stanza only (not -security), with the suite swapped
  sed "s/^Suites:.*/Suites: $suite/" /etc/apt/sources.list.d/debian.sources |
    awk 'BEGIN{RS="";ORS="\n\n"} /debian-security/{next} {print}' >"$a/parts/main.sources"
  APT_OPTS=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$a/parts"
    -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o APT::Sandbox::User=root
    -o Acquire::http::Timeout=30 -o Acquire::Retries=2)
  if [ -n "$arch" ]; then APT_OPTS+=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"); fi
  APT_DEBS=$a/debs
  ls "$a/lists/"*_Packages* >/dev/null 2>&1 || apt-get "${APT_OPTS[@]}" update -q >/dev/null
}

apt_download() { # apt_download <package...>: into $APT_DEBS
  (cd "$APT_DEBS" && apt-get "${APT_OPTS[@]}" download "$@" >/dev/null 2>&1) || {
    apt-get "${APT_OPTS[@]}" update -q >/dev/null
    (cd "$APT_DEBS" && apt-get "${APT_OPTS[@]}" download "$@" >/dev/null)
  }
}

newest_deb() { ls -v "$APT_DEBS/$1"_*.deb | tail -n 1; } # newest_deb <package>

# buildx and compose v2 are not packaged for Debian 12; the next release's packages work here.
install_plugins() {
  local need=()
  [ -x "$PLUGINS/docker-buildx" ] || [ -x /usr/local/lib/docker/cli-plugins/docker-buildx ] ||
    docker buildx version >/dev/null 2>&1 || need+=(docker-buildx)
  [ -x "$PLUGINS/docker-compose" ] || [ -x /usr/local/lib/docker/cli-plugins/docker-compose ] ||
    docker compose version >/dev/null 2>&1 || need+=(docker-compose)
  [ ${#need[@]} = 0 ] && return 0
  is_root && is_debian || die "missing docker plugins: ${need[*]}"
  say "installing ${need[*]} from the next Debian release (plugins only)"
  private_apt trixie trixie
  apt_download "${need[@]}"
  local x p; x=$(mktemp -d)
  mkdir -p "$PLUGINS"
  for p in "${need[@]}"; do dpkg-deb -x "$(newest_deb "$p")" "$x"; done
  for p in "${need[@]}"; do install -m 0755 "$x/usr/libexec/docker/cli-plugins/$p" "$PLUGINS/$p"; done
  rm -rf "$x"
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

# A Caddy image for the proxy (SPEC §14) without Docker Hub: Debian's caddy binary (dynamically
# linked: its libc and libzstd go in with it) on the imported busybox, laid out like the official
# caddy:2 image (caddy on PATH, config in /config, data in /data), so fleet drives it the same way.
CADDY_IMAGE=fleet-testbed/caddy:2
caddy_image() { # caddy_image <DOCKER_HOST>
  if DOCKER_HOST=$1 docker image inspect "$CADDY_IMAGE" >/dev/null 2>&1; then return 0; fi
  say "building $CADDY_IMAGE from Debian's caddy package"
  local d="$DIR/caddy" deb
  mkdir -p "$d/ctx/lib"
  if ! ls "$d"/caddy_*.deb >/dev/null 2>&1; then
    (cd "$d" && apt-get download caddy >/dev/null 2>&1) || (apt-get update >/dev/null && cd "$d" && apt-get download caddy >/dev/null)
  fi
  deb=$(ls -v "$d"/caddy_*.deb | tail -n 1)
  rm -rf "$d/x" && dpkg-deb -x "$deb" "$d/x"
  cp "$d/x/usr/bin/caddy" "$d/ctx/caddy"
  cp /lib/x86_64-linux-gnu/libzstd.so.1 /lib/x86_64-linux-gnu/libc.so.6 "$d/ctx/lib/"
  cp /lib64/ld-linux-x86-64.so.2 "$d/ctx/lib/"
  printf ':80 {\n\trespond "fleet test bed caddy"\n}\n' >"$d/ctx/Caddyfile"
  cat >"$d/ctx/Dockerfile" <<'D'
FROM busybox
COPY lib/libzstd.so.1 lib/libc.so.6 /lib/x86_64-linux-gnu/
COPY lib/ld-linux-x86-64.so.2 /lib64/
COPY caddy /usr/bin/caddy
COPY Caddyfile /etc/caddy/Caddyfile
ENV PATH=/usr/bin:/bin XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
EXPOSE 80 443 2019
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
D
  DOCKER_HOST=$1 docker build -q -t "$CADDY_IMAGE" "$d/ctx" >/dev/null
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

# ---- optional parts: the bed's network, a 3-node Swarm, Docker Engine 26, arm64 emulation ----

pid_is() { # pid_is <pidfile> <text>: the process in <pidfile> lives and its command line has <text>
  local p
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$2"
}

ns_exists() { [ -e "/run/netns/$1" ]; }

# kill_wait <tenths> <pid>...: SIGTERM, wait up to <tenths>/10 s for all to exit, then SIGKILL
kill_wait() {
  local tries=$1 p alive; shift
  [ $# = 0 ] && return 0
  kill "$@" 2>/dev/null || true
  for _ in $(seq 1 "$tries"); do
    alive=no
    for p in "$@"; do if kill -0 "$p" 2>/dev/null; then alive=yes; fi; done
    [ $alive = no ] && return 0
    sleep 0.1
  done
  kill -9 "$@" 2>/dev/null || true
}

# ns_kill <netns>...: end every process in those namespaces (only the bed's are passed), side by side
ns_kill() {
  local pids=() ns p
  for ns in "$@"; do
    for p in $(ip netns pids "$ns" 2>/dev/null || true); do pids+=("$p"); done
  done
  kill_wait 50 ${pids[@]+"${pids[@]}"}
}

ns_del() { # ns_del <netns>...
  local ns
  ns_kill "$@"
  for ns in "$@"; do ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"; done
}

# ns_up <netns> <ip> <veth>: a namespace on the bridge with eth0 = <ip>/24 and lo, no default route.
# A broken one (left by an earlier boot, or a run stopped half-way) is removed and made again.
ns_up() {
  local ns=$1 ip=$2 veth=$3
  if ns_exists "$ns" && ! { ip -n "$ns" -4 addr show dev eth0 2>/dev/null | grep -q "inet $ip/24" &&
    ip link show "$veth" >/dev/null 2>&1; }; then
    say "removing the broken network namespace $ns"
    ns_del "$ns"
  fi
  if ! ns_exists "$ns"; then
    ip link del "$veth" 2>/dev/null || true
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  fi
  ip link set "$veth" master "$SW_BR" up # again after the bridge was made anew
}

bed_registry_config() { # bed_registry_config <addr>
  local d="$DIR/net/registry"
  cat <<EOF
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $d/data }, delete: { enabled: true } }
http: { addr: "$1", secret: fleet-testbed }
EOF
}

# bed_registry_current <name> <addr>: that listener runs, with this config
bed_registry_current() {
  local d="$DIR/net/registry"
  pid_is "$d/$1.pid" "$d/$1.yml" && [ "$(bed_registry_config "$2")" = "$(cat "$d/$1.yml")" ]
}

# bed_registry <name> <netns|-> <addr>: a listener of the bed's registry; all share one storage.
# One that runs with another config (a port changed) is replaced.
bed_registry() {
  local name=$1 ns=$2 addr=$3 d="$DIR/net/registry"
  mkdir -p "$d/data"
  bed_registry_current "$name" "$addr" && return 0
  if pid_is "$d/$name.pid" "$d/$name.yml"; then kill_wait 50 "$(cat "$d/$name.pid")"; fi
  bed_registry_config "$addr" >"$d/$name.yml"
  if [ "$ns" = - ]; then
    setsid docker-registry serve "$d/$name.yml" >"$d/$name.log" 2>&1 </dev/null &
  else
    ip netns exec "$ns" setsid docker-registry serve "$d/$name.yml" >"$d/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$d/$name.pid"
}

bed_registry_wait() { # bed_registry_wait <name> <netns|-> <addr>
  local d="$DIR/net/registry" cmd=(curl -fsS -o /dev/null "http://$3/v2/")
  [ "$2" = - ] || cmd=(ip netns exec "$2" "${cmd[@]}")
  for _ in $(seq 1 100); do
    "${cmd[@]}" 2>/dev/null && return 0
    pid_is "$d/$1.pid" "$d/$1.yml" || break
    sleep 0.1
  done
  die "registry listener $1 on $3 did not come up: $(grep -o 'msg="[^"]*"' "$d/$1.log" | tail -n 1) (log: $d/$1.log)"
}

# The bed's network: bridge, FORWARD rule, the registry's root-namespace listeners.
part_net() {
  is_root || die "not root (network namespaces need root)"
  command -v docker-registry >/dev/null || die "no docker-registry"
  command -v iptables >/dev/null || die "no iptables"
  local owner
  owner=$(ip -o -4 addr show | awk -v a="$SW_GW/" 'index($4, a) == 1 {print $2; exit}')
  [ -z "$owner" ] || [ "$owner" = "$SW_BR" ] ||
    die "$SW_GW is already on interface $owner (FLEET_TESTBED_SWARM_SUBNET picks another /24)"
  if ! ip link show "$SW_BR" >/dev/null 2>&1; then
    say "creating bridge $SW_BR ($SW_GW/24)"
    ip link add "$SW_BR" type bridge
  fi
  ip -4 addr show dev "$SW_BR" | grep -q "inet $SW_GW/24" || ip addr add "$SW_GW/24" dev "$SW_BR"
  ip link set "$SW_BR" up
  # Bridged frames pass iptables (br_netfilter), where engine 1 set the FORWARD policy to DROP: one
  # rule lets the namespaces talk to each other (raft, gossip, vxlan). Nothing is routed further.
  iptables -C FORWARD -i "$SW_BR" -o "$SW_BR" -j ACCEPT -m comment --comment fleet-testbed 2>/dev/null ||
    iptables -I FORWARD 1 -i "$SW_BR" -o "$SW_BR" -j ACCEPT -m comment --comment fleet-testbed
  if ! bed_registry_current lo "$BED_REG_LOCAL" && curl -sS -o /dev/null "http://$BED_REG_LOCAL/" 2>/dev/null; then
    die "$BED_REG_LOCAL answers, but not as this test bed's registry (FLEET_TESTBED_SWARM_REGISTRY_PORT picks another port)"
  fi
  bed_registry lo - "$BED_REG_LOCAL"
  bed_registry br - "$BED_REG"
  bed_registry_wait lo - "$BED_REG_LOCAL"
  bed_registry_wait br - "$BED_REG"
}

# netns_dockerd <name> <netns> <dir> <daemon.json text> <PATH> <dockerd>: a dockerd in <netns>, with its
# own config file (never /etc/docker/daemon.json), data and exec roots, pidfile, socket
# <dir>/docker.sock (a file: usable from the root namespace), containerd (spawned by it) and
# containerd namespaces. A dockerd that is running is left alone (restarted when its config
# changed); leftovers of one that died (its containerd, shims, a stale pidfile or socket) go first.
netns_dockerd() {
  local name=$1 ns=$2 d=$3 json=$4 path=$5 bin=$6
  mkdir -p "$d"
  if pid_is "$d/docker.pid" "$d/data"; then
    [ "$json" = "$(cat "$d/daemon.json" 2>/dev/null)" ] && return 0
    say "$name: its config changed, restarting it"
    stop_dockerds "$d"
  fi
  ns_kill "$ns"
  rm -f "$d/docker.sock" "$d/docker.pid"
  printf '%s\n' "$json" >"$d/daemon.json"
  # `ip netns exec` gives the command a private mount namespace with a fresh /sys, which hides
  # the cgroup mounts (dockerd: "Devices cgroup isn't mounted"): mount them again there, with the
  # root namespace's options (so the same hierarchies); and a hostname of its own (unshare --uts).
  awk '$2 ~ "^/sys/fs/cgroup" {print $2" "$3" "$4}' /proc/self/mounts >"$d/cgroup-mounts"
  say "starting $name (netns $ns, unix://$d/docker.sock)"
  printf '\n==== %s: starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$d/dockerd.log"
  PATH=$path ip netns exec "$ns" setsid unshare --uts sh -c '
    while read -r p t o; do mkdir -p "$p"; mount -t "$t" -o "$o" "$t" "$p" || exit 1; done <"$0"
    hostname "$1"; shift 2; exec "$@"' "$d/cgroup-mounts" "$ns" - "$bin" \
    --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/docker.pid" -H "unix://$d/docker.sock" \
    --containerd-namespace "$ns" --containerd-plugins-namespace "$ns-plugins" \
    >>"$d/dockerd.log" 2>&1 </dev/null &
  echo $! >"$d/launch.pid"
}

dockerd_wait() { # dockerd_wait <name> <dir>: until it answers; fail fast when it died
  local d=$2
  for _ in $(seq 1 300); do
    if DOCKER_HOST="unix://$d/docker.sock" docker version >/dev/null 2>&1; then return 0; fi
    if ! pid_is "$d/launch.pid" "$d/data" && ! pid_is "$d/docker.pid" "$d/data"; then
      tail -n 15 "$d/dockerd.log" | tr -d '\000' >&2
      die "$1 exited while starting (log: $d/dockerd.log)"
    fi
    sleep 0.2
  done
  die "$1 did not come up within 60s (log: $d/dockerd.log)"
}

# stop_dockerds <dir>...: TERM each (it stops its containers and its containerd), wait, then KILL
stop_dockerds() {
  local d pids=()
  for d in "$@"; do
    if pid_is "$d/docker.pid" "$d/data"; then pids+=("$(cat "$d/docker.pid")"); fi
  done
  kill_wait 300 ${pids[@]+"${pids[@]}"}
}

sw_dir() { echo "$DIR/swarm/node$1"; }
sw_host() { echo "unix://$DIR/swarm/node$1/docker.sock"; }
sw_ip() { echo "$SW_SUBNET.1$1"; }
sw_ns() { echo "${NS_PREFIX}sw$1"; }
sw() { local n=$1; shift; DOCKER_HOST=$(sw_host "$n") docker "$@"; } # sw <node> <docker args...>

# "<state> <node id> <manager?>" of a node; waits out "pending" (a node reconnecting after a restart)
sw_state() {
  local s=error end=$((SECONDS + 10))
  while :; do
    s=$(sw "$1" info -f '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{.Swarm.ControlAvailable}}' 2>/dev/null) ||
      s=error
    case $s in pending*) [ $SECONDS -lt $end ] || break; sleep 0.2 ;; *) break ;; esac
  done
  echo "$s"
}

sw_init() {
  say "swarm init on node 1 ($(sw_ip 1))"
  sw 1 swarm init --advertise-addr "$(sw_ip 1)" --listen-addr "$(sw_ip 1):2377" >/dev/null
}

# Workers that are not members of node 1's swarm (never joined, or left over from an earlier
# swarm) leave what they had and join.
sw_join() {
  local token n st id
  token=$(sw 1 swarm join-token -q worker)
  for n in $(seq 2 "$SW_NODES"); do
    read -r st id _ <<<"$(sw_state "$n")"
    if [ "$st" = active ] && sw 1 node inspect "$id" >/dev/null 2>&1; then continue; fi
    [ "$st" = inactive ] || sw "$n" swarm leave --force >/dev/null 2>&1 || true
    say "swarm join: node $n ($(sw_ip "$n"))"
    sw "$n" swarm join --token "$token" --advertise-addr "$(sw_ip "$n")" \
      --listen-addr "$(sw_ip "$n"):2377" "$(sw_ip 1):2377" >/dev/null
  done
}

sw_ready() { # sw_ready <secs>: every node of the bed is a ready member of node 1's swarm
  local ids=() n
  for n in $(seq 1 "$SW_NODES"); do ids+=("$(sw "$n" info -f '{{.Swarm.NodeID}}')"); done
  for _ in $(seq 1 $(($1 * 5))); do
    [ "$(sw 1 node inspect -f '{{.Status.State}}' "${ids[@]}" 2>/dev/null | grep -c '^ready$')" = "$SW_NODES" ] &&
      return 0
    sleep 0.2
  done
  return 1
}

swarm_form() {
  local st ctl want
  # already formed (one call): exactly the bed's nodes, all ready
  want=$(for n in $(seq 1 "$SW_NODES"); do echo "$(sw_ns "$n") Ready"; done)
  [ "$(sw 1 node ls --format '{{.Hostname}} {{.Status}}' 2>/dev/null | sort)" = "$want" ] && return 0
  read -r st _ ctl <<<"$(sw_state 1)"
  if [ "$st" != active ] || [ "$ctl" != true ]; then
    [ "$st" = inactive ] || sw 1 swarm leave --force >/dev/null 2>&1 || true
    sw_init
  fi
  sw_join
  if ! sw_ready 45; then
    say "the swarm did not get ready: forming it anew"
    for n in $(seq "$SW_NODES" -1 1); do sw "$n" swarm leave --force >/dev/null 2>&1 || true; done
    sw_init
    sw_join
    sw_ready 45 || die "swarm nodes not ready: $(sw 1 node ls 2>&1 | tr '\n' ';')"
  fi
  # earlier incarnations of a node (it left and joined again) stay listed as Down: remove them
  sw 1 node ls --format '{{.ID}} {{.Status}}' | awk '$2 == "Down" {print $1}' |
    while read -r id; do sw 1 node rm --force "$id" >/dev/null 2>&1 || true; done
}

# busybox (engine 1's, as the base part made it) in the bed's registry, for services on the swarm
swarm_seed() {
  local ref=$BED_REG/testbed/busybox:latest
  curl -fsS -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$BED_REG_LOCAL/v2/testbed/busybox/manifests/latest" 2>/dev/null && return 0
  say "pushing busybox to $ref"
  docker -H unix:///var/run/docker.sock save busybox:latest | sw 1 load -q >/dev/null
  sw 1 tag busybox:latest "$ref"
  sw 1 push -q "$ref" >/dev/null
}

part_swarm() {
  local n json dockerd
  dockerd=$(command -v dockerd) || die "no dockerd"
  json="{ \"insecure-registries\": [\"$BED_REG\"], \"shutdown-timeout\": 3 }"
  # A manager without swarm state (wiped, or never made) means the workers' state is stale: their
  # dockerd would try to reach that old swarm for 20 s before it answers. They join anew.
  if [ ! -d "$(sw_dir 1)/data/swarm/raft" ]; then
    for n in $(seq 2 "$SW_NODES"); do
      pid_is "$(sw_dir "$n")/docker.pid" "$(sw_dir "$n")/data" || rm -rf "$(sw_dir "$n")/data/swarm"
    done
  fi
  for n in $(seq 1 "$SW_NODES"); do
    ns_up "$(sw_ns "$n")" "$(sw_ip "$n")" "${NS_PREFIX}swv$n"
    netns_dockerd "swarm node $n" "$(sw_ns "$n")" "$(sw_dir "$n")" "$json" "$PATH" "$dockerd"
    bed_registry "$(sw_ns "$n")" "$(sw_ns "$n")" "$BED_REG_LOCAL"
  done
  for n in $(seq 1 "$SW_NODES"); do
    dockerd_wait "swarm node $n" "$(sw_dir "$n")"
    bed_registry_wait "$(sw_ns "$n")" "$(sw_ns "$n")" "$BED_REG_LOCAL"
  done
  swarm_form
  swarm_seed
  {
    echo "FLEET_TESTBED_SWARM_MANAGER=$(sw_host 1)"
    echo "FLEET_TESTBED_SWARM_HOSTS=$(for n in $(seq 1 "$SW_NODES"); do sw_host "$n"; done | paste -sd' ')"
    echo "FLEET_TESTBED_SWARM_NODES=$(for n in $(seq 1 "$SW_NODES"); do sw_ip "$n"; done | paste -sd' ')"
    echo "FLEET_TESTBED_SWARM_REGISTRY=$BED_REG"
    echo "FLEET_TESTBED_SWARM_REGISTRY_LOCAL=$BED_REG_LOCAL"
    echo "FLEET_TESTBED_SWARM_BUSYBOX=$BED_REG/testbed/busybox:latest"
  } >"$PART_ENV"
}

# dockerd 26 and containerd 1.7 from the next Debian release run on Debian 12 (they need glibc 2.34);
# its runc needs glibc 2.38, so Debian 12's runc runs the containers. dockerd finds containerd,
# the shim, runc and docker-proxy on its PATH: $E26/bin first.
engine26_bins() {
  local b=$E26/bin f p
  if [ -x "$b/dockerd" ] && [ -x "$b/containerd" ] && [ -x "$b/runc" ]; then return 0; fi
  is_root && is_debian || die "Docker Engine 26 comes from Debian packages: needs root on Debian"
  command -v runc >/dev/null || die "no runc"
  say "downloading docker.io and containerd from the next Debian release (extracted to $E26/root)"
  private_apt trixie trixie
  apt_download docker.io containerd
  rm -rf "$b" "$E26/root"
  mkdir -p "$E26/root" "$b"
  dpkg-deb -x "$(newest_deb docker.io)" "$E26/root" & # xz: the two side by side
  dpkg-deb -x "$(newest_deb containerd)" "$E26/root" || { wait; die "cannot extract containerd"; }
  wait $! || die "cannot extract docker.io"
  "$E26/root/usr/sbin/dockerd" --version >/dev/null || die "the next release's dockerd does not run here"
  for f in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/ctr; do
    [ -x "$E26/root/$f" ] || die "no $f in the next release's docker.io/containerd"
    ln -sf "$E26/root/$f" "$b/"
  done
  ln -sf "$(command -v runc)" "$b/runc" # last: the bin dir is complete
}

part_engine26() {
  engine26_bins
  ns_up "$E26_NS" "$E26_IP" "$E26_VETH"
  netns_dockerd "engine 26" "$E26_NS" "$E26" \
    "{ \"insecure-registries\": [\"$BED_REG\"], \"features\": { \"containerd-snapshotter\": true }, \"shutdown-timeout\": 3 }" \
    "$E26/bin:$PATH" "$E26/bin/dockerd"
  bed_registry "$E26_NS" "$E26_NS" "$BED_REG_LOCAL"
  dockerd_wait "engine 26" "$E26"
  bed_registry_wait "$E26_NS" "$E26_NS" "$BED_REG_LOCAL"
  DOCKER_HOST="unix://$E26/docker.sock" docker info -f '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter ||
    die "engine 26 runs without the containerd image store"
  {
    echo "FLEET_TESTBED_ENGINE26=unix://$E26/docker.sock"
    echo "FLEET_TESTBED_ENGINE26_REGISTRY=$BED_REG_LOCAL"
  } >"$PART_ENV"
}

# rootfs_tar <static busybox> <arch>: a root file system tar, the same bytes on every run
rootfs_tar() {
  local r a
  r=$(mktemp -d)
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/var/www"
  chmod 0755 "$r" "$r/bin" "$r/etc" "$r/root" "$r/var" "$r/var/www"
  chmod 1777 "$r/tmp"
  install -m 0755 "$1" "$r/bin/busybox"
  # the applets of the host's busybox-static (same version): listing needs no emulation
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  chmod 0644 "$r/etc/passwd" "$r/etc/group"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$MULTIARCH/.busybox-$2.tar" .
  mv -f "$MULTIARCH/.busybox-$2.tar" "$MULTIARCH/busybox-$2.tar"
  rm -rf "$r"
}

multiarch_tars() {
  local x
  if [ -f "$MULTIARCH/busybox-amd64.tar" ] && [ -f "$MULTIARCH/busybox-arm64.tar" ] &&
    [ -x "$DIR/arm64/busybox" ]; then return 0; fi
  [ -x /bin/busybox ] && file_is_static /bin/busybox || die "no static /bin/busybox (busybox-static)"
  mkdir -p "$MULTIARCH" "$DIR/arm64"
  if [ ! -x "$DIR/arm64/busybox" ]; then
    is_debian || die "the arm64 busybox comes from Debian's busybox-static:arm64"
    say "downloading busybox-static:arm64 (private apt state)"
    private_apt "bookworm-arm64" "$(. /etc/os-release && echo "$VERSION_CODENAME")" arm64
    apt_download busybox-static
    x=$(mktemp -d)
    dpkg-deb -x "$(newest_deb busybox-static)" "$x"
    install -m 0755 "$x/bin/busybox" "$DIR/arm64/.busybox"
    mv -f "$DIR/arm64/.busybox" "$DIR/arm64/busybox"
    rm -rf "$x"
  fi
  rootfs_tar /bin/busybox amd64
  rootfs_tar "$DIR/arm64/busybox" arm64
  cat >"$MULTIARCH/Dockerfile" <<'EOF'
# a base image that needs no pull, for any of the platforms that have a busybox-<arch>.tar here
FROM scratch
ARG TARGETARCH
ADD busybox-${TARGETARCH}.tar /
ENV PATH=/bin
CMD ["sh"]
EOF
}

# qemu-user-static, registered with binfmt_misc with the F flag (the interpreter is opened at
# registration, so it works inside containers too). binfmt_misc is the kernel's, for everyone.
arm64_emulation() {
  local b=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf m
  grep -qw binfmt_misc /proc/filesystems || die "this kernel has no binfmt_misc"
  if [ ! -e "$b/register" ]; then
    is_root || die "binfmt_misc is not mounted (and we are not root to mount it)"
    mount -t binfmt_misc binfmt_misc "$b" 2>/dev/null || die "cannot mount binfmt_misc on $b"
  fi
  [ "$(cat "$b/status")" = enabled ] || die "binfmt_misc is disabled ($b/status)"
  if [ ! -f "$conf" ]; then
    is_root && is_debian || die "no qemu-user-static"
    say "installing qemu-user-static"
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q --no-install-recommends \
      qemu-user-static >/dev/null 2>&1 || {
      apt-get update -q >/dev/null
      DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q --no-install-recommends \
        qemu-user-static >/dev/null
    }
  fi
  if [ -e "$b/qemu-aarch64" ] && ! grep -q '^flags:.*F' "$b/qemu-aarch64"; then
    is_root || die "qemu-aarch64 is registered without the F flag (it would not run in containers)"
    say "registering qemu-aarch64 again, with the F flag"
    echo -1 >"$b/qemu-aarch64"
  fi
  if [ ! -e "$b/qemu-aarch64" ]; then
    is_root || die "qemu-aarch64 is not registered with binfmt_misc (and we are not root)"
    say "registering qemu-aarch64 with binfmt_misc"
    grep -v '^#' "$conf" | head -n 1 | tr -d '\n' >"$b/register"
  fi
  grep -qx enabled "$b/qemu-aarch64" || die "qemu-aarch64 is disabled in binfmt_misc"
  m=$("$DIR/arm64/busybox" uname -m 2>&1) || true
  [ "$m" = aarch64 ] || die "the arm64 busybox does not run under emulation: $m"
}

part_arm64() {
  multiarch_tars
  echo "FLEET_TESTBED_MULTIARCH_DIR=$MULTIARCH" >"$PART_ENV"
  arm64_emulation
  echo "FLEET_TESTBED_ARM64=1" >>"$PART_ENV"
}

# ---- optional part: several Docker hosts (SPEC §15) ----
# Three plain dockerds (no swarm), each in its own namespace <p>h1..3 on the bed's bridge
# ($SW_SUBNET.31-33), with the bed's registry on 127.0.0.1:$BED_REG_PORT inside each; host 3 is
# reached over ssh:// too (an sshd in its namespace on $SW_SUBNET.33:22, ssh config name fleet-host3,
# in $DIR/hosts/ssh_config, used by the `ssh` in $DIR/hosts/bin: put that first on PATH).
HS_N=3
hs_dir() { echo "$DIR/hosts/host$1"; }
hs_sock() { echo "unix://$DIR/hosts/host$1/docker.sock"; }
hs_ip() { echo "$SW_SUBNET.3$1"; }
hs_ns() { echo "${NS_PREFIX}h$1"; }
hs_veth() { echo "${NS_PREFIX}hv$1"; }

# sshd in host 3's namespace, with the bed's keys and user; its DOCKER_HOST is host 3's engine
hs_sshd() {
  local d ip conf user
  d=$(hs_dir 3) ip=$(hs_ip 3) conf="$(hs_dir 3)/sshd_config"
  user=$(ssh_user)
  [ -f "$DIR/ssh/host_key" ] || die "no $DIR/ssh/host_key (the base bed's sshd makes it)"
  cat >"$conf.new" <<SSHD
Port 22
ListenAddress $ip
HostKey $DIR/ssh/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $DIR/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 100:30:200
MaxSessions 100
SetEnv DOCKER_HOST=$(hs_sock 3)
SSHD
  mv -f "$conf.new" "$conf"
  # the client side: its own ssh config and an `ssh` that uses it (the base bed's are rewritten
  # by every `up`), for the hosts part only
  mkdir -p "$DIR/hosts/bin"
  cat >"$DIR/hosts/ssh_config" <<SSHC
Host fleet-host3
  HostName $ip
  Port 22
  User $user
  IdentityFile $DIR/ssh/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/ssh/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
  LogLevel ERROR
SSHC
  printf '#!/bin/sh\nexec /usr/bin/ssh -F "%s" "$@"\n' "$DIR/hosts/ssh_config" >"$DIR/hosts/bin/ssh.new"
  chmod +x "$DIR/hosts/bin/ssh.new"
  mv -f "$DIR/hosts/bin/ssh.new" "$DIR/hosts/bin/ssh"
  if pid_is "$d/sshd.pid" "sshd"; then
    kill -HUP "$(cat "$d/sshd.pid")" # re-read the config written above
  else
    say "starting sshd in $(hs_ns 3) on $ip:22 (host 3 behind it)"
    ip netns exec "$(hs_ns 3)" /usr/sbin/sshd -f "$conf" -E "$d/sshd.log"
  fi
  wait_for 20 "sshd of host 3" "$DIR/hosts/bin/ssh" fleet-host3 docker version
}

part_hosts() {
  local n json dockerd
  dockerd=$(command -v dockerd) || die "no dockerd"
  json="{ \"insecure-registries\": [\"$BED_REG\"], \"shutdown-timeout\": 3 }"
  for n in $(seq 1 "$HS_N"); do
    ns_up "$(hs_ns "$n")" "$(hs_ip "$n")" "$(hs_veth "$n")"
    netns_dockerd "host $n" "$(hs_ns "$n")" "$(hs_dir "$n")" "$json" "$PATH" "$dockerd"
    bed_registry "$(hs_ns "$n")" "$(hs_ns "$n")" "$BED_REG_LOCAL"
  done
  for n in $(seq 1 "$HS_N"); do
    dockerd_wait "host $n" "$(hs_dir "$n")"
    bed_registry_wait "$(hs_ns "$n")" "$(hs_ns "$n")" "$BED_REG_LOCAL"
  done
  hs_sshd
  {
    echo "FLEET_TESTBED_HOSTS_ENDPOINTS=$(hs_sock 1) $(hs_sock 2) ssh://fleet-host3"
    echo "FLEET_TESTBED_HOSTS_SOCKETS=$(for n in $(seq 1 "$HS_N"); do hs_sock "$n"; done | paste -sd' ')"
    echo "FLEET_TESTBED_HOSTS_IPS=$(for n in $(seq 1 "$HS_N"); do hs_ip "$n"; done | paste -sd' ')"
    echo "FLEET_TESTBED_HOSTS_REGISTRY=$BED_REG_LOCAL"
    echo "FLEET_TESTBED_HOSTS_SSH_BIN=$DIR/hosts/bin"
  } >"$PART_ENV"
}

part_var() { case $1 in hosts) echo FLEET_TESTBED_HOSTS ;; swarm) echo FLEET_TESTBED_SWARM ;; engine26) echo FLEET_TESTBED_ENGINE26 ;; arm64) echo FLEET_TESTBED_ARM64 ;; esac; }

# run_part <part>: in a child bash (its own `set -e`); on failure <part>.fail holds the reason
run_part() {
  local rc=0
  PART=$1 bash "$SELF" __part "$1" >&2 || rc=$?
  if [ $rc != 0 ] && [ ! -s "$PARTS_DIR/$1.fail" ]; then echo "exit $rc" >"$PARTS_DIR/$1.fail"; fi
  return $rc
}

part_main() { # the child
  PART=$1 PART_FAIL="$PARTS_DIR/$1.fail" PART_ENV="$PARTS_DIR/$1.env"
  rm -f "$PART_FAIL" "$PART_ENV"
  trap 'rc=$?; if [ $rc != 0 ] && [ ! -s "$PART_FAIL" ]; then echo "failed ($rc): $BASH_COMMAND" >"$PART_FAIL"; fi' EXIT
  "part_$1"
}

# The optional parts, side by side. One that is off or fails says why in the env file; with
# FLEET_E2E=required a failure fails `up`.
up_parts() {
  local p v want=() pids=() failed=() r
  mkdir -p "$PARTS_DIR"
  for p in swarm engine26 arm64 hosts; do
    v=$(part_var "$p")
    rm -f "$PARTS_DIR/$p.env" "$PARTS_DIR/$p.fail"
    if [ "${!v:-1}" = 0 ]; then echo "off ($v=0)" >"$PARTS_DIR/$p.fail"; else want+=("$p"); fi
  done
  if [[ " ${want[*]} " == *" swarm "* || " ${want[*]} " == *" engine26 "* ||
    " ${want[*]} " == *" hosts "* ]] && ! run_part net; then
    r="bed network: $(head -n 1 "$PARTS_DIR/net.fail")"
    for p in swarm engine26 hosts; do
      if [[ " ${want[*]} " == *" $p "* ]]; then echo "$r" >"$PARTS_DIR/$p.fail"; fi
    done
    want=("${want[@]/swarm/}") want=("${want[@]/engine26/}") want=("${want[@]/hosts/}")
  fi
  for p in ${want[@]+"${want[@]}"}; do
    [ -n "$p" ] || continue
    run_part "$p" &
    pids+=($!)
  done
  for p in ${pids[@]+"${pids[@]}"}; do wait "$p" || true; done
  if [ ! -f "$PARTS_DIR/arm64.env" ] && [ -f "$MULTIARCH/busybox-arm64.tar" ]; then
    echo "FLEET_TESTBED_MULTIARCH_DIR=$MULTIARCH" >"$PARTS_DIR/arm64.env"
  fi
  for p in swarm engine26 arm64 hosts; do
    [ -s "$PARTS_DIR/$p.fail" ] || continue
    r=$(head -n 1 "$PARTS_DIR/$p.fail")
    case $r in "off ("*) ;; *) say "$p unavailable: $r"; failed+=("$p: $r") ;; esac
  done
  if [ ${#failed[@]} != 0 ] && [ "${FLEET_E2E:-}" = required ]; then
    write_env
    die "FLEET_E2E=required, but optional parts of the test bed failed: $(printf '%s; ' "${failed[@]}")"
  fi
}

parts_summary() {
  local s=() r
  r=$(head -n 1 "$PARTS_DIR/swarm.fail" 2>/dev/null) ||
    r="$SW_NODES nodes ($(sw_ip 1) manager), registry $BED_REG = $BED_REG_LOCAL"
  s+=("swarm: $r")
  r=$(head -n 1 "$PARTS_DIR/engine26.fail" 2>/dev/null) ||
    r="$(DOCKER_HOST="unix://$E26/docker.sock" docker version -f '{{.Server.Version}}' 2>&1), containerd image store"
  s+=("engine 26: $r")
  r=$(head -n 1 "$PARTS_DIR/arm64.fail" 2>/dev/null) || r="qemu-aarch64"
  s+=("arm64: $r")
  r=$(head -n 1 "$PARTS_DIR/hosts.fail" 2>/dev/null) || r="$HS_N hosts $(hs_ip 1)-$(hs_ip "$HS_N") (host 3 over ssh)"
  s+=("hosts: $r")
  local IFS=';'
  echo "${s[*]}" | sed 's/;/; /g'
}

# down of the optional parts: the namespaces go, state (images, swarm) stays in $DIR. All the
# dockerds stop side by side, then whatever is left in their namespaces (registry listeners, shims).
down_parts() { # down_parts <part>...
  local p n dirs=() nss=() veths=() ns
  for p in "$@"; do
    case $p in
      swarm)
        for n in $(seq 1 "$SW_NODES"); do
          dirs+=("$(sw_dir "$n")") nss+=("$(sw_ns "$n")") veths+=("${NS_PREFIX}swv$n")
        done
        ;;
      engine26) dirs+=("$E26") nss+=("$E26_NS") veths+=("$E26_VETH") ;;
      hosts)
        for n in $(seq 1 "$HS_N"); do
          dirs+=("$(hs_dir "$n")") nss+=("$(hs_ns "$n")") veths+=("$(hs_veth "$n")")
        done
        ;;
      *) die "down: no part $p (swarm, engine26, hosts)" ;;
    esac
  done
  stop_dockerds "${dirs[@]}"
  local present=()
  for ns in "${nss[@]}"; do if ns_exists "$ns"; then present+=("$ns"); fi; done
  if [ ${#present[@]} != 0 ]; then ns_del "${present[@]}"; fi
  for p in "${veths[@]}"; do ip link del "$p" 2>/dev/null || true; done
  for p in "${dirs[@]}"; do rm -f "$p/docker.sock" "$p/docker.pid"; done
}

down_net() { # when no namespace of the bed is left
  local n f
  for n in $(seq 1 "$SW_NODES") e26; do
    case $n in e26) ns_exists "$E26_NS" && return 0 ;; *) ns_exists "$(sw_ns "$n")" && return 0 ;; esac
  done
  for n in $(seq 1 "$HS_N"); do if ns_exists "$(hs_ns "$n")"; then return 0; fi; done
  for f in "$DIR/net/registry/"*.pid; do
    [ -f "$f" ] || continue
    if pid_is "$f" "$DIR/net/registry/"; then kill "$(cat "$f")" 2>/dev/null || true; fi
    rm -f "$f"
  done
  while iptables -C FORWARD -i "$SW_BR" -o "$SW_BR" -j ACCEPT -m comment --comment fleet-testbed 2>/dev/null; do
    iptables -D FORWARD -i "$SW_BR" -o "$SW_BR" -j ACCEPT -m comment --comment fleet-testbed
  done
  ip link del "$SW_BR" 2>/dev/null || true
}

write_env() {
  local p k
  {
    cat <<EOF
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
    if docker image inspect "$CADDY_IMAGE" >/dev/null 2>&1; then
      echo "FLEET_TESTBED_CADDY_IMAGE=$CADDY_IMAGE"
    else
      echo "FLEET_TESTBED_CADDY_UNAVAILABLE=no $CADDY_IMAGE on engine 1 (apt-get download caddy failed)"
    fi
    for p in swarm engine26 arm64 hosts; do
      if [ -f "$PARTS_DIR/$p.env" ]; then cat "$PARTS_DIR/$p.env"; fi
      if [ -s "$PARTS_DIR/$p.fail" ]; then
        case $p in
          swarm) k=FLEET_TESTBED_SWARM_UNAVAILABLE ;;
          engine26) k=FLEET_TESTBED_ENGINE26_UNAVAILABLE ;;
          arm64) k=FLEET_TESTBED_ARM64 ;;
          hosts) k=FLEET_TESTBED_HOSTS_UNAVAILABLE ;;
        esac
        echo "$k=$(head -n 1 "$PARTS_DIR/$p.fail")"
      fi
    done
  } >"$DIR/.env.tmp"
  mv -f "$DIR/.env.tmp" "$DIR/env"
}

up() {
  mkdir -p "$DIR"
  install_packages
  install_plugins
  start_engine1
  start_engine2
  import_busybox unix:///var/run/docker.sock
  import_busybox "unix://$ENGINE2_SOCK"
  caddy_image unix:///var/run/docker.sock || say "no Caddy image (the proxy tests skip): needs apt-get download caddy"
  start_registry registry "$REG_PORT"
  mkdir -p "$DIR/auth-registry"
  if [ ! -f "$DIR/auth-registry/htpasswd" ]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/auth-registry/password"
    htpasswd -Bbn fleet "$(cat "$DIR/auth-registry/password")" >"$DIR/auth-registry/htpasswd" 2>/dev/null
  fi
  start_registry auth-registry "$AUTH_REG_PORT" "$DIR/auth-registry/htpasswd"
  start_sshd
  up_parts
  write_env
  say "up: engine 1 $(docker version -f '{{.Server.Version}}'), engine 2 $(DOCKER_HOST=unix://$ENGINE2_SOCK docker version -f '{{.Server.Version}}')," \
    "buildx $(docker buildx version | awk '{print $2}'), compose $(docker compose version --short)," \
    "registries 127.0.0.1:$REG_PORT and 127.0.0.1:$AUTH_REG_PORT (auth), sshd 127.0.0.1:$SSH_PORT; env in $DIR/env"
  say "up: $(parts_summary)"
}

down() { # down [part...]: swarm, engine26; none: everything
  local p all=no
  [ $# = 0 ] && { all=yes; set -- swarm engine26 hosts; }
  down_parts "$@"
  down_net
  [ $all = yes ] || { say "down: $*"; return 0; }
  [ -f "$DIR/ssh/sshd.pid" ] && kill "$(cat "$DIR/ssh/sshd.pid")" 2>/dev/null || true
  pkill -f "docker-registry serve $DIR/" 2>/dev/null || true
  [ -f "$DIR/engine2/docker.pid" ] && kill "$(cat "$DIR/engine2/docker.pid")" 2>/dev/null || true
  say "down (engine 1 is left running)"
}

# `up` and `down` wait for each other (flock -o: the daemons they start do not hold the lock)
case "${1:-up}" in
  up | down | __parts)
    if [ -z "${FLEET_TESTBED_LOCKED:-}" ] && command -v flock >/dev/null; then
      mkdir -p "$DIR"
      export FLEET_TESTBED_LOCKED=1
      exec flock -o -w 900 "$DIR/.lock" bash "$SELF" "$@"
    fi
    ;;
esac

case "${1:-up}" in
  up) up; echo "$DIR/env" ;;
  down) shift; down "$@" ;;
  env) echo "$DIR/env" ;;
  __part) part_main "$2" ;;                                     # one optional part (internal)
  __parts) up_parts; write_env; say "up: $(parts_summary)" ;;   # only the optional parts (internal)
  *) die "usage: $0 up|down [part...]|env" ;;
esac

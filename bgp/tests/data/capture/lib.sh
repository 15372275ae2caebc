# Helpers for capture-real.sh (sourced, not run).  Network namespaces, veth pairs, real BGP
# daemons (gobgpd, FRR bgpd/zebra, BIRD), tcpdump, bounded polling and cleanup.
#
# Every namespace and link carries the per-run prefix $P.  Every process started is recorded
# in $W/pids and stopped by that PID.  Every wait polls with a deadline.

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stop one PID we started: TERM, poll up to 5 s, then KILL.
stop_pid() {
    local pid=$1 i state
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
        [[ -z $state || $state == Z ]] && break
        sleep 0.1
    done
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    [[ -n $state && $state != Z ]] && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# Start a command in a namespace in the background; its PID goes to $W/pids and $LAST_PID.
start_in() {
    local ns=$1 logf=$2
    shift 2
    ip netns exec "$ns" "$@" >"$logf" 2>&1 &
    LAST_PID=$!
    echo "$LAST_PID" >>"$W/pids"
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.2 s until COMMAND succeeds.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    while ((SECONDS < deadline)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    log "timeout after ${secs}s: $what"
    return 1
}

mk_ns() {
    ip netns add "$P$1"
    ip -n "$P$1" link set lo up
    ip netns exec "$P$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# veth NS1 IF1 NS2 IF2: a veth pair between two of our namespaces, both ends up.
veth() {
    ip link add "$P$2" netns "$P$1" type veth peer name "$P$4" netns "$P$3"
    ip -n "$P$1" link set "$P$2" up
    ip -n "$P$3" link set "$P$4" up
}

addr() { ip -n "$P$1" addr add "$3" dev "$P$2" nodad 2>/dev/null || ip -n "$P$1" addr add "$3" dev "$P$2"; }

# ---------------------------------------------------------------- tcpdump

# tcpdump_start NS IFACE FILE  (IFACE may be "any"; without prefix if "any")
tcpdump_start() {
    local ns=$1 ifc=$2 file=$3
    [[ $ifc == any ]] || ifc=$P$ifc
    start_in "$P$ns" "$file.log" tcpdump -Z root -U -n -s 0 -i "$ifc" -w "$file" 'tcp port 179'
    TCPDUMP_PID=$LAST_PID
    wait_for 10 "tcpdump listening" grep -q "listening on" "$file.log"
}

tcpdump_stop() {
    sleep 0.5 # let the last segments reach the capture buffer
    stop_pid "$1"
}

# ---------------------------------------------------------------- gobgpd

# gobgp_start NS CONFIG_TEXT  (runs gobgpd with a YAML config; API on 127.0.0.1:50051)
gobgp_start() {
    local ns=$1 conf=$W/$1.gobgpd.yaml
    printf '%s\n' "$2" >"$conf"
    start_in "$P$ns" "$W/$ns.gobgpd.log" gobgpd -t yaml -f "$conf" -p --pprof-disable \
        --api-hosts 127.0.0.1:50051
    echo "$LAST_PID" >"$W/$ns.gobgpd.pid"
    wait_for 15 "gobgpd API in $ns" ip netns exec "$P$ns" gobgp global
}

gobgp() { local ns=$1; shift; ip netns exec "$P$ns" gobgp -u 127.0.0.1 -p 50051 "$@"; }

gobgp_established() { gobgp "$1" neighbor "$2" | grep -qi "BGP state = established"; }
gobgp_not_established() { ! gobgp "$1" neighbor "$2" | grep -qi "BGP state = established"; }
gobgp_has() { gobgp "$1" global rib -a "$2" "$3" | grep -q "$3"; }
gobgp_lacks() { ! gobgp "$1" global rib -a "$2" | grep -q "$3"; }

# ---------------------------------------------------------------- FRR

# frr_start NS CONFIG_TEXT: zebra + bgpd, one directory per namespace owned by frr.
frr_start() {
    local ns=$1 d=$W/$1.frr
    mkdir -p "$d"
    printf 'hostname %s\nlog stdout informational\n' "$ns" >"$d/zebra.conf"
    printf '%s\n' "$2" >"$d/bgpd.conf"
    chown -R frr:frr "$d"
    start_in "$P$ns" "$d/zebra.log" /usr/lib/frr/zebra -f "$d/zebra.conf" -i "$d/zebra.pid" \
        -z "$d/zserv.api" --vty_socket "$d" -u frr -g frr
    wait_for 15 "zebra socket in $ns" test -S "$d/zserv.api"
    start_in "$P$ns" "$d/bgpd.log" /usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" \
        -z "$d/zserv.api" --vty_socket "$d" -u frr -g frr
    echo "$LAST_PID" >"$d/bgpd.started.pid"
    wait_for 15 "bgpd vty in $ns" test -S "$d/bgpd.vty"
}

# vtysh NS CMD...: each argument is one vtysh command.
vtysh_in() {
    local ns=$1
    shift
    local args=()
    for c in "$@"; do args+=(-c "$c"); done
    ip netns exec "$P$ns" vtysh --vty_socket "$W/$ns.frr" "${args[@]}"
}

frr_state() { # NS PEER -> bgpState
    vtysh_in "$1" "show bgp neighbors $2 json" | python3 -c '
import json,sys
d=json.load(sys.stdin); p=d.get(sys.argv[1],{})
print(p.get("bgpState",""))' "$2"
}
frr_stat() { # NS PEER KEY -> messageStats[KEY]
    vtysh_in "$1" "show bgp neighbors $2 json" | python3 -c '
import json,sys
d=json.load(sys.stdin); p=d.get(sys.argv[1],{})
print(p.get("messageStats",{}).get(sys.argv[2],0))' "$2" "$3"
}
frr_established() { [[ $(frr_state "$1" "$2") == Established ]]; }
frr_stat_ge() { (($(frr_stat "$1" "$2" "$3") >= $4)); }
frr_has() { vtysh_in "$1" "show bgp $2 unicast $3 json" | grep -q '"paths"'; }
frr_lacks() { ! frr_has "$@"; }

# ---------------------------------------------------------------- BIRD

bird_start() {
    local ns=$1 d=$W/$1.bird
    mkdir -p "$d"
    printf '%s\n' "$2" >"$d/bird.conf"
    start_in "$P$ns" "$d/bird.log" bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
    wait_for 15 "bird control socket in $ns" test -S "$d/bird.ctl"
}
birdc_in() { local ns=$1; shift; ip netns exec "$P$ns" birdc -s "$W/$ns.bird/bird.ctl" "$@"; }

# ---------------------------------------------------------------- conversion

versions_header() {
    echo "routers: $(gobgpd --version 2>&1 | head -n1) (Debian gobgpd $(dpkg-query -W -f '${Version}' gobgpd 2>/dev/null));"
    echo "  FRR $(/usr/lib/frr/bgpd --version 2>&1 | head -n1) (Debian frr $(dpkg-query -W -f '${Version}' frr 2>/dev/null));"
    echo "  $(bird --version 2>&1 | head -n1) (Debian bird2 $(dpkg-query -W -f '${Version}' bird2 2>/dev/null))"
    echo "capture: $(tcpdump --version 2>&1 | head -n1) (Debian tcpdump $(dpkg-query -W -f '${Version}' tcpdump 2>/dev/null)), $(tcpdump --version 2>&1 | sed -n 2p)"
    echo "kernel: $(uname -r); date: $(date -u +%Y-%m-%dT%H:%MZ)"
}

# convert SCENARIO PCAP DESCRIPTION-LINES-FILE
convert() {
    local name=$1 pcap=$2 desc=$3
    cp "$pcap" "$OUT/$name.pcap"
    {
        cat "$desc"
        versions_header
        echo "made by: bgp/tests/data/capture/capture-real.sh (scenario $name; configs below and in"
        echo "  that script); pcap kept beside this file as $name.pcap"
    } >"$W/$name.hdr"
    python3 "$TOOL" "$OUT/$name.pcap" --run-tcpdump --header-file "$W/$name.hdr" \
        -o "$OUT/$name.msgs"
    tcpdump -# -n -vvv -r "$OUT/$name.pcap" >"$W/$name.tcpdump.txt" 2>/dev/null || true
    log "wrote $OUT/$name.msgs ($(grep -m1 '^# blocks:' "$OUT/$name.msgs"))"
}

# Append configuration files to a description file as comment lines.
describe_config() { # DESCFILE TITLE FILE
    {
        echo "config $2:"
        sed 's/^/  | /' "$3"
    } >>"$1"
}

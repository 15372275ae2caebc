#!/usr/bin/env bash
# Captures real BGP sessions between gobgpd, FRR bgpd and BIRD in network namespaces and turns
# them into golden vectors: bgp/tests/data/real/<scenario>.{pcap,msgs,expect}.
#
# Usage (root):  bgp/tests/data/capture/capture-real.sh [SCENARIO...]
#   scenarios: a b c d-bad-peer-as d-hold-timer d-cease d-open-errors (default: all)
#   OUT=dir overrides the output directory (default bgp/tests/data/real).
#
# Lab rules: only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32) and ASNs (64496-64511, 65536-65551); namespaces and links carry the per-run
# prefix "vgc<pid>-"; a trap stops every PID started here and deletes the namespaces; stale
# namespaces of an earlier, dead run are removed at start; every wait has a deadline.
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA=$(cd "$HERE/.." && pwd)
TOOL=$DATA/tools/pcap_to_msgs.py
OUT=${OUT:-$DATA/real}
P="vgc$$-"
W=$(mktemp -d "/tmp/${P}XXXX")
chmod 755 "$W"
: >"$W/pids"
mkdir -p "$OUT"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

cleanup() {
    local rc=$? pid ns
    trap - EXIT INT TERM
    if [[ -s $W/pids ]]; then
        while read -r pid; do stop_pid "$pid"; done < <(tac "$W/pids")
    fi
    for ns in $(ip netns list | awk '{print $1}'); do
        [[ $ns == "$P"* ]] && ip netns del "$ns" 2>/dev/null
    done
    if [[ ${KEEP_WORKDIR:-0} == 1 || $rc != 0 ]]; then
        log "work directory kept: $W"
    else
        rm -rf "$W"
    fi
    exit "$rc"
}
trap cleanup EXIT INT TERM

# Stale namespaces from an earlier run whose shell is gone: stop what runs in them, delete them.
for ns in $(ip netns list | awk '{print $1}'); do
    [[ $ns =~ ^vgc([0-9]+)- ]] || continue
    owner=${BASH_REMATCH[1]}
    [[ $owner == "$$" ]] && continue
    kill -0 "$owner" 2>/dev/null && continue
    log "removing stale namespace $ns"
    for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid"; done
    ip netns del "$ns" 2>/dev/null || true
done

# Stop everything of one scenario and delete its namespaces (the trap covers failures).
end_scenario() {
    local pid
    while read -r pid; do stop_pid "$pid"; done < <(tac "$W/pids")
    : >"$W/pids"
    for ns in "$@"; do ip netns del "$P$ns" 2>/dev/null || true; done
}

# ============================================================================ scenario a
# gobgpd (AS 65536) <-> FRR (AS 65551), eBGP over IPv4, IPv4+IPv6 unicast, graceful restart,
# add-path, route refresh both ways, withdrawals, End-of-RIB, FRR admin shutdown with message.
scenario_a() {
    local name=a-ebgp-gobgp-frr desc=$W/a.desc
    mk_ns ga; mk_ns fa
    veth ga a1 fa a2
    addr ga a1 192.0.2.1/30; addr ga a1 2001:db8:a::1/64
    addr fa a2 192.0.2.2/30; addr fa a2 2001:db8:a::2/64
    tcpdump_start ga a1 "$W/$name.pcap"

    gobgp_start ga "$(cat <<'EOF'
global:
  config:
    as: 65536
    router-id: 192.0.2.1
neighbors:
  - config:
      neighbor-address: 192.0.2.2
      peer-as: 65551
    timers:
      config:
        connect-retry: 3
        hold-time: 90
        keepalive-interval: 30
    graceful-restart:
      config:
        enabled: true
        restart-time: 120
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
        mp-graceful-restart:
          config:
            enabled: true
        add-paths:
          config:
            receive: true
            send-max: 2
      - config:
          afi-safi-name: ipv6-unicast
        mp-graceful-restart:
          config:
            enabled: true
EOF
)"
    gobgp ga global rib add -a ipv4 203.0.113.10/32 origin igp med 100 \
        community 64496:100,64496:200 large-community 65536:1:2,65536:3:4 rt 64496:100
    gobgp ga global rib add -a ipv4 203.0.113.11/32 origin egp aspath 64497,65540 \
        community no-export large-community 65551:7:8 rt 192.0.2.1:7
    gobgp ga global rib add -a ipv4 203.0.113.12/32 origin incomplete med 0 \
        aggregator 65540:192.0.2.77
    gobgp ga global rib add -a ipv4 203.0.113.13/32 origin igp community 64496:13
    gobgp ga global rib add -a ipv6 2001:db8:1::10/128 origin igp nexthop 2001:db8:a::1 med 60 \
        community 64496:600 large-community 65536:6:6 rt 64496:600
    gobgp ga global rib add -a ipv6 2001:db8:1::11/128 origin igp nexthop 2001:db8:a::1
    gobgp ga global rib add -a ipv6 2001:db8:100::/48 origin igp nexthop 2001:db8:a::1 \
        community 64496:48

    frr_start fa "$(cat <<'EOF'
frr defaults traditional
hostname fa
log stdout informational
!
route-map FRR-OUT permit 10
 set community 64511:10 64511:20
 set large-community 65551:10:20
 set extcommunity bandwidth 100
 set metric 55
!
router bgp 65551
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 192.0.2.1 remote-as 65536
 neighbor 192.0.2.1 timers 20 60
 neighbor 192.0.2.1 timers connect 3
 !
 address-family ipv4 unicast
  network 198.51.100.0/25 route-map FRR-OUT
  network 198.51.100.128/25
  neighbor 192.0.2.1 activate
  neighbor 192.0.2.1 addpath-tx-all-paths
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:ff::/48 route-map FRR-OUT
  neighbor 192.0.2.1 activate
 exit-address-family
!
EOF
)"
    wait_for 40 "a: FRR established" frr_established fa 192.0.2.1
    wait_for 20 "a: FRR got 203.0.113.10/32" frr_has fa ipv4 203.0.113.10/32
    wait_for 20 "a: FRR got 2001:db8:100::/48" frr_has fa ipv6 2001:db8:100::/48
    wait_for 20 "a: gobgpd got 198.51.100.0/25" gobgp_has ga ipv4 198.51.100.0/25
    wait_for 20 "a: gobgpd got 2001:db8:ff::/48" gobgp_has ga ipv6 2001:db8:ff::/48

    # ROUTE-REFRESH from gobgpd (soft reset in), then from FRR (clear ... soft in).
    # gobgpd 3.10 'softresetin' re-applies policy to its Adj-RIB-In and sends no ROUTE-REFRESH.
    gobgp ga neighbor 192.0.2.2 softresetin -a ipv4
    vtysh_in fa "clear bgp ipv6 unicast 192.0.2.1 soft in"
    wait_for 10 "a: FRR sent ROUTE-REFRESH" frr_stat_ge fa 192.0.2.1 routeRefreshSent 1
    local upd
    upd=$(frr_stat fa 192.0.2.1 updatesRecv)
    wait_for 10 "a: refresh answered" frr_stat_ge fa 192.0.2.1 updatesRecv $((upd + 1)) || true

    # Withdrawals both ways.
    gobgp ga global rib del -a ipv4 203.0.113.13/32
    wait_for 10 "a: FRR lost 203.0.113.13/32" frr_lacks fa ipv4 203.0.113.13/32
    gobgp ga global rib del -a ipv6 2001:db8:1::11/128
    wait_for 10 "a: FRR lost 2001:db8:1::11/128" frr_lacks fa ipv6 2001:db8:1::11/128
    vtysh_in fa "configure terminal" "router bgp 65551" "address-family ipv4 unicast" \
        "no network 198.51.100.128/25"
    wait_for 10 "a: gobgpd lost 198.51.100.128/25" gobgp_lacks ga ipv4 198.51.100.128/25

    # Administrative shutdown with a shutdown communication (RFC 9003), sent by FRR.
    vtysh_in fa "configure terminal" "router bgp 65551" \
        "neighbor 192.0.2.1 shutdown message vipd test: planned maintenance"
    wait_for 10 "a: FRR sent NOTIFICATION" frr_stat_ge fa 192.0.2.1 notificationsSent 1
    wait_for 10 "a: gobgpd saw the session go down" gobgp_not_established ga 192.0.2.2
    tcpdump_stop "$TCPDUMP_PID"

    cat >"$desc" <<'EOF'
scenario a: gobgpd (AS 65536, 192.0.2.1) <-> FRR bgpd (AS 65551, 192.0.2.2), eBGP over IPv4
  (veth 192.0.2.0/30, 2001:db8:a::/64), IPv4 and IPv6 unicast, graceful restart, add-path
  (gobgpd receive + send-max 2 for IPv4; FRR addpath-tx-all-paths), captured on gobgpd's veth.
steps: gobgpd started with routes; FRR started; Established; gobgpd 'neighbor 192.0.2.2
  softresetin -a ipv4' (gobgpd 3.10 sends nothing for it); FRR 'clear bgp ipv6 unicast 192.0.2.1
  soft in' (ROUTE-REFRESH from FRR); gobgpd withdraws 203.0.113.13/32 and 2001:db8:1::11/128;
  FRR 'no network 198.51.100.128/25'; FRR 'neighbor 192.0.2.1 shutdown message vipd test:
  planned maintenance' (Cease/Administrative Shutdown with shutdown communication).
gobgpd routes: gobgp global rib add -a ipv4 203.0.113.10/32 origin igp med 100
  community 64496:100,64496:200 large-community 65536:1:2,65536:3:4 rt 64496:100;
  203.0.113.11/32 origin egp aspath 64497,65540 community no-export large-community 65551:7:8
  rt 192.0.2.1:7; 203.0.113.12/32 origin incomplete med 0 aggregator 65540:192.0.2.77;
  203.0.113.13/32 origin igp community 64496:13; -a ipv6 2001:db8:1::10/128 origin igp
  nexthop 2001:db8:a::1 med 60 community 64496:600 large-community 65536:6:6 rt 64496:600;
  2001:db8:1::11/128 nexthop 2001:db8:a::1; 2001:db8:100::/48 nexthop 2001:db8:a::1
  community 64496:48
EOF
    describe_config "$desc" "gobgpd (ga)" "$W/ga.gobgpd.yaml"
    describe_config "$desc" "FRR bgpd (fa)" "$W/fa.frr/bgpd.conf"
    convert "$name" "$W/$name.pcap" "$desc"
    cat >"$OUT/$name.expect" <<'EOF'
# Expectations for a-ebgp-gobgp-frr.msgs: what was configured (format: README.md).
scenario: a-ebgp-gobgp-frr
speaker.gobgpd.address: 192.0.2.1
speaker.gobgpd.asn: 65536
speaker.gobgpd.open.my_as: 23456
speaker.gobgpd.router_id: 192.0.2.1
speaker.gobgpd.hold: 90
speaker.gobgpd.afi_safi: ipv4/unicast
speaker.gobgpd.afi_safi: ipv6/unicast
speaker.gobgpd.graceful_restart.time: 120
speaker.gobgpd.add_path: ipv4/unicast receive+send
speaker.frr.address: 192.0.2.2
speaker.frr.asn: 65551
speaker.frr.open.my_as: 23456
speaker.frr.router_id: 192.0.2.2
speaker.frr.hold: 60
speaker.frr.afi_safi: ipv4/unicast
speaker.frr.afi_safi: ipv6/unicast
speaker.frr.graceful_restart: true
speaker.frr.add_path: ipv4/unicast send
session.hold: 60
route.1.from: gobgpd
route.1.prefix: 203.0.113.10/32
route.1.origin: igp
route.1.as_path: 65536
route.1.next_hop: 192.0.2.1
route.1.med: 100
route.1.community: 64496:100
route.1.community: 64496:200
route.1.large_community: 65536:1:2
route.1.large_community: 65536:3:4
route.1.ext_community: rt 64496:100
route.2.from: gobgpd
route.2.prefix: 203.0.113.11/32
route.2.origin: egp
route.2.as_path: 65536 64497 65540
route.2.next_hop: 192.0.2.1
route.2.community: no-export
route.2.large_community: 65551:7:8
route.2.ext_community: rt 192.0.2.1:7
route.3.from: gobgpd
route.3.prefix: 203.0.113.12/32
route.3.origin: incomplete
route.3.as_path: 65536
route.3.med: 0
route.3.aggregator: 65540 192.0.2.77
route.4.from: gobgpd
route.4.prefix: 203.0.113.13/32
route.4.origin: igp
route.4.community: 64496:13
route.4.withdrawn: yes
route.5.from: gobgpd
route.5.prefix: 2001:db8:1::10/128
route.5.origin: igp
route.5.med: 60
route.5.community: 64496:600
route.5.large_community: 65536:6:6
route.5.ext_community: rt 64496:600
route.6.from: gobgpd
route.6.prefix: 2001:db8:1::11/128
route.6.withdrawn: yes
route.7.from: gobgpd
route.7.prefix: 2001:db8:100::/48
route.7.community: 64496:48
route.8.from: frr
route.8.prefix: 198.51.100.0/25
route.8.origin: igp
route.8.as_path: 65551
route.8.next_hop: 192.0.2.2
route.8.med: 55
route.8.community: 64511:10
route.8.community: 64511:20
route.8.large_community: 65551:10:20
route.8.ext_community: link-bandwidth 65551 100Mbit/s
route.9.from: frr
route.9.prefix: 198.51.100.128/25
route.9.origin: igp
route.9.withdrawn: yes
route.10.from: frr
route.10.prefix: 2001:db8:ff::/48
route.10.med: 55
route.10.community: 64511:10
route.10.community: 64511:20
route.10.large_community: 65551:10:20
route.10.ext_community: link-bandwidth 65551 100Mbit/s
route_refresh.from: frr ipv6/unicast
end_of_rib: expected from both speakers (graceful restart negotiated)
notification.from: frr
notification.code: 6
notification.subcode: 2
notification.shutdown_communication: vipd test: planned maintenance
EOF
    end_scenario ga fa
}

# ============================================================================ scenario b
# iBGP AS 64500 over IPv6: gobgpd route reflector (gb) with two clients, FRR (fb) and a second
# gobgpd (hb). IPv4 routes over the IPv6 sessions (extended next hop, RFC 8950, where
# negotiated). Captured on all of gb's interfaces (-i any: Linux cooked v2 link type).
scenario_b() {
    local name=b-ibgp-rr-ipv6 desc=$W/b.desc
    mk_ns gb; mk_ns fb; mk_ns hb
    veth gb b1 fb b2
    veth gb b3 hb b4
    addr gb b1 2001:db8:b1::1/64; addr fb b2 2001:db8:b1::2/64
    addr gb b3 2001:db8:b2::1/64; addr hb b4 2001:db8:b2::2/64
    tcpdump_start gb any "$W/$name.pcap"
    local client_afis='    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
      - config:
          afi-safi-name: ipv6-unicast'
    gobgp_start gb "global:
  config:
    as: 64500
    router-id: 192.0.2.11
neighbors:
  - config:
      neighbor-address: 2001:db8:b1::2
      peer-as: 64500
    timers:
      config:
        connect-retry: 3
    route-reflector:
      config:
        route-reflector-client: true
        route-reflector-cluster-id: 192.0.2.100
$client_afis
  - config:
      neighbor-address: 2001:db8:b2::2
      peer-as: 64500
    timers:
      config:
        connect-retry: 3
    route-reflector:
      config:
        route-reflector-client: true
        route-reflector-cluster-id: 192.0.2.100
$client_afis"
    gobgp_start hb "global:
  config:
    as: 64500
    router-id: 192.0.2.13
neighbors:
  - config:
      neighbor-address: 2001:db8:b2::1
      peer-as: 64500
    timers:
      config:
        connect-retry: 3
$client_afis"
    gobgp hb global rib add -a ipv4 203.0.113.40/32 origin igp nexthop 2001:db8:b2::2 \
        local-pref 200 med 40 community 64500:40 large-community 64500:4:0
    gobgp hb global rib add -a ipv4 203.0.113.41/32 origin igp nexthop 2001:db8:b2::2 \
        local-pref 150
    gobgp hb global rib add -a ipv6 2001:db8:40::/48 origin igp nexthop 2001:db8:b2::2 \
        local-pref 250 community 64500:6
    frr_start fb "$(cat <<'EOF'
frr defaults traditional
hostname fb
log stdout informational
!
route-map LP permit 10
 set local-preference 300
 set community 64500:300
!
router bgp 64500
 bgp router-id 192.0.2.12
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 2001:db8:b1::1 remote-as 64500
 neighbor 2001:db8:b1::1 timers connect 3
 neighbor 2001:db8:b1::1 capability extended-nexthop
 !
 address-family ipv4 unicast
  network 198.51.100.64/26 route-map LP
  neighbor 2001:db8:b1::1 activate
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:f0::/48 route-map LP
  neighbor 2001:db8:b1::1 activate
 exit-address-family
!
EOF
)"
    wait_for 40 "b: FRR established" frr_established fb 2001:db8:b1::1
    wait_for 40 "b: client gobgpd established" gobgp_established hb 2001:db8:b2::1
    wait_for 20 "b: FRR got 2001:db8:40::/48" frr_has fb ipv6 2001:db8:40::/48
    wait_for 20 "b: FRR got 203.0.113.40/32" frr_has fb ipv4 203.0.113.40/32 || true
    wait_for 20 "b: client got 2001:db8:f0::/48" gobgp_has hb ipv6 2001:db8:f0::/48
    wait_for 20 "b: client got 198.51.100.64/26" gobgp_has hb ipv4 198.51.100.64/26 || true
    gobgp hb global rib del -a ipv4 203.0.113.41/32
    wait_for 10 "b: FRR lost 203.0.113.41/32" frr_lacks fb ipv4 203.0.113.41/32
    gobgp gb neighbor 2001:db8:b1::2 disable --reason "vipd test: reflector going down"
    wait_for 10 "b: FRR saw the session go down" frr_stat_ge fb 2001:db8:b1::1 notificationsRecv 1
    wait_for 10 "b: reflector session down" gobgp_not_established gb 2001:db8:b1::2
    tcpdump_stop "$TCPDUMP_PID"
    cat >"$desc" <<'EOF'
scenario b: iBGP AS 64500 over IPv6. gobgpd route reflector (router-id 192.0.2.11, cluster-id
  192.0.2.100, 2001:db8:b1::1 and 2001:db8:b2::1) with clients FRR bgpd (192.0.2.12,
  2001:db8:b1::2, 'capability extended-nexthop') and a second gobgpd (192.0.2.13,
  2001:db8:b2::2). IPv4 and IPv6 unicast on both sessions. Captured with -i any in the
  reflector's namespace, so both sessions are in the file (link type LINUX_SLL2).
steps: reflector and client gobgpd started; client routes added; FRR started; both sessions
  Established; routes reflected both ways; client withdraws 203.0.113.41/32; reflector
  'gobgp neighbor 2001:db8:b1::2 disable --reason "vipd test: reflector going down"'
  (Cease/Administrative Shutdown from gobgpd; gobgpd 3.10 sends it without the communication).
client gobgpd routes: gobgp global rib add -a ipv4 203.0.113.40/32 origin igp nexthop
  2001:db8:b2::2 local-pref 200 med 40 community 64500:40 large-community 64500:4:0;
  203.0.113.41/32 origin igp nexthop 2001:db8:b2::2 local-pref 150; -a ipv6 2001:db8:40::/48
  origin igp nexthop 2001:db8:b2::2 local-pref 250 community 64500:6
EOF
    describe_config "$desc" "gobgpd route reflector (gb)" "$W/gb.gobgpd.yaml"
    describe_config "$desc" "gobgpd client (hb)" "$W/hb.gobgpd.yaml"
    describe_config "$desc" "FRR bgpd client (fb)" "$W/fb.frr/bgpd.conf"
    convert "$name" "$W/$name.pcap" "$desc"
    cat >"$OUT/$name.expect" <<'EOF'
# Expectations for b-ibgp-rr-ipv6.msgs: what was configured (format: README.md).
scenario: b-ibgp-rr-ipv6
speaker.reflector.address: 2001:db8:b1::1
speaker.reflector.address: 2001:db8:b2::1
speaker.reflector.asn: 64500
speaker.reflector.open.my_as: 64500
speaker.reflector.router_id: 192.0.2.11
speaker.reflector.cluster_id: 192.0.2.100
speaker.frr.address: 2001:db8:b1::2
speaker.frr.asn: 64500
speaker.frr.router_id: 192.0.2.12
speaker.frr.extended_next_hop: ipv4/unicast over ipv6
speaker.client.address: 2001:db8:b2::2
speaker.client.asn: 64500
speaker.client.router_id: 192.0.2.13
route.1.from: client (reflected by reflector to frr)
route.1.prefix: 203.0.113.40/32
route.1.origin: igp
route.1.as_path: (empty)
route.1.next_hop: 2001:db8:b2::2
route.1.local_pref: 200
route.1.med: 40
route.1.community: 64500:40
route.1.large_community: 64500:4:0
route.1.originator_id: 192.0.2.13
route.1.cluster_list: 192.0.2.100
route.2.from: client (reflected)
route.2.prefix: 203.0.113.41/32
route.2.next_hop: 2001:db8:b2::2
route.2.local_pref: 150
route.2.originator_id: 192.0.2.13
route.2.cluster_list: 192.0.2.100
route.2.withdrawn: yes
route.3.from: client (reflected)
route.3.prefix: 2001:db8:40::/48
route.3.next_hop: 2001:db8:b2::2
route.3.local_pref: 250
route.3.community: 64500:6
route.3.originator_id: 192.0.2.13
route.3.cluster_list: 192.0.2.100
route.4.from: frr (reflected by reflector to client)
route.4.prefix: 198.51.100.64/26
route.4.as_path: (empty)
route.4.local_pref: 300
route.4.community: 64500:300
route.4.originator_id (reflected copy): 192.0.2.12
route.4.cluster_list (reflected copy): 192.0.2.100
route.5.from: frr (reflected)
route.5.prefix: 2001:db8:f0::/48
route.5.local_pref: 300
route.5.community: 64500:300
notification.from: reflector (gobgpd) to frr
notification.code: 6
notification.subcode: 2
notification.length: 21
notification.note: gobgpd 3.10 ignores --reason on 'disable' (no shutdown communication sent)
EOF
    end_scenario gb fb hb
}

# ============================================================================ scenario c
# BIRD (AS 64501, 'enable as4 off': a 2-octet-only speaker) <-> FRR (AS 65540, 4-octet).
# FRR must send AS_TRANS (23456) in OPEN and AS_PATH, with AS4_PATH and AS4_AGGREGATOR.
scenario_c() {
    local name=c-bird-as2-frr-as4 desc=$W/c.desc
    mk_ns bc; mk_ns fc
    veth bc c1 fc c2
    addr bc c1 198.51.100.1/30; addr fc c2 198.51.100.2/30
    tcpdump_start bc c1 "$W/$name.pcap"
    frr_start fc "$(cat <<'EOF'
frr defaults traditional
hostname fc
log stdout informational
!
route-map PREPEND permit 10
 set as-path prepend 65545 65545
 set large-community 65540:1:1
!
router bgp 65540
 bgp router-id 198.51.100.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.51.100.1 remote-as 64501
 neighbor 198.51.100.1 timers connect 3
 !
 address-family ipv4 unicast
  network 203.0.113.0/28
  network 203.0.113.16/28
  network 192.0.2.128/25 route-map PREPEND
  aggregate-address 203.0.113.0/27
  neighbor 198.51.100.1 activate
 exit-address-family
!
EOF
)"
    local bird_conf
    bird_conf=$(cat <<'EOF'
router id 198.51.100.1;
protocol device { }
protocol static s4 {
  ipv4;
  route 203.0.113.64/26 blackhole;
  route 203.0.113.128/26 blackhole;
}
filter to_frr {
  if net = 203.0.113.64/26 then {
    bgp_large_community.add((64501, 1, 2));
    bgp_large_community.add((64501, 3, 4));
  }
  bgp_community.add((64501, 100));
  bgp_med = 7;
  accept;
}
protocol bgp frr {
  local 198.51.100.1 as 64501;
  neighbor 198.51.100.2 as @PEER_AS@;
  enable as4 @AS4@;
  hold time 90;
  connect delay time 1;
  error wait time 1, 5;
  ipv4 { import all; export filter to_frr; };
}
EOF
)
    # Step 1: BIRD expects AS 23456 (what a 2-octet speaker sees in FRR's OPEN), but BIRD
    # still reads the four-octet AS capability, so it answers with Bad Peer AS (2/2).
    local c1=${bird_conf//@PEER_AS@/23456}
    bird_start bc "${c1//@AS4@/off}"
    wait_for 20 "c: FRR received NOTIFICATION" frr_stat_ge fc 198.51.100.1 notificationsRecv 1
    # Step 2: BIRD 'enable as4 on', neighbor AS 23456; FRR stops sending capabilities
    # ('dont-capability-negotiate'), so the session is 2-octet and FRR must use AS_TRANS.
    printf '%s\n' "${c1//@AS4@/on}" >"$W/bc.bird/bird.conf"
    birdc_in bc configure >/dev/null
    vtysh_in fc "configure terminal" "router bgp 65540" \
        "neighbor 198.51.100.1 dont-capability-negotiate"
    vtysh_in fc "clear bgp *"
    wait_for 40 "c: FRR established" frr_established fc 198.51.100.1
    wait_for 20 "c: FRR got 203.0.113.64/26" frr_has fc ipv4 203.0.113.64/26
    wait_for 20 "c: BIRD got the aggregate" bash -c \
        "ip netns exec $P'bc' birdc -s $W/bc.bird/bird.ctl show route 203.0.113.0/27 | grep -q 203.0.113.0/27"
    birdc_in bc disable frr '"vipd test: bird going down"' >/dev/null
    wait_for 10 "c: FRR received NOTIFICATION" frr_stat_ge fc 198.51.100.1 notificationsRecv 1
    tcpdump_stop "$TCPDUMP_PID"
    cat >"$desc" <<'EOF'
scenario c: BIRD (AS 64501, 198.51.100.1, 'enable as4 off', so a 2-octet-only speaker that
  sees its peer as AS 23456) <-> FRR bgpd (AS 65540, 198.51.100.2). FRR originates
  203.0.113.0/28 and 203.0.113.16/28, the aggregate 203.0.113.0/27 (AGGREGATOR 65540) and
  192.0.2.128/25 with 'as-path prepend 65545 65545'; on the wire to BIRD these need AS_TRANS
  in AS_PATH/AGGREGATOR plus AS4_PATH/AS4_AGGREGATOR. BIRD exports two static routes with
  community 64501:100, MED 7, and large communities on 203.0.113.64/26. Ends with
  'birdc disable frr "vipd test: bird going down"' (Cease/Administrative Shutdown from BIRD).
  Step 1: BIRD 'enable as4 off' + 'neighbor 198.51.100.2 as 23456': BIRD still reads FRR's
  four-octet AS capability (65540) and sends Bad Peer AS (2/2) with 4 octets of data; BIRD
  2.0.12 refuses 'as 65540' with as4 off ("Neighbor AS number out of range"), so an as4-off
  BIRD cannot peer with a 4-octet AS at all. Step 2: BIRD 'enable as4 on' (birdc configure),
  FRR 'neighbor 198.51.100.1 dont-capability-negotiate' + 'clear bgp *': FRR's OPEN carries
  no capabilities (my AS 23456), the session is 2-octet and IPv4-unicast only.
  Captured on BIRD's veth.
EOF
    describe_config "$desc" "FRR bgpd (fc)" "$W/fc.frr/bgpd.conf"
    describe_config "$desc" "BIRD (bc), step 2 (step 1 had 'enable as4 off')" "$W/bc.bird/bird.conf"
    convert "$name" "$W/$name.pcap" "$desc"
    cat >"$OUT/$name.expect" <<'EOF'
# Expectations for c-bird-as2-frr-as4.msgs: what was configured (format: README.md).
scenario: c-bird-as2-frr-as4
speaker.bird.address: 198.51.100.1
speaker.bird.asn: 64501
speaker.bird.open.my_as: 64501
speaker.bird.four_octet_as: step 1 no (capability 65 not sent); step 2 yes (64501)
speaker.bird.router_id: 198.51.100.1
speaker.bird.hold: 90
speaker.frr.address: 198.51.100.2
speaker.frr.asn: 65540
speaker.frr.open.my_as: 23456
speaker.frr.four_octet_as: step 1 capability 65540; step 2 no capabilities at all
speaker.frr.router_id: 198.51.100.2
session.four_octet_as: no (2-octet AS_PATH on the wire both ways)
route.1.from: frr
route.1.prefix: 203.0.113.0/28
route.1.as_path: 23456
route.1.as4_path: 65540
route.2.from: frr
route.2.prefix: 203.0.113.16/28
route.2.as_path: 23456
route.2.as4_path: 65540
route.3.from: frr
route.3.prefix: 203.0.113.0/27
route.3.aggregator: 23456 198.51.100.2
route.3.as4_aggregator: 65540 198.51.100.2
route.3.as_path: 23456
route.4.from: frr
route.4.prefix: 192.0.2.128/25
route.4.as_path: 23456 23456 23456
route.4.as4_path: 65540 65545 65545
route.4.large_community: 65540:1:1
route.5.from: bird
route.5.prefix: 203.0.113.64/26
route.5.as_path: 64501
route.5.next_hop: 198.51.100.1
route.5.med: 7
route.5.community: 64501:100
route.5.large_community: 64501:1:2
route.5.large_community: 64501:3:4
route.6.from: bird
route.6.prefix: 203.0.113.128/26
route.6.as_path: 64501
route.6.med: 7
route.6.community: 64501:100
notification.1.from: bird
notification.1.code: 2
notification.1.subcode: 2
notification.1.configured_peer_as: 23456
notification.1.received_peer_as: 65540 (from the four-octet AS capability)
notification.1.data: 00010004
notification.from: bird
notification.code: 6
notification.subcode: 2
notification.shutdown_communication: vipd test: bird going down
EOF
    end_scenario bc fc
}

# ============================================================================ scenario d
# Error NOTIFICATIONs from real routers. gobgpd (gd, AS 64510, 198.51.100.129) and FRR
# (fd, AS 64511, 198.51.100.130) on 198.51.100.128/30, captured on FRR's veth.
GD_CONF_TMPL='global:
  config:
    as: @LOCAL_AS@
    router-id: @RID@
neighbors:
  - config:
      neighbor-address: 198.51.100.130
      peer-as: @PEER_AS@
    timers:
      config:
        connect-retry: 3
        hold-time: @HOLD@
        keepalive-interval: @KA@
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast'
gd_conf() { # LOCAL_AS PEER_AS HOLD KA RID
    local c=${GD_CONF_TMPL//@LOCAL_AS@/$1}
    c=${c//@PEER_AS@/$2}; c=${c//@HOLD@/$3}; c=${c//@KA@/$4}; c=${c//@RID@/$5}
    printf '%s' "$c"
}
fd_conf() { # LOCAL_AS REMOTE_AS RID EXTRA_NEIGHBOR_LINES
    cat <<EOF
frr defaults traditional
hostname fd
log stdout informational
!
router bgp $1
 bgp router-id $3
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.51.100.129 remote-as $2
 neighbor 198.51.100.129 timers connect 3
$4
 address-family ipv4 unicast
  network 198.51.100.192/26
 exit-address-family
!
EOF
}
d_setup() { # NAME
    mk_ns gd; mk_ns fd
    veth gd d1 fd d2
    addr gd d1 198.51.100.129/30; addr fd d2 198.51.100.130/30
    tcpdump_start fd d2 "$W/$1.pcap"
}
d_finish() { # NAME EXPECT-TEXT (description in $W/$NAME.desc)
    tcpdump_stop "$TCPDUMP_PID"
    [[ -f $W/gd.gobgpd.yaml ]] && describe_config "$W/$1.desc" "gobgpd (gd), initial" "$W/gd.gobgpd.yaml"
    describe_config "$W/$1.desc" "FRR bgpd (fd), initial" "$W/fd.frr/bgpd.conf"
    convert "$1" "$W/$1.pcap" "$W/$1.desc"
    printf '%s\n' "$2" >"$OUT/$1.expect"
    end_scenario gd fd
    rm -f "$W/gd.gobgpd.yaml"
}

scenario_d_bad_peer_as() {
    local name=d-open-bad-peer-as
    d_setup $name
    gobgp_start gd "$(gd_conf 64510 64511 90 30 192.0.2.21)"
    # FRR expects AS 64509 but gobgpd is AS 64510: FRR answers gobgpd's OPEN with 2/2.
    frr_start fd "$(fd_conf 64511 64509 192.0.2.22 '')"
    wait_for 20 "d1: FRR sent NOTIFICATION" frr_stat_ge fd 198.51.100.129 notificationsSent 1
    # Now FRR is right and gobgpd is wrong (expects 64509): gobgpd answers FRR's OPEN with 2/2.
    gobgp gd neighbor del 198.51.100.130
    gobgp gd neighbor add 198.51.100.130 as 64509
    vtysh_in fd "configure terminal" "router bgp 64511" "neighbor 198.51.100.129 remote-as 64510"
    vtysh_in fd "clear bgp *"
    wait_for 30 "d1: FRR received NOTIFICATION" frr_stat_ge fd 198.51.100.129 notificationsRecv 1
    cat >"$W/$name.desc" <<'EOF'
scenario d-open-bad-peer-as: OPEN Message Error / Bad Peer AS (2/2) from both routers.
  gobgpd AS 64510 (198.51.100.129, router-id 192.0.2.21), FRR AS 64511 (198.51.100.130,
  router-id 192.0.2.22). Step 1: FRR configured 'remote-as 64509' -> FRR sends 2/2 to
  gobgpd. Step 2: gobgpd 'neighbor del' + 'neighbor add 198.51.100.130 as 64509', FRR fixed to
  'remote-as 64510' + 'clear bgp *' -> gobgpd sends 2/2 to FRR. Captured on FRR's veth.
EOF
    d_finish $name "# Expectations for $name.msgs: what was configured (format: README.md).
scenario: $name
speaker.gobgpd.address: 198.51.100.129
speaker.gobgpd.asn: 64510
speaker.gobgpd.router_id: 192.0.2.21
speaker.gobgpd.hold: 90
speaker.frr.address: 198.51.100.130
speaker.frr.asn: 64511
speaker.frr.router_id: 192.0.2.22
notification.1.from: frr
notification.1.code: 2
notification.1.subcode: 2
notification.1.configured_peer_as: 64509
notification.1.received_peer_as: 64510
notification.2.from: gobgpd
notification.2.code: 2
notification.2.subcode: 2
notification.2.configured_peer_as: 64509
notification.2.received_peer_as: 64511"
}

scenario_d_hold_timer() {
    local name=d-hold-timer-expired
    d_setup $name
    gobgp_start gd "$(gd_conf 64510 64511 3 1 192.0.2.21)"
    frr_start fd "$(fd_conf 64511 64510 192.0.2.22 ' neighbor 198.51.100.129 timers 1 3')"
    wait_for 40 "d2: FRR established" frr_established fd 198.51.100.129
    # gobgpd is frozen (SIGSTOP): its kernel still ACKs, but no KEEPALIVE comes from it, so
    # FRR's hold timer expires and FRR's NOTIFICATION reaches the wire.
    local gpid fpid
    gpid=$(cat "$W/gd.gobgpd.pid")
    kill -STOP "$gpid"
    wait_for 15 "d2: FRR sent NOTIFICATION" frr_stat_ge fd 198.51.100.129 notificationsSent 1
    kill -CONT "$gpid"
    vtysh_in fd "clear bgp *"
    wait_for 40 "d2: FRR established again" frr_established fd 198.51.100.129
    # Now FRR's bgpd is frozen: gobgpd's hold timer expires.
    fpid=$(cat "$W/fd.frr/bgpd.started.pid")
    kill -STOP "$fpid"
    wait_for 15 "d2: gobgpd dropped the session" gobgp_not_established gd 198.51.100.130 || true
    sleep 0.5 # let gobgpd's NOTIFICATION reach the wire before bgpd resumes
    kill -CONT "$fpid"
    wait_for 10 "d2: FRR received NOTIFICATION" frr_stat_ge fd 198.51.100.129 notificationsRecv 1 || true
    cat >"$W/$name.desc" <<'EOF'
scenario d-hold-timer-expired: Hold Timer Expired (4/0) from both routers. gobgpd AS 64510
  (hold 3 s, keepalive 1 s) <-> FRR AS 64511 ('timers 1 3'). Step 1: after Established,
  gobgpd is frozen with SIGSTOP (its kernel keeps ACKing); FRR's hold timer expires and FRR
  sends 4/0; SIGCONT. Step 2: 'clear bgp *', Established again, then FRR's bgpd is frozen;
  gobgpd's hold timer expires and gobgpd sends 4/0 (captured arriving on FRR's veth).
  (A blackhole route instead of SIGSTOP loses the NOTIFICATION: it queues behind
  unacknowledged KEEPALIVEs and is never transmitted.)
EOF
    d_finish $name "# Expectations for $name.msgs: what was configured (format: README.md).
scenario: $name
speaker.gobgpd.address: 198.51.100.129
speaker.gobgpd.asn: 64510
speaker.gobgpd.router_id: 192.0.2.21
speaker.gobgpd.hold: 3
speaker.frr.address: 198.51.100.130
speaker.frr.asn: 64511
speaker.frr.router_id: 192.0.2.22
speaker.frr.hold: 3
session.hold: 3
notification.1.from: frr
notification.1.code: 4
notification.1.subcode: 0
notification.note: gobgpd's own 4/0 (step 2) did not reach the capture in the runs made so far"
}

scenario_d_cease() {
    local name=d-cease-subcodes
    d_setup $name
    gobgp_start gd "$(gd_conf 64510 64511 90 30 192.0.2.21)"
    gobgp gd global rib add -a ipv4 203.0.113.201/32
    gobgp gd global rib add -a ipv4 203.0.113.202/32
    gobgp gd global rib add -a ipv4 203.0.113.203/32
    frr_start fd "$(fd_conf 64511 64510 192.0.2.22 '')"
    local n=0
    wait_for 40 "d3: established" frr_established fd 198.51.100.129
    # 6/4 from FRR: hard reset.
    vtysh_in fd "clear bgp 198.51.100.129"
    wait_for 10 "d3: FRR sent 6/4" frr_stat_ge fd 198.51.100.129 notificationsSent 1
    wait_for 40 "d3: established again" frr_established fd 198.51.100.129
    # 6/4 from gobgpd: neighbor reset.
    gobgp gd neighbor 198.51.100.130 reset
    wait_for 10 "d3: FRR received 6/4" frr_stat_ge fd 198.51.100.129 notificationsRecv 1
    wait_for 40 "d3: established again" frr_established fd 198.51.100.129
    # 6/2 from gobgpd with a shutdown communication.
    gobgp gd neighbor 198.51.100.130 disable --reason "vipd test: gobgpd maintenance"
    wait_for 10 "d3: FRR received 6/2" frr_stat_ge fd 198.51.100.129 notificationsRecv 2
    gobgp gd neighbor 198.51.100.130 enable
    vtysh_in fd "clear bgp *"
    wait_for 40 "d3: established again" frr_established fd 198.51.100.129
    wait_for 20 "d3: FRR got the 3 prefixes" frr_has fd ipv4 203.0.113.203/32
    # 6/1 from FRR: maximum-prefix 2 with 3 prefixes received.
    vtysh_in fd "configure terminal" "router bgp 64511" "address-family ipv4 unicast" \
        "neighbor 198.51.100.129 maximum-prefix 2"
    wait_for 10 "d3: FRR sent 6/1" frr_stat_ge fd 198.51.100.129 notificationsSent 2
    vtysh_in fd "configure terminal" "router bgp 64511" "address-family ipv4 unicast" \
        "no neighbor 198.51.100.129 maximum-prefix 2"
    vtysh_in fd "clear bgp *"
    wait_for 40 "d3: established again" frr_established fd 198.51.100.129
    # 6/3 from FRR: neighbor removed from the configuration.
    vtysh_in fd "configure terminal" "router bgp 64511" "no neighbor 198.51.100.129"
    wait_for 10 "d3: gobgpd saw the session go down" gobgp_not_established gd 198.51.100.130
    cat >"$W/$name.desc" <<'EOF'
scenario d-cease-subcodes: Cease NOTIFICATIONs between gobgpd AS 64510 (198.51.100.129,
  originating 203.0.113.201-203/32) and FRR AS 64511 (198.51.100.130). In order:
  FRR 'clear bgp 198.51.100.129' (6/4 from FRR); gobgpd 'neighbor 198.51.100.130 reset'
  (6/4 from gobgpd); gobgpd 'neighbor 198.51.100.130 disable --reason "vipd test: gobgpd
  maintenance"' (6/2 with communication, from gobgpd), then 'enable'; FRR 'neighbor
  198.51.100.129 maximum-prefix 2' with 3 prefixes received (6/1 from FRR, data AFI/SAFI and
  the limit, RFC 4486); FRR 'no neighbor 198.51.100.129' (6/3 from FRR).
  Each step waits for the session to be Established again. Captured on FRR's veth.
EOF
    d_finish $name "# Expectations for $name.msgs: what was configured (format: README.md).
scenario: $name
speaker.gobgpd.address: 198.51.100.129
speaker.gobgpd.asn: 64510
speaker.frr.address: 198.51.100.130
speaker.frr.asn: 64511
prefix.v4: 203.0.113.201/32
prefix.v4: 203.0.113.202/32
prefix.v4: 203.0.113.203/32
prefix.v4: 198.51.100.192/26
notification.1.from: frr
notification.1.code: 6
notification.1.subcode: 4
notification.2.from: gobgpd
notification.2.code: 6
notification.2.subcode: 4
notification.3.from: gobgpd
notification.3.code: 6
notification.3.subcode: 2
notification.3.note: gobgpd 3.10 ignores --reason on 'disable' (no shutdown communication)
notification.4.from: frr
notification.4.code: 6
notification.4.subcode: 1
notification.4.max_prefix.afi_safi: ipv4/unicast
notification.4.max_prefix.limit: 2
notification.5.from: frr
notification.5.code: 6
notification.5.subcode: 3"
}

scenario_d_open_errors() {
    local name=d-open-errors
    d_setup $name
    # iBGP with the same BGP identifier on both sides: Bad BGP Identifier (2/3).
    gobgp_start gd "$(gd_conf 64510 64510 90 30 192.0.2.66)"
    frr_start fd "$(fd_conf 64510 64510 192.0.2.66 ' neighbor 198.51.100.129 strict-capability-match')"
    wait_for 20 "d4: a NOTIFICATION" bash -c "(( \$(ip netns exec ${P}fd vtysh --vty_socket $W/fd.frr -c 'show bgp neighbors 198.51.100.129 json' | grep -o '\"notificationsSent\":[0-9]*' | cut -d: -f2) + \$(ip netns exec ${P}fd vtysh --vty_socket $W/fd.frr -c 'show bgp neighbors 198.51.100.129 json' | grep -o '\"notificationsRecv\":[0-9]*' | cut -d: -f2) >= 1 ))" || true
    # Different identifiers now; FRR activates IPv6 unicast too and insists on the same
    # capabilities (strict-capability-match) while gobgpd offers IPv4 only.
    vtysh_in fd "configure terminal" "router bgp 64510" "bgp router-id 192.0.2.67" \
        "address-family ipv6 unicast" "neighbor 198.51.100.129 activate"
    vtysh_in fd "clear bgp *"
    local before
    before=$(( $(frr_stat fd 198.51.100.129 notificationsSent) + $(frr_stat fd 198.51.100.129 notificationsRecv) ))
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        (( $(frr_stat fd 198.51.100.129 notificationsSent) + $(frr_stat fd 198.51.100.129 notificationsRecv) > before )) && break
        sleep 0.3
    done
    cat >"$W/$name.desc" <<'EOF'
scenario d-open-errors: OPEN errors between gobgpd AS 64510 (198.51.100.129) and FRR AS 64510
  (198.51.100.130), iBGP. Step 1: both use BGP identifier 192.0.2.66 (Bad BGP Identifier,
  2/3, expected from whichever side checks first). Step 2: FRR router-id 192.0.2.67, FRR
  'strict-capability-match' and IPv6 unicast activated while gobgpd offers IPv4 unicast
  only (Unsupported Capability, 2/7, from FRR, if FRR enforces it). Captured on FRR's veth.
EOF
    d_finish $name "# Expectations for $name.msgs: what was configured (format: README.md).
scenario: $name
speaker.gobgpd.address: 198.51.100.129
speaker.gobgpd.asn: 64510
speaker.gobgpd.router_id: 192.0.2.66
speaker.frr.address: 198.51.100.130
speaker.frr.asn: 64510
speaker.frr.router_id: 192.0.2.66 (step 1), 192.0.2.67 (step 2)
notification.1.from: frr
notification.1.code: 2
notification.1.subcode: 3
notification.1.data: c0000242 (the identifier 192.0.2.66)
notification.2.from: gobgpd
notification.2.code: 2
notification.2.subcode: 3
notification.3.from: frr
notification.3.code: 2
notification.3.subcode: 7"
}

run() {
    local s
    for s in "$@"; do
        log "=== scenario $s"
        case $s in
            a) scenario_a ;;
            b) scenario_b ;;
            c) scenario_c ;;
            d-bad-peer-as) scenario_d_bad_peer_as ;;
            d-hold-timer) scenario_d_hold_timer ;;
            d-cease) scenario_d_cease ;;
            d-open-errors) scenario_d_open_errors ;;
            *) die "unknown scenario $s" ;;
        esac
    done
}

if (($# == 0)); then
    set -- a b c d-bad-peer-as d-hold-timer d-cease d-open-errors
fi
run "$@"
log "done; outputs in $OUT"

#!/usr/bin/env bash
# Regenerates bgp/tests/data/tcpdump/*.msgs from the shared tcpdump captures, and refreshes the
# byte-for-byte copies of the captures, their expected tcpdump output (.out), vectors.md and
# exabgp-qa/ that the project keeps under bgp/tests/data/.
#
# Usage: bgp/tests/data/tools/make_tcpdump_msgs.sh [FIXTURES_DIR]
#   FIXTURES_DIR defaults to ../shared/fixtures/bgp relative to the repository root.
set -euo pipefail

data_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repo_root=$(cd "$data_dir/../../.." && pwd)
fixtures=${1:-$repo_root/../shared/fixtures/bgp}
tool=$data_dir/tools/pcap_to_msgs.py
out_dir=$data_dir/tcpdump
upstream_commit=39b50f76672bca4af7d7eb52604c5b692c6b6b2c

[[ -d $fixtures/tcpdump ]] || { echo "no captures under $fixtures/tcpdump" >&2; exit 1; }
mkdir -p "$out_dir"

# Copies, byte for byte (cp, then cmp to prove it).
cp "$fixtures/vectors.md" "$data_dir/vectors.md"
rm -rf "$data_dir/exabgp-qa"
cp -r "$fixtures/exabgp-qa" "$data_dir/exabgp-qa"
chmod -R u+w "$data_dir/exabgp-qa" "$data_dir/vectors.md"
cmp "$fixtures/vectors.md" "$data_dir/vectors.md"
diff -r "$fixtures/exabgp-qa" "$data_dir/exabgp-qa"

tcpdump_version=$(tcpdump --version 2>&1 | head -n1 || echo "tcpdump not installed")

count=0
for cap in "$fixtures"/tcpdump/*.pcap "$fixtures"/tcpdump/*.pcapng; do
    [[ -e $cap ]] || continue
    base=$(basename "$cap")
    name=${base%.*}
    expected=$fixtures/tcpdump/$name.out
    # Upstream names the expected output of bgp-infinite-loop.pcap differently (tests/TESTLIST).
    [[ $name == bgp-infinite-loop ]] && expected=$fixtures/tcpdump/bgp_infloop-v.out
    cp "$cap" "$out_dir/$base"
    cmp "$cap" "$out_dir/$base"
    args=()
    if [[ -e $expected ]]; then
        cp "$expected" "$out_dir/$(basename "$expected")"
        cmp "$expected" "$out_dir/$(basename "$expected")"
        args=(--tcpdump-out "$expected")
    fi
    chmod u+w "$out_dir/$base" "$out_dir/$(basename "$expected")" 2>/dev/null || true
    python3 "$tool" "$cap" "${args[@]}" -o "$out_dir/$name.msgs" \
        --header "source: shared fixture bgp/tcpdump/$base, a byte-for-byte copy of" \
        --header "  the-tcpdump-group/tcpdump tests/$base at commit $upstream_commit" \
        --header "  (BSD-3-Clause; shared/fixtures/README.md: \"Real captures plus tcpdump's expected" \
        --header "  \`-v\` decode, usable as end-to-end parser fixtures\"; blob hashes verified there)." \
        --header "  Copied beside this file as $base; upstream's expected decode as $(basename "$expected")." \
        --header "regenerate: bgp/tests/data/tools/make_tcpdump_msgs.sh (local $tcpdump_version;" \
        --header "  annotations below are upstream's expected '-v' output, not a local run)"
    count=$((count + 1))
done
echo "wrote $count .msgs files to $out_dir"

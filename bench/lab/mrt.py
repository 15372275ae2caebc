"""Writes an MRT TABLE_DUMP_V2 file (RFC 6396) holding N IPv4 /32 routes, for loading a
gobgpd's global RIB with `gobgp mrt inject global` in one stream instead of N CLI calls."""
import ipaddress
import struct

# RFC 6396 section 4: type TABLE_DUMP_V2 = 13; section 4.3: subtypes.
_TABLE_DUMP_V2 = 13
_PEER_INDEX_TABLE = 1
_RIB_IPV4_UNICAST = 2


def _record(subtype, body):
    # RFC 6396 section 2: timestamp, type, subtype, length of the message that follows.
    return struct.pack("!IHHI", 0, _TABLE_DUMP_V2, subtype, len(body)) + body


def _attributes(next_hop):
    origin = bytes([0x40, 1, 1, 0])  # well-known transitive ORIGIN, IGP
    as_path = bytes([0x40, 2, 0])  # empty AS_PATH: the route is the sender's own
    nh = bytes([0x40, 3, 4]) + ipaddress.IPv4Address(next_hop).packed
    return origin + as_path + nh


def write_host_routes(path, count, base, next_hop, peer_as, peer_id, padding=0):
    """N consecutive /32 routes from `base`, each with one RIB entry from one peer (index 0),
    then `padding` copies of the first route: `gobgp mrt inject` (3.10) can exit before the end
    of its stream reaches gobgpd, and a lost copy of a route that is already there costs
    nothing."""
    first = int(ipaddress.IPv4Address(base))
    # RFC 6396 section 4.3.1: collector id, empty view name, one peer; peer type 0x02 = IPv4
    # address with a four-octet AS.
    peer = struct.pack("!B4s4sI", 0x02, ipaddress.IPv4Address(peer_id).packed,
                       ipaddress.IPv4Address(peer_id).packed, peer_as)
    index = struct.pack("!4sHH", ipaddress.IPv4Address(peer_id).packed, 0, 1) + peer
    attrs = _attributes(next_hop)
    # RFC 6396 section 4.3.4: one RIB entry = peer index, originated time, attribute length.
    entry = struct.pack("!HIH", 0, 0, len(attrs)) + attrs
    with open(path, "wb") as f:
        f.write(_record(_PEER_INDEX_TABLE, index))
        for i in range(count + padding):
            # RIB_IPV4_UNICAST: sequence number, prefix length, prefix octets, entry count.
            address = first + i if i < count else first
            body = struct.pack("!IBIH", i, 32, address, 1) + entry
            f.write(_record(_RIB_IPV4_UNICAST, body))

"""Service defaulting, IP and port allocation and update rules, as the Service REST storage
does them: cluster IPs from 198.51.100.0/24 and 2001:db8:ffff::/112 (a dual-stack cluster
whose primary family is IPv4), node ports 30000-32767."""

import ipaddress
import random

SERVICE_CIDRS = {"IPv4": ipaddress.ip_network("198.51.100.0/24"),
                 "IPv6": ipaddress.ip_network("2001:db8:ffff::/112")}
NODE_PORT_RANGE = (30000, 32767)


def _family(ip):
    try:
        return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"
    except ValueError:
        return None


def _used(services, skip_uid):
    ips, ports = set(), set()
    for s in services:
        if s["metadata"].get("uid") == skip_uid:
            continue
        spec = s.get("spec") or {}
        for ip in spec.get("clusterIPs") or []:
            ips.add(ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                ports.add(p["nodePort"])
        if spec.get("healthCheckNodePort"):
            ports.add(spec["healthCheckNodePort"])
    return ips, ports


def _needs_node_ports(spec):
    t = spec.get("type")
    return t == "NodePort" or (t == "LoadBalancer" and spec.get(
        "allocateLoadBalancerNodePorts", True))


def _needs_health_port(spec):
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _is_set(v):
    return v not in (None, "", 0)


def prepare(svc, old, services):
    """Defaults and allocations on create (old None) or update; returns field causes
    [(field, value, detail[, reason])] that make the request 422."""
    if not isinstance(svc.get("spec"), dict):
        svc["spec"] = {}
    spec = svc["spec"]
    errs = []
    old_spec = (old or {}).get("spec") or {}
    spec.setdefault("type", "ClusterIP")
    t = spec["type"]
    if t not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        return [("spec.type", t, 'supported values: "ClusterIP", "ExternalName", '
                 '"LoadBalancer", "NodePort"', "FieldValueNotSupported")]
    if old:
        _drop_type_dependent(spec, old_spec)
        _patch_allocated(spec, old_spec)
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {}).setdefault(
            "timeoutSeconds", 10800)
    ports = spec.get("ports") or []
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            errs.append(("spec.ports[%d]" % i, p, "must be an object"))
            continue
        p.setdefault("protocol", "TCP")
        if not p.get("port"):
            errs.append(("spec.ports[%d].port" % i, None, "", "FieldValueRequired"))
        elif not isinstance(p["port"], int) or not 1 <= p["port"] <= 65535:
            errs.append(("spec.ports[%d].port" % i, p["port"],
                         "must be between 1 and 65535, inclusive"))
        if t != "ExternalName" or "targetPort" in p:
            if not _is_set(p.get("targetPort")):
                p["targetPort"] = p.get("port")
        if len(ports) > 1 and not p.get("name"):
            errs.append(("spec.ports[%d].name" % i, None, "", "FieldValueRequired"))
    if t != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        errs.append(("spec.ports", None, "", "FieldValueRequired"))
    if t == "ExternalName":
        if not spec.get("externalName"):
            errs.append(("spec.externalName", None, "", "FieldValueRequired"))
        for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if f in spec and spec[f] in ("", [], None):
                del spec[f]
        return errs
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if t in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if t == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if errs:
        return errs
    if old and t == "LoadBalancer" and old_spec.get("type") == "LoadBalancer":
        for f in ("loadBalancerClass",):
            if spec.get(f) != old_spec.get(f):
                errs.append(("spec." + f, spec.get(f), "may not change once set"))
    if old and _needs_health_port(spec) and _needs_health_port(old_spec) and spec.get(
            "healthCheckNodePort") != old_spec.get("healthCheckNodePort"):
        errs.append(("spec.healthCheckNodePort", spec.get("healthCheckNodePort"),
                     "field is immutable"))
    if errs:
        return errs
    ips, node_ports = _used(services, (old or {}).get("metadata", {}).get("uid"))
    errs += _cluster_ips(spec, old_spec, ips)
    errs += _node_ports(spec, node_ports)
    if not isinstance(svc.get("status"), dict):
        svc["status"] = {}
    svc["status"].setdefault("loadBalancer", {})
    return errs


def _drop_type_dependent(spec, old_spec):
    """A type change away from NodePort/LoadBalancer releases the values the user did not
    change (the REST storage's dropTypeDependentFields)."""
    if not _needs_node_ports(spec):
        for p, op in zip(spec.get("ports") or [], old_spec.get("ports") or []):
            if isinstance(p, dict) and p.get("nodePort") and p.get("nodePort") == op.get(
                    "nodePort"):
                del p["nodePort"]
    if not _needs_health_port(spec) and spec.get("healthCheckNodePort") == old_spec.get(
            "healthCheckNodePort"):
        spec.pop("healthCheckNodePort", None)
    if spec.get("type") != "LoadBalancer" and spec.get(
            "allocateLoadBalancerNodePorts") == old_spec.get("allocateLoadBalancerNodePorts"):
        spec.pop("allocateLoadBalancerNodePorts", None)
    if spec.get("type") not in ("NodePort", "LoadBalancer") and spec.get(
            "externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    if spec.get("type") == "ExternalName" and old_spec.get("type") != "ExternalName":
        for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if spec.get(f) == old_spec.get(f):
                spec.pop(f, None)


def _patch_allocated(spec, old_spec):
    """An update that omits allocated values keeps them (patchAllocatedValues)."""
    if spec.get("type") != "ExternalName" and old_spec.get("type") != "ExternalName":
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs") and spec.get(
                "clusterIP") == old_spec.get("clusterIP"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
        for f in ("ipFamilies", "ipFamilyPolicy"):
            if not spec.get(f) and old_spec.get(f):
                spec[f] = old_spec[f]
    if _needs_node_ports(spec):
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []
                     if isinstance(p, dict) and p.get("nodePort")}
        for p in spec.get("ports") or []:
            if isinstance(p, dict) and not p.get("nodePort") and p.get("port") in old_ports:
                p["nodePort"] = old_ports[p["port"]]
    if _needs_health_port(spec) and not spec.get("healthCheckNodePort") and old_spec.get(
            "healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def _allocate_ip(family, used):
    net = SERVICE_CIDRS[family]
    # The first address is the kubernetes Service's; pick randomly like the real allocator.
    size = min(net.num_addresses - 2, 1 << 16)
    for _ in range(4 * size):
        ip = str(net.network_address + random.randint(2, size))
        if ip not in used:
            return ip
    return None


def _cluster_ips(spec, old_spec, used):
    errs = []
    policy = spec.get("ipFamilyPolicy")
    if policy not in (None, "SingleStack", "PreferDualStack", "RequireDualStack"):
        return [("spec.ipFamilyPolicy", policy, 'supported values: "PreferDualStack", '
                 '"RequireDualStack", "SingleStack"', "FieldValueNotSupported")]
    ips = list(spec.get("clusterIPs") or [])
    if spec.get("clusterIP") and not ips:
        ips = [spec["clusterIP"]]
    if spec.get("clusterIP") and ips and spec["clusterIP"] != ips[0]:
        return [("spec.clusterIPs", ips, "element [0] must match clusterIP")]
    headless = ips[:1] == ["None"]
    families = list(spec.get("ipFamilies") or [])
    for f in families:
        if f not in SERVICE_CIDRS:
            return [("spec.ipFamilies", f, 'supported values: "IPv4", "IPv6"',
                     "FieldValueNotSupported")]
    old_families = old_spec.get("ipFamilies") or []
    if families and old_families and families[0] != old_families[0] and old_spec.get(
            "type") != "ExternalName":
        return [("spec.ipFamilies[0]", families[0], "may not change once set")]
    if len(families) > 1 and policy in (None, "SingleStack"):
        return [("spec.ipFamilyPolicy", policy or "SingleStack",
                 "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families "
                 "are specified")]
    if not headless:
        for i, ip in enumerate(ips):
            fam = _family(ip)
            if fam is None:
                return [("spec.clusterIPs[%d]" % i, ip, "must be a valid IP address, (e.g. "
                         "10.9.8.7 or 2001:db8::ffff)")]
            if i < len(families) and families[i] != fam:
                return [("spec.clusterIPs[%d]" % i, ip, "expected an IP of family %s"
                         % families[i])]
            if i >= len(families):
                families.append(fam)
    if not families:
        families = ["IPv4"]
    policy = policy or "SingleStack"
    if policy in ("PreferDualStack", "RequireDualStack") and len(families) == 1:
        families.append("IPv6" if families[0] == "IPv4" else "IPv4")
    if policy == "SingleStack":
        families = families[:1]
    spec["ipFamilyPolicy"] = policy
    spec["ipFamilies"] = families
    if headless:
        spec["clusterIP"] = "None"
        spec["clusterIPs"] = ["None"]
    else:
        for i, fam in enumerate(families):
            if i < len(ips):
                net = SERVICE_CIDRS[fam]
                already = ips[i] in (old_spec.get("clusterIPs") or [])
                if ipaddress.ip_address(ips[i]) not in net:
                    errs.append(("spec.clusterIPs", ips, "failed to allocate IP %s: the provided "
                                 "IP (%s) is not in the valid range. The range of valid IPs is "
                                 "%s" % (ips[i], ips[i], net)))
                elif ips[i] in used and not already:
                    errs.append(("spec.clusterIPs", ips, "failed to allocate IP %s: provided IP "
                                 "is already allocated" % ips[i]))
            else:
                ip = _allocate_ip(fam, used)
                if ip is None:
                    errs.append(("spec.clusterIPs", ips, "failed to allocate a serviceIP: range "
                                 "is full"))
                    break
                ips.append(ip)
        spec["clusterIPs"] = ips[:len(families)]
        spec["clusterIP"] = ips[0] if ips else ""
    old_ips = old_spec.get("clusterIPs") or []
    if old_ips and old_spec.get("type") != "ExternalName" and (
            not spec["clusterIPs"] or spec["clusterIPs"][0] != old_ips[0]):
        errs.append(("spec.clusterIPs[0]", spec["clusterIPs"], "may not change once set"))
    return errs


def _free_port(used):
    lo, hi = NODE_PORT_RANGE
    for _ in range(4 * (hi - lo)):
        p = random.randint(lo, hi)
        if p not in used:
            return p
    return None


def _node_ports(spec, used):
    errs = []
    ports = spec.get("ports") or []
    taken = set(used)
    if not _needs_node_ports(spec):
        if spec.get("type") in ("ClusterIP",):
            for i, p in enumerate(ports):
                if p.get("nodePort"):
                    errs.append(("spec.ports[%d].nodePort" % i, None,
                                 "may not be used when `type` is 'ClusterIP'",
                                 "FieldValueForbidden"))
        return errs
    by_port = {}
    for i, p in enumerate(ports):
        np = p.get("nodePort")
        if np:
            if not isinstance(np, int) or not NODE_PORT_RANGE[0] <= np <= NODE_PORT_RANGE[1]:
                errs.append(("spec.ports[%d].nodePort" % i, np, "provided port is not in the "
                             "valid range. The range of valid ports is %d-%d" % NODE_PORT_RANGE))
            elif np in used:
                errs.append(("spec.ports[%d].nodePort" % i, np,
                             "provided port is already allocated"))
            taken.add(np)
            by_port.setdefault(p.get("port"), np)
    for p in ports:
        if not p.get("nodePort"):
            np = by_port.get(p.get("port")) or _free_port(taken)
            p["nodePort"] = np
            taken.add(np)
            by_port[p.get("port")] = np
    if _needs_health_port(spec):
        hp = spec.get("healthCheckNodePort")
        if not hp:
            spec["healthCheckNodePort"] = _free_port(taken)
        elif hp in used:
            errs.append(("spec.healthCheckNodePort", hp, "provided port is already allocated"))
    elif spec.get("healthCheckNodePort") and spec.get("type") == "LoadBalancer":
        errs.append(("spec.healthCheckNodePort", spec["healthCheckNodePort"],
                     "may only be set when `type` is 'LoadBalancer' and "
                     "`externalTrafficPolicy` is 'Local'"))
    return errs

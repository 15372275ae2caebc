#!/usr/bin/env python3
"""The test Kubernetes API server (k8s_api_server.py) judged by real kubectl and raw HTTP.

Each test starts its own server on a free port in a temporary directory and talks to it as a
user would: kubectl with DIR/admin.kubeconfig (or a service-account token kubeconfig), and
Python's http.client over TLS with the admin client certificate for the wire details kubectl
hides (410 ERROR events, bookmarks, dropped watches, continue tokens).

Usage: k8s_api_server_test.py [-k NAME] [--kubectl PATH]
"""
import copy
import http.client
import json
import os
import re
import ssl
import sys
import time
import urllib.parse

from k8s_api_test_support import (CRDS, K8S, SAMPLES, Server, read_events, run, rv,
                                  wait_for)


def test_metallb_crds_and_configuration(root):
    s = Server(root)
    try:
        out = s.kubectl("apply", "-f", CRDS).stdout
        assert out.count("created") == 9, out
        crd = s.kubectl_json("get", "crd", "bgppeers.metallb.io")
        conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conds == {"NamesAccepted": "True", "Established": "True"}, conds
        assert crd["status"]["storedVersions"] == ["v1beta2"], crd["status"]
        s.kubectl("wait", "--for=condition=established", "crd", "--all", "--timeout=10s")
        s.kubectl("create", "namespace", "metallb-system")
        samples = ["ipaddresspool_simple.yaml", "ipaddresspool_with_selector.yaml",
                   "bgppeer_simple.yaml", "bgppeer_with_bfdprofile.yaml",
                   "bgpadvertisement_communities_localpref.yaml",
                   "bgpadvertisement_community_alias.yaml", "l2adv_with_node_selector.yaml",
                   "simple_pool_adv_l2.yaml"]
        for name in samples:
            s.kubectl("apply", "-f", os.path.join(SAMPLES, name))
        pools = s.kubectl_json("get", "ipaddresspools", "-n", "metallb-system")
        names = sorted(p["metadata"]["name"] for p in pools["items"])
        assert names == ["example", "ippool-ns-service-alloc-sample"], names
        example = next(p for p in pools["items"] if p["metadata"]["name"] == "example")
        # The CRD schema's default (autoAssign: true) is applied, as a real server does.
        assert example["spec"]["autoAssign"] is True, example["spec"]
        assert example["spec"]["addresses"][0] == "192.168.10.0/24", example["spec"]
        assert example["metadata"]["generation"] == 1, example["metadata"]
        # The printer columns of the CRD make up the table.
        table = s.kubectl("get", "ipaddresspools", "-n", "metallb-system").stdout
        header = table.splitlines()[0].split()
        assert header == ["NAME", "AUTO", "ASSIGN", "AVOID", "BUGGY", "IPS", "ADDRESSES"], table
        assert '"192.168.10.0/24"' in table, table
        # BGPPeer is served at v1beta2 (storage) and v1beta1, stored as sent.
        peer = s.kubectl_json("get", "bgppeers.v1beta2.metallb.io", "peer", "-n",
                              "metallb-system")
        assert peer["apiVersion"] == "metallb.io/v1beta2", peer
        assert peer["spec"]["peerASN"] == 64512, peer["spec"]
        old = s.kubectl_json("get", "bgppeers.v1beta1.metallb.io", "peer", "-n",
                             "metallb-system")
        assert old["apiVersion"] == "metallb.io/v1beta1" and old["spec"] == peer["spec"], old
        short = s.kubectl("get", "bgppeers,bgpadvertisements,l2advertisements,communities",
                          "-n", "metallb-system", "-o", "name").stdout.split()
        assert "bgppeer.metallb.io/peer" in short and "community.metallb.io/community1" in \
            short and "l2advertisement.metallb.io/example" in short, short
        # Strategic merge patch is refused for custom resources (415), merge patch works.
        code, body = s.request("PATCH", "/apis/metallb.io/v1beta1/namespaces/metallb-system/"
                               "ipaddresspools/example", '{"spec":{"autoAssign":false}}',
                               {"Content-Type": "application/strategic-merge-patch+json"})
        assert code == 415 and body["reason"] == "UnsupportedMediaType", (code, body)
        s.kubectl("patch", "ipaddresspool", "example", "-n", "metallb-system", "--type",
                  "merge", "-p", '{"spec":{"autoAssign":false}}')
        after = s.kubectl_json("get", "ipaddresspool", "example", "-n", "metallb-system")
        assert after["spec"]["autoAssign"] is False and after["metadata"]["generation"] == 2
        # Status of a custom resource is its own subresource.
        s.kubectl("patch", "ipaddresspool", "example", "-n", "metallb-system", "--type",
                  "merge", "--subresource=status", "-p",
                  '{"status":{"assignedIPv4":3},"spec":{"autoAssign":true}}')
        after = s.kubectl_json("get", "ipaddresspool", "example", "-n", "metallb-system")
        assert after["status"] == {"assignedIPv4": 3}, after.get("status")
        assert after["spec"]["autoAssign"] is False and after["metadata"]["generation"] == 2
        # Unknown kinds and resources are 404, as on a real server.
        res = s.kubectl("get", "nosuchthings", check=False)
        assert "the server doesn't have a resource type" in res.stderr, res.stderr
        code, body = s.request("GET", "/apis/metallb.io/v1beta1/namespaces/metallb-system/"
                                      "nosuchthings")
        assert code == 404 and body["reason"] == "NotFound", (code, body)
        code, body = s.request("GET", "/apis/metallb.io/v1beta2/namespaces/metallb-system/"
                                      "ipaddresspools")
        assert code == 404, (code, body)
        # Deleting the CRD deletes its objects.
        s.kubectl("delete", "crd", "communities.metallb.io")
        res = s.kubectl("get", "communities", "-n", "metallb-system", check=False)
        assert res.returncode != 0, res.stdout
    finally:
        s.stop()


def test_services_create_patch_apply_watch_delete(root):
    s = Server(root, "--verbose")
    try:
        s.kubectl("create", "namespace", "web")
        s.kubectl("create", "service", "clusterip", "seed", "-n", "web", "--tcp=80")
        watcher = s.background("get", "services", "-n", "web", "-w", "--output-watch-events")
        wait_for("the watch to start", lambda: "seed" in open(watcher.out.name).read(), 20)
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "front", "namespace": "web", "labels": {"app": "front"}},
               "spec": {"type": "LoadBalancer", "selector": {"app": "front"},
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                                  {"name": "https", "port": 443}]}}
        s.kubectl("create", "-f", "-", input=json.dumps(svc))
        got = s.kubectl_json("get", "svc", "front", "-n", "web")
        spec = got["spec"]
        assert spec["clusterIP"].startswith("198.51.100.") and spec["clusterIPs"] == [
            spec["clusterIP"]], spec
        assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
        assert spec["sessionAffinity"] == "None" and spec["internalTrafficPolicy"] == "Cluster"
        assert spec["externalTrafficPolicy"] == "Cluster", spec
        assert spec["allocateLoadBalancerNodePorts"] is True, spec
        ports = spec["ports"]
        assert [p["protocol"] for p in ports] == ["TCP", "TCP"], ports
        assert [p["targetPort"] for p in ports] == [8080, 443], ports
        assert all(30000 <= p["nodePort"] <= 32767 for p in ports), ports
        assert "healthCheckNodePort" not in spec, spec
        assert got["status"] == {"loadBalancer": {}}, got["status"]
        assert "generation" not in got["metadata"], got["metadata"]
        # The table kubectl prints.
        lines = s.kubectl("get", "svc", "-n", "web").stdout.splitlines()
        assert lines[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)",
                                    "AGE"], lines
        row = lines[1].split()
        assert row[:4] == ["front", "LoadBalancer", spec["clusterIP"], "<pending>"], row
        assert row[4] == "80:%d/TCP,443:%d/TCP" % (ports[0]["nodePort"], ports[1]["nodePort"])
        # Merge patch: eTP Local allocates a health-check node port.
        s.kubectl("patch", "svc", "front", "-n", "web", "--type", "merge", "-p",
                  '{"spec":{"externalTrafficPolicy":"Local"}}')
        spec = s.kubectl_json("get", "svc", "front", "-n", "web")["spec"]
        assert 30000 <= spec["healthCheckNodePort"] <= 32767, spec
        # JSON patch.
        s.kubectl("patch", "svc", "front", "-n", "web", "--type", "json", "-p",
                  '[{"op":"add","path":"/metadata/labels/tier","value":"edge"}]')
        # Strategic merge patch: ports merged by `port`, the other port and node ports kept.
        s.kubectl("patch", "svc", "front", "-n", "web", "-p",
                  '{"spec":{"ports":[{"port":80,"targetPort":9090}]}}')
        got = s.kubectl_json("get", "svc", "front", "-n", "web")
        assert got["metadata"]["labels"] == {"app": "front", "tier": "edge"}, got["metadata"]
        merged = got["spec"]["ports"]
        assert [(p["port"], p["targetPort"], p["nodePort"]) for p in merged] == [
            (80, 9090, ports[0]["nodePort"]), (443, 443, ports[1]["nodePort"])], merged
        # The cluster IP is immutable (422 Invalid).
        res = s.kubectl("patch", "svc", "front", "-n", "web", "--type", "merge", "-p",
                        '{"spec":{"clusterIP":"198.51.100.250","clusterIPs":'
                        '["198.51.100.250"]}}', check=False)
        assert res.returncode != 0 and "may not change once set" in res.stderr, res.stderr
        assert "is invalid" in res.stderr, res.stderr
        # kubectl wait on a JSONPath, satisfied by a status write through the subresource
        # while it watches.
        waiter = s.background("wait", "-n", "web", "svc/front", "--timeout=30s",
                              "--for=jsonpath={.status.loadBalancer.ingress[0].ip}=203.0.113.7")
        wait_for("kubectl wait to list the Service", lambda: "GET /api/v1/namespaces/web/"
                 "services?fieldSelector=metadata.name%3Dfront" in s.tail(10 ** 6), 20)
        assert waiter.poll() is None, open(waiter.out.name).read()
        s.kubectl("patch", "svc", "front", "-n", "web", "--subresource=status", "--type",
                  "merge", "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7",'
                  '"ipMode":"VIP"}]}}}')
        wait_for("kubectl wait to return", lambda: waiter.poll() is not None, 30)
        assert waiter.returncode == 0, open(waiter.out.name).read()
        row = s.kubectl("get", "svc", "front", "-n", "web", "--no-headers").stdout.split()
        assert row[3] == "203.0.113.7", row
        # A write to the object ignores status, a write to /status ignores spec.
        s.kubectl("patch", "svc", "front", "-n", "web", "--type", "merge", "-p",
                  '{"status":{"loadBalancer":{}}}')
        s.kubectl("patch", "svc", "front", "-n", "web", "--subresource=status", "--type",
                  "merge", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')
        got = s.kubectl_json("get", "svc", "front", "-n", "web")
        assert got["status"]["loadBalancer"]["ingress"][0]["ip"] == "203.0.113.7", got
        assert got["spec"]["sessionAffinity"] == "None", got["spec"]
        # 409 on a stale update.
        stale = json.dumps(got)
        s.kubectl("label", "svc", "front", "-n", "web", "fresh=yes")
        res = s.kubectl("replace", "-f", "-", input=stale, check=False)
        assert res.returncode != 0 and "Conflict" in res.stderr, res.stderr
        assert "the object has been modified" in res.stderr, res.stderr
        # Server-side apply: create, re-apply, conflict with another manager, force.
        applied = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "dns", "namespace": "web", "labels": {"a": "1"}},
                   "spec": {"selector": {"app": "dns"},
                            "ports": [{"port": 53, "protocol": "UDP", "name": "dns"}]}}
        out = s.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(applied)).stdout
        assert "serverside-applied" in out, out
        s.kubectl("patch", "svc", "dns", "-n", "web", "--type", "merge", "-p",
                  '{"spec":{"selector":{"app":"other"}}}')
        res = s.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(applied),
                        check=False)
        assert res.returncode != 0 and 'conflict with "kubectl-patch"' in res.stderr, res
        s.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-",
                  input=json.dumps(applied))
        applied["metadata"]["labels"] = {"b": "2"}
        s.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(applied))
        got = s.kubectl_json("get", "svc", "dns", "-n", "web", "--show-managed-fields")
        assert got["spec"]["selector"] == {"app": "dns"}, got["spec"]
        assert got["metadata"]["labels"] == {"b": "2"}, got["metadata"]  # a=1 released
        managers = {(m["manager"], m["operation"]) for m in got["metadata"]["managedFields"]}
        assert ("kubectl", "Apply") in managers, managers
        # Client-side apply on top (strategic merge patch computed by kubectl).
        applied["spec"]["ports"].append({"port": 5353, "protocol": "UDP", "name": "mdns"})
        s.kubectl("apply", "-f", "-", input=json.dumps(applied))
        got = s.kubectl_json("get", "svc", "dns", "-n", "web")
        assert [p["port"] for p in got["spec"]["ports"]] == [53, 5353], got["spec"]
        # Delete; kubectl waits for it to go.
        s.kubectl("delete", "svc", "front", "dns", "-n", "web")
        res = s.kubectl("get", "svc", "front", "-n", "web", check=False)
        assert res.returncode != 0 and 'services "front" not found' in res.stderr, res.stderr

        def events():
            rows = [line.split() for line in open(watcher.out.name).read().splitlines()]
            return [(r[0], r[1]) for r in rows[1:] if len(r) > 1]
        wait_for("DELETED events", lambda: ("DELETED", "dns") in events(), 20)
        seen = events()
        for want in [("ADDED", "front"), ("MODIFIED", "front"), ("DELETED", "front"),
                     ("ADDED", "dns"), ("MODIFIED", "dns")]:
            assert want in seen, (want, seen)
        assert seen.index(("ADDED", "front")) < seen.index(("DELETED", "front")), seen
    finally:
        s.stop()


def test_service_allocation_rules(root):
    s = Server(root)
    try:
        base = "/api/v1/namespaces/default/services"

        def create(name, spec):
            return s.request("POST", base, {"metadata": {"name": name}, "spec": spec})
        code, ds = create("dual", {"type": "LoadBalancer", "ipFamilyPolicy": "PreferDualStack",
                                   "externalTrafficPolicy": "Local", "ports": [
                                       {"name": "tcp", "port": 53},
                                       {"name": "udp", "port": 53, "protocol": "UDP"}]})
        assert code == 201, ds
        spec = ds["spec"]
        assert spec["ipFamilies"] == ["IPv4", "IPv6"], spec
        v4, v6 = spec["clusterIPs"]
        assert v4.startswith("198.51.100.") and v6.startswith("2001:db8:ffff::"), spec
        # One node port for both protocols of port 53, and a health-check port.
        assert spec["ports"][0]["nodePort"] == spec["ports"][1]["nodePort"], spec["ports"]
        assert 30000 <= spec["healthCheckNodePort"] <= 32767, spec
        # Changing the type to ClusterIP releases the node ports and the health-check port.
        code, cip = s.request("PATCH", base + "/dual", json.dumps(
            {"spec": {"type": "ClusterIP"}}), {"Content-Type": "application/merge-patch+json"})
        assert code == 200, cip
        assert all("nodePort" not in p for p in cip["spec"]["ports"]), cip["spec"]
        for f in ("healthCheckNodePort", "externalTrafficPolicy",
                  "allocateLoadBalancerNodePorts"):
            assert f not in cip["spec"], (f, cip["spec"])
        assert cip["spec"]["clusterIPs"] == [v4, v6], cip["spec"]
        # A PUT without the allocated values keeps them.
        body = {"metadata": {"name": "dual"}, "spec": {"ports": [
            {"name": "tcp", "port": 53}, {"name": "udp", "port": 53, "protocol": "UDP"}]}}
        code, put = s.request("PUT", base + "/dual", body)
        assert code == 200 and put["spec"]["clusterIPs"] == [v4, v6], put
        code, hl = create("headless", {"clusterIP": "None", "selector": {"a": "b"},
                                       "ports": [{"port": 80}]})
        assert code == 201 and hl["spec"]["clusterIPs"] == ["None"], hl
        assert hl["spec"]["ipFamilies"] == ["IPv4"], hl["spec"]
        code, v6only = create("v6", {"ipFamilies": ["IPv6"], "ports": [{"port": 80}]})
        assert code == 201 and v6only["spec"]["clusterIP"].startswith("2001:db8:ffff::")
        code, ext = create("ext", {"type": "ExternalName", "externalName": "example.org"})
        assert code == 201 and "clusterIP" not in ext["spec"], ext
        # Taken or out-of-range addresses and ports are 422.
        code, err = create("taken", {"clusterIP": v4, "ports": [{"port": 80}]})
        assert code == 422 and "provided IP is already allocated" in err["message"], err
        code, err = create("outside", {"clusterIP": "192.0.2.1", "ports": [{"port": 80}]})
        assert code == 422 and "not in the valid range" in err["message"], err
        code, np = create("np", {"type": "NodePort", "ports": [{"port": 80,
                                                                "nodePort": 30080}]})
        assert code == 201 and np["spec"]["ports"][0]["nodePort"] == 30080, np
        code, err = create("np2", {"type": "NodePort", "ports": [{"port": 80,
                                                                  "nodePort": 30080}]})
        assert code == 422 and err["details"]["causes"][0] == {
            "reason": "FieldValueInvalid", "field": "spec.ports[0].nodePort",
            "message": "Invalid value: 30080: provided port is already allocated"}, err
        code, err = create("two", {"ports": [{"port": 80}, {"port": 81}]})
        assert code == 422 and err["details"]["causes"][0]["field"] == "spec.ports[0].name"
        code, err = create("Upper", {"ports": [{"port": 80}]})
        assert code == 422 and "DNS-1035" in err["message"], err
        # The primary family may not change.
        code, err = s.request("PATCH", base + "/v6", json.dumps(
            {"spec": {"ipFamilies": ["IPv4"]}}), {"Content-Type": "application/merge-patch+json"})
        assert code == 422 and err["message"] == (
            'Service "v6" is invalid: spec.ipFamilies[0]: Invalid value: "IPv4": may not '
            'change once set'), err
        # An impersonated user without rights is refused; the admin may impersonate.
        res = s.kubectl("get", "services", "--as=someone", check=False)
        assert "User \"someone\" cannot list resource" in res.stderr, res.stderr
    finally:
        s.stop()


def token_kubeconfig(s, token, path):
    with open(path, "w") as f:
        f.write(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "sa",
            "clusters": [{"name": "c", "cluster": {
                "server": s.url,
                "certificate-authority": os.path.join(s.dir, "ca.crt")}}],
            "users": [{"name": "sa", "user": {"token": token}}],
            "contexts": [{"name": "sa", "context": {"cluster": "c", "user": "sa",
                                                    "namespace": "team"}}]}))
    return path


def test_rbac_service_account_token_forbidden_and_can_i(root):
    s = Server(root)
    try:
        s.kubectl("create", "namespace", "team")
        s.kubectl("create", "serviceaccount", "reader", "-n", "team")
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "get-services", "namespace": "team"},
                "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["get"]},
                          {"apiGroups": [""], "resources": ["services/status"],
                           "verbs": ["patch"], "resourceNames": ["lb"]}]}
        s.kubectl("apply", "-f", "-", input=json.dumps(role))
        s.kubectl("create", "rolebinding", "reader", "-n", "team", "--role=get-services",
                  "--serviceaccount=team:reader")
        s.kubectl("create", "service", "loadbalancer", "lb", "-n", "team", "--tcp=80:8080")
        res = s.kubectl("create", "token", "nobody", "-n", "team", check=False)
        assert res.returncode != 0 and 'serviceaccounts "nobody" not found' in res.stderr
        token = s.kubectl("create", "token", "reader", "-n", "team").stdout.strip()
        kc = token_kubeconfig(s, token, os.path.join(root, "reader.kubeconfig"))
        who = s.kubectl_json("auth", "whoami", kubeconfig=kc)
        info = who["status"]["userInfo"]
        assert info["username"] == "system:serviceaccount:team:reader", info
        assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:team",
                                  "system:authenticated"], info
        res = s.kubectl("get", "services", kubeconfig=kc, check=False)
        assert res.returncode != 0, res.stdout
        want = ('Error from server (Forbidden): services is forbidden: User '
                '"system:serviceaccount:team:reader" cannot list resource "services" in API '
                'group "" in the namespace "team"')
        assert res.stderr.strip() == want, res.stderr
        got = s.kubectl_json("get", "service", "lb", kubeconfig=kc)
        assert got["metadata"]["name"] == "lb", got
        # The raw Status body of the 403 (no client certificate: the token alone).
        c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ssl.create_default_context(
            cafile=os.path.join(s.dir, "ca.crt")), timeout=10)
        c.request("GET", "/api/v1/namespaces/team/services",
                  headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        assert r.status == 403 and body == {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": want.split(": ", 1)[1], "reason": "Forbidden",
            "details": {"kind": "services"}, "code": 403}, body
        for args, answer in [(("list", "services"), "no"), (("get", "services"), "yes"),
                             (("get", "services", "-n", "default"), "no"),
                             (("patch", "services/lb", "--subresource=status"), "yes"),
                             (("patch", "services/other", "--subresource=status"), "no"),
                             (("create", "configmaps"), "no"), (("watch", "services"), "no")]:
            res = s.kubectl("auth", "can-i", *args, kubeconfig=kc, check=False)
            assert res.stdout.strip() == answer, (args, res.stdout, res.stderr)
            assert res.returncode == (0 if answer == "yes" else 1), (args, res.returncode)
        res = s.kubectl("auth", "can-i", "list", "services", "-n", "team",
                        "--as=system:serviceaccount:team:reader", check=False)
        assert res.stdout.strip() == "no", res.stdout
        # Granting list through a ClusterRole bound by a RoleBinding takes effect at once.
        s.kubectl("create", "clusterrole", "svc-lister", "--verb=list,watch",
                  "--resource=services")
        s.kubectl("create", "rolebinding", "lister", "-n", "team", "--clusterrole=svc-lister",
                  "--serviceaccount=team:reader")
        out = s.kubectl("get", "services", "-o", "name", kubeconfig=kc).stdout.split()
        assert out == ["service/lb"], out
        # Deleting the ServiceAccount invalidates its token (401).
        s.kubectl("delete", "serviceaccount", "reader", "-n", "team")
        res = s.kubectl("get", "service", "lb", kubeconfig=kc, check=False)
        assert res.returncode != 0 and "Unauthorized" in res.stderr, res.stderr
    finally:
        s.stop()


def test_pagination_and_resource_versions(root):
    s = Server(root, "--compact-every", "40")
    try:
        s.kubectl("create", "namespace", "pages")
        for i in range(23):
            s.request("POST", "/api/v1/namespaces/pages/configmaps",
                      {"metadata": {"name": "cm-%02d" % i}, "data": {"i": str(i)}})
        res = s.kubectl("get", "configmaps", "-n", "pages", "--chunk-size=5", "-v=6")
        rows = [line for line in res.stdout.splitlines()[1:] if line.strip()]
        assert len(rows) == 24, res.stdout  # 23 + kube-root-ca.crt
        pages = [line for line in res.stderr.splitlines() if "GET " in line and
                 "/configmaps?" in line]
        assert len(pages) == 5 and sum("continue=" in p for p in pages) == 4, pages
        # Raw: every page comes from the snapshot of the first.
        code, first = s.request("GET", "/api/v1/namespaces/pages/configmaps?limit=10")
        assert code == 200 and len(first["items"]) == 10, first
        snap = first["metadata"]["resourceVersion"]
        assert first["metadata"]["remainingItemCount"] == 14, first["metadata"]
        s.request("DELETE", "/api/v1/namespaces/pages/configmaps/cm-15")
        s.request("POST", "/api/v1/namespaces/pages/configmaps", {"metadata": {"name": "cm-99"}})
        names, token = [], first["metadata"]["continue"]
        while token:
            code, page = s.request("GET", "/api/v1/namespaces/pages/configmaps?limit=10&"
                                          "continue=" + urllib.parse.quote(token))
            assert code == 200 and page["metadata"]["resourceVersion"] == snap, page
            names += [i["metadata"]["name"] for i in page["items"]]
            token = page["metadata"].get("continue")
        assert "cm-15" in names and "cm-99" not in names, names
        # An exact list at an older version is rebuilt; a bad combination is 400.
        code, old = s.request("GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=%s&"
                                     "resourceVersionMatch=Exact" % snap)
        assert code == 200 and len(old["items"]) == 24, code
        code, body = s.request("GET", "/api/v1/namespaces/pages/configmaps?limit=2&continue=%s&"
                                      "resourceVersion=5" % urllib.parse.quote(token or "x"))
        assert code == 400, (code, body)
        # After more than 40 changes the snapshot is compacted: 410 Expired.
        for i in range(45):
            s.request("PATCH", "/api/v1/namespaces/pages/configmaps/cm-00",
                      json.dumps({"data": {"n": str(i)}}),
                      {"Content-Type": "application/merge-patch+json"})
        code, body = s.request("GET", "/api/v1/namespaces/pages/configmaps?limit=10&continue="
                               + urllib.parse.quote(first["metadata"]["continue"]))
        assert code == 410 and body["reason"] == "Expired", (code, body)
        assert body["message"].startswith("The provided continue parameter is too old"), body
        assert body["metadata"].get("continue"), body
        code, body = s.request("GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=%s&"
                                      "resourceVersionMatch=Exact" % snap)
        assert code == 410 and body == {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "The resourceVersion for the provided list is too old.",
            "reason": "Expired", "code": 410}, body
        code, body = s.request("GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=%s&"
                                      "resourceVersionMatch=NotOlderThan" % snap)
        assert code == 200 and rv(body) > int(snap), (code, body)
    finally:
        s.stop()


def test_watch_expired_bookmarks_and_resume(root):
    s = Server(root, "--compact-every", "10", "--bookmark-interval", "0.5")
    try:
        s.kubectl("create", "namespace", "w")
        code, cm = s.request("POST", "/api/v1/namespaces/w/configmaps",
                             {"metadata": {"name": "a"}, "data": {"v": "0"}})
        assert code == 201, cm
        start = rv(cm)
        for i in range(12):
            s.request("PATCH", "/api/v1/namespaces/w/configmaps/a", json.dumps(
                {"data": {"v": str(i + 1)}}), {"Content-Type": "application/merge-patch+json"})
        # A watch from a compacted version: 200, one ERROR event with the 410 Status, end.
        resp, c = s.watch("/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=%d" % start)
        assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
        events = read_events(resp, 5)
        c.close()
        assert len(events) == 1, events
        ev = events[0]
        assert ev["type"] == "ERROR" and ev["object"]["code"] == 410, ev
        assert ev["object"]["reason"] == "Expired" and ev["object"]["kind"] == "Status", ev
        assert ev["object"]["message"].startswith("too old resource version: %d (" % start)
        assert list(ev["object"]) == ["kind", "apiVersion", "metadata", "status", "message",
                                      "reason", "code"], ev
        # A watch from a recent version replays what came after it, then bookmarks.
        code, lst = s.request("GET", "/api/v1/namespaces/w/configmaps")
        recent = rv(lst)
        s.request("PATCH", "/api/v1/namespaces/w/configmaps/a", json.dumps(
            {"data": {"v": "x"}}), {"Content-Type": "application/merge-patch+json"})
        s.request("DELETE", "/api/v1/namespaces/w/configmaps/a")
        resp, c = s.watch("/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=%d&"
                          "allowWatchBookmarks=true&timeoutSeconds=20" % recent)
        events = read_events(resp, 3)
        c.close()
        assert [e["type"] for e in events] == ["MODIFIED", "DELETED", "BOOKMARK"], events
        deleted = events[1]["object"]
        assert deleted["data"] == {"v": "x"} and rv(deleted) == rv(events[0]["object"]) + 1
        assert deleted["kind"] == "ConfigMap" and deleted["apiVersion"] == "v1", deleted
        bm = events[2]["object"]
        assert bm == {"kind": "ConfigMap", "apiVersion": "v1",
                      "metadata": {"resourceVersion": bm["metadata"]["resourceVersion"]}}, bm
        assert int(bm["metadata"]["resourceVersion"]) >= rv(deleted), bm
        # No resourceVersion: synthetic ADDED for what exists, then live events.
        s.request("POST", "/api/v1/namespaces/w/configmaps", {"metadata": {"name": "b"}})
        resp, c = s.watch("/api/v1/namespaces/w/configmaps?watch=true&timeoutSeconds=20&"
                          "labelSelector=keep%3Dyes")
        s.request("POST", "/api/v1/namespaces/w/configmaps",
                  {"metadata": {"name": "c", "labels": {"keep": "yes"}}})
        s.request("PATCH", "/api/v1/namespaces/w/configmaps/c", json.dumps(
            {"metadata": {"labels": {"keep": "no"}}}),
            {"Content-Type": "application/merge-patch+json"})
        events = read_events(resp, 2)
        c.close()
        # Leaving the selector is a DELETED event for this watch.
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "c"), ("DELETED", "c")], events
        # The watch ends at timeoutSeconds (with a last bookmark).
        t0 = time.monotonic()
        resp, c = s.watch("/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=%d&"
                          "timeoutSeconds=1&allowWatchBookmarks=true" % recent)
        events = read_events(resp, 50)
        c.close()
        assert 0.9 < time.monotonic() - t0 < 5, time.monotonic() - t0
        assert events[-1]["type"] == "BOOKMARK", events
    finally:
        s.stop()


def test_drop_watches_and_resume_without_relist(root):
    s = Server(root, "--drop-watches-every", "1", "--verbose")
    try:
        s.kubectl("create", "namespace", "d")
        code, lst = s.request("GET", "/api/v1/namespaces/d/services")
        last = rv(lst)
        seen = []
        names = ["s%d" % i for i in range(4)]
        for name in names:
            t0 = time.monotonic()
            resp, c = s.watch("/api/v1/namespaces/d/services?watch=1&timeoutSeconds=60&"
                              "resourceVersion=%d" % last)
            code, created = s.request("POST", "/api/v1/namespaces/d/services", {
                "metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}})
            assert code == 201, created
            events = read_events(resp, 100)  # until the server closes the stream
            c.close()
            assert time.monotonic() - t0 < 5, "the stream was not dropped"
            for ev in events:
                seen.append(ev["object"]["metadata"]["name"])
                last = rv(ev["object"])
        assert seen == names, seen
        # An informer (kubectl wait) survives the drops: client-go resumes from its last
        # resourceVersion. (`kubectl get -w` does not: it exits when its stream ends.)
        waiter = s.background("wait", "-n", "d", "svc/s0", "--timeout=60s",
                              "--for=jsonpath={.metadata.labels.done}=yes")

        def ended_watches():  # the server logs a request when it ends
            return sum("GET /api/v1/namespaces/d/services?" in line and "watch=true" in line
                       for line in s.tail(10 ** 6).splitlines())
        wait_for("kubectl to watch again after two drops", lambda: ended_watches() >= 2, 20)
        assert waiter.poll() is None, open(waiter.out.name).read()
        s.kubectl("label", "svc", "s0", "-n", "d", "done=yes")
        wait_for("kubectl wait to see the label", lambda: waiter.poll() is not None, 20)
        assert waiter.returncode == 0, open(waiter.out.name).read()
    finally:
        s.stop()


def _strip(obj, name, ns=None):
    o = copy.deepcopy(obj)
    m = o["metadata"]
    for f in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
              "deletionGracePeriodSeconds", "selfLink", "generation", "managedFields",
              "generateName", "finalizers", "ownerReferences"):
        m.pop(f, None)
    m["name"] = name
    if ns:
        m["namespace"] = ns
    else:
        m.pop("namespace", None)
    return o


def _fixture(name):
    with open(os.path.join(K8S, name)) as f:
        return json.load(f)


def test_fixture_objects_round_trip(root):
    s = Server(root)
    try:
        s.kubectl("create", "namespace", "fx")
        # Lease, ConfigMap, core Event, EndpointSlice: every field comes back as sent.
        for file, plural, group in [
                ("coordination.k8s.io.v1.Lease.json", "leases", "coordination.k8s.io"),
                ("core.v1.ConfigMap.json", "configmaps", ""),
                ("core.v1.Event.json", "events", ""),
                ("discovery.k8s.io.v1.EndpointSlice.json", "endpointslices",
                 "discovery.k8s.io")]:
            obj = _strip(_fixture(file), "fixture", "fx")
            s.kubectl("create", "-f", "-", input=json.dumps(obj))
            kind = plural + ("." + group if group else "")
            got = s.kubectl_json("get", kind, "fixture", "-n", "fx")
            for k, v in obj.items():
                if k != "metadata":
                    assert got[k] == v, (file, k, got[k], v)
            assert got["metadata"]["labels"] == obj["metadata"]["labels"], got["metadata"]
            assert got["metadata"]["annotations"] == obj["metadata"]["annotations"]
        # The core Event through events.k8s.io/v1: the same object under the new names, the
        # old fields as the deprecated ones.
        core = _strip(_fixture("core.v1.Event.json"), "fixture", "fx")
        got = s.kubectl_json("get", "events.events.k8s.io", "fixture", "-n", "fx")
        assert got["apiVersion"] == "events.k8s.io/v1", got
        for new, old in [("regarding", "involvedObject"), ("note", "message"),
                         ("reportingController", "reportingComponent"),
                         ("deprecatedSource", "source"),
                         ("deprecatedFirstTimestamp", "firstTimestamp"),
                         ("deprecatedLastTimestamp", "lastTimestamp"),
                         ("deprecatedCount", "count"), ("related", "related"),
                         ("reportingInstance", "reportingInstance"), ("eventTime", "eventTime"),
                         ("series", "series"), ("action", "action"), ("reason", "reason"),
                         ("type", "type")]:
            assert got[new] == core[old], (new, got[new], core[old])
        assert not {"involvedObject", "message", "source", "count"} & set(got), got
        # The events.k8s.io fixture sets what a create through events.k8s.io/v1 must leave
        # unset, an unknown type and a series of one: refused, as kube-apiserver does.
        ev = _strip(_fixture("events.k8s.io.v1.Event.json"), "fixture-v1", "fx")
        res = s.kubectl("create", "-f", "-", input=json.dumps(ev), check=False)
        assert res.returncode != 0 and 'The Event "fixture-v1" is invalid' in res.stderr, res
        for cause in ('series.count: Invalid value: "": should be at least 2',
                      'type: Invalid value: "": has invalid value: typeValue',
                      'firstTimestamp: Invalid value: "": needs to be unset',
                      'count: Invalid value: "": needs to be unset',
                      'source: Invalid value: "": needs to be unset'):
            assert cause in res.stderr, (cause, res.stderr)
        for f in ("deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
                  "deprecatedCount"):
            del ev[f]
        ev["type"] = "Normal"
        ev["series"]["count"] = 2
        s.kubectl("create", "-f", "-", input=json.dumps(ev))
        got = s.kubectl_json("get", "events.events.k8s.io", "fixture-v1", "-n", "fx")
        for k, v in ev.items():
            if k != "metadata":
                assert got[k] == v, (k, got[k], v)
        assert got["metadata"]["labels"] == ev["metadata"]["labels"], got["metadata"]
        got = s.kubectl_json("get", "events", "fixture-v1", "-n", "fx")
        assert got["involvedObject"] == ev["regarding"] and got["message"] == ev["note"], got
        assert got["reportingComponent"] == ev["reportingController"], got
        assert got["series"] == ev["series"] and got["related"] == ev["related"], got
        # Node (cluster-scoped; kubelets create it with status).
        node = _strip(_fixture("core.v1.Node.json"), "node-a")
        s.kubectl("create", "-f", "-", input=json.dumps(node))
        got = s.kubectl_json("get", "node", "node-a")
        assert got["spec"] == node["spec"] and got["status"] == node["status"], got
        # Service: the values the server validates or allocates are made valid first.
        svc = _strip(_fixture("core.v1.Service.json"), "fixture-svc", "fx")
        spec = svc["spec"]
        for f in ("clusterIP", "clusterIPs", "externalName", "healthCheckNodePort",
                  "loadBalancerIP"):
            del spec[f]
        spec.update(type="LoadBalancer", externalIPs=["192.0.2.10"], sessionAffinity="ClientIP",
                    loadBalancerSourceRanges=["192.0.2.0/24"], externalTrafficPolicy="Local",
                    ipFamilies=["IPv4"], ipFamilyPolicy="SingleStack",
                    loadBalancerClass="example.com/lb", internalTrafficPolicy="Cluster",
                    trafficDistribution="PreferClose")
        spec["ports"][0].update(protocol="TCP", nodePort=31234, targetPort="http")
        status = svc.pop("status")
        s.kubectl("create", "-f", "-", input=json.dumps(svc))
        got = s.kubectl_json("get", "svc", "fixture-svc", "-n", "fx")
        for k, v in spec.items():
            assert got["spec"][k] == v, (k, got["spec"][k], v)
        assert got["spec"]["clusterIP"].startswith("198.51.100."), got["spec"]
        assert 30000 <= got["spec"]["healthCheckNodePort"] <= 32767, got["spec"]
        # The fixture's status written through /status (PUT, as MetalLB's UpdateStatus).
        got["status"] = status
        code, body = s.request("PUT", "/api/v1/namespaces/fx/services/fixture-svc/status", got)
        assert code == 200 and body["status"] == status, (code, body)
        assert rv(body) > rv(got), body
    finally:
        s.stop()


def _micro(seconds_ago):
    t = time.time() - seconds_ago
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(
        (t % 1) * 1e6)


def _names(body):
    return sorted(i["metadata"]["name"] for i in body["items"])


def test_events_core_and_events_k8s_io_are_one_store(root):
    s = Server(root)
    try:
        s.kubectl("create", "namespace", "lb")
        s.kubectl("create", "service", "loadbalancer", "web", "-n", "lb", "--tcp=80")
        uid = s.kubectl_json("get", "svc", "web", "-n", "lb")["metadata"]["uid"]
        v1 = "/apis/events.k8s.io/v1/namespaces/lb/events"
        core = "/api/v1/namespaces/lb/events"
        code, listed = s.request("GET", core)
        assert code == 200 and listed["items"] == [], listed
        # A watch on each version sees the writes made through the other, in its own version.
        watches = [s.watch("%s?watch=1&timeoutSeconds=30&resourceVersion=%d" % (
            path, rv(listed))) for path in (core, v1)]
        # An Event as vipd's recorder (client-go's events library) writes it.
        t0, t1 = _micro(120), _micro(15)
        regarding = {"apiVersion": "v1", "kind": "Service", "namespace": "lb", "name": "web",
                     "uid": uid}
        name = "web.17f0c0ffee000000"
        event = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
                 "metadata": {"name": name, "namespace": "lb"}, "eventTime": t0,
                 "reportingController": "vipd.io/controller", "reportingInstance": "node-1",
                 "action": "Allocate", "reason": "AllocationFailed", "regarding": regarding,
                 "note": 'no available IPs in pool "public"', "type": "Warning"}
        code, created = s.request("POST", v1, event)
        assert code == 201, created
        assert created["regarding"] == regarding and created["note"] == event["note"], created
        # Go writes the deprecated struct fields even when empty.
        assert created["deprecatedSource"] == {} and created["deprecatedFirstTimestamp"] is None
        code, got = s.request("GET", core + "/" + name)
        assert code == 200 and got["apiVersion"] == "v1", got
        assert got["metadata"]["uid"] == created["metadata"]["uid"] and rv(got) == rv(created)
        assert got["involvedObject"] == regarding and got["message"] == event["note"], got
        assert got["reportingComponent"] == "vipd.io/controller", got
        assert got["reportingInstance"] == "node-1" and got["eventTime"] == t0, got
        assert got["action"] == "Allocate" and got["source"] == {}, got
        assert got["firstTimestamp"] is None and "count" not in got and "note" not in got, got
        # A repeat: the recorder merge-patches the series through events.k8s.io.
        code, patched = s.request("PATCH", v1 + "/" + name,
                                  {"series": {"count": 3, "lastObservedTime": t1}},
                                  {"Content-Type": "application/merge-patch+json"})
        assert code == 200 and patched["series"] == {"count": 3, "lastObservedTime": t1}, patched
        code, got = s.request("GET", core + "/" + name)
        assert got["series"] == {"count": 3, "lastObservedTime": t1} and rv(got) == rv(patched)
        # count is deprecatedCount (nothing derives it); the printers read the series.
        assert "count" not in got, got
        out = s.kubectl("get", "events", "-n", "lb").stdout
        assert out.split("\n")[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT",
                                              "MESSAGE"], out
        # LAST SEEN is series.lastObservedTime, FIRST SEEN the eventTime, COUNT series.count.
        row = next(line for line in out.splitlines() if "AllocationFailed" in line)
        assert re.match(r"1\ds +Warning +AllocationFailed +service/web +no available", row), out
        wide = s.kubectl("get", "events", "-n", "lb", "-o", "wide").stdout
        row = next(line for line in wide.splitlines() if "AllocationFailed" in line)
        assert re.search(r"vipd.io/controller, node-1 +no available IPs in pool \"public\" +"
                         r"2m(\d+s)? +3 +" + name, row), wide
        shown = s.kubectl("get", "events.events.k8s.io", "-n", "lb", "-o", "wide").stdout
        assert shown.splitlines()[1:] == wide.splitlines()[1:], (shown, wide)
        described = s.kubectl("describe", "svc", "web", "-n", "lb").stdout
        assert "Events:" in described and "<none>" not in described.split("Events:")[1], \
            described
        line = next(x for x in described.splitlines() if "AllocationFailed" in x)
        assert re.match(r" +Warning +AllocationFailed +1\ds \(x3 over 2m(\d+s)?\) +"
                        r"vipd.io/controller +no available IPs in pool \"public\"$", line), \
            described
        # A core Event, as an old recorder writes it, read through events.k8s.io.
        legacy = {"apiVersion": "v1", "kind": "Event",
                  "metadata": {"name": "web.legacy", "namespace": "lb"},
                  "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "lb",
                                     "name": "web"},
                  "reason": "Touched", "message": "written the old way",
                  "source": {"component": "legacy-controller", "host": "node-2"},
                  "firstTimestamp": t0[:19] + "Z", "lastTimestamp": t1[:19] + "Z", "count": 2,
                  "type": "Normal"}
        s.kubectl("create", "-f", "-", input=json.dumps(legacy))
        code, got = s.request("GET", v1 + "/web.legacy")
        assert code == 200 and got["apiVersion"] == "events.k8s.io/v1", got
        assert got["regarding"] == legacy["involvedObject"], got
        assert got["note"] == legacy["message"] and got["deprecatedSource"] == legacy["source"]
        assert got["deprecatedFirstTimestamp"] == legacy["firstTimestamp"], got
        assert got["deprecatedLastTimestamp"] == legacy["lastTimestamp"], got
        assert got["deprecatedCount"] == 2 and got["eventTime"] is None, got
        assert "reportingController" not in got and "involvedObject" not in got, got
        # kubectl describe selects by involvedObject (kind, name, namespace, uid).
        described = s.kubectl("describe", "svc", "web", "-n", "lb").stdout
        assert "Touched" not in described and "AllocationFailed" in described, described
        # Field selectors: the core labels on core, regarding.* and reportingController on
        # events.k8s.io; `source` falls back to the reporting controller.
        for path, selector, want in [
                (core, "involvedObject.kind=Service", [name]),
                (core, "involvedObject.name=web,involvedObject.uid=" + uid, [name]),
                (core, "source=vipd.io/controller", [name]),
                (core, "source=legacy-controller", ["web.legacy"]),
                (core, "reportingComponent=vipd.io/controller", [name]),
                (core, "type!=Warning", ["web.legacy"]),
                (v1, "regarding.kind=ConfigMap,regarding.name=web", ["web.legacy"]),
                (v1, "reportingController=vipd.io/controller", [name]),
                (v1, "regarding.uid=" + uid, [name])]:
            code, body = s.request("GET", path + "?fieldSelector=" + urllib.parse.quote(
                selector))
            assert code == 200 and _names(body) == want, (path, selector, body)
        code, body = s.request("GET", v1 + "?fieldSelector=involvedObject.name%3Dweb")
        assert code == 400 and "field label not supported: involvedObject.name" in \
            body["message"], body
        # One name, uid and resourceVersion: a name taken through one version is taken.
        code, body = s.request("POST", core, dict(legacy, metadata={"name": name}))
        assert code == 409 and body["message"] == 'events "%s" already exists' % name, body
        # The REST storage is the core one: errors name `events`, Invalid the core kind.
        code, body = s.request("GET", v1 + "/nothing")
        assert code == 404 and body["message"] == 'events "nothing" not found', body
        assert body["details"] == {"name": "nothing", "kind": "events"}, body
        # events.k8s.io/v1 validates strictly (and keeps most fields immutable); core does
        # not.
        bad = dict(event, metadata={"name": "bad"}, type="Odd")
        del bad["reportingController"]
        code, body = s.request("POST", v1, bad)
        assert code == 422 and body["message"].startswith('Event "bad" is invalid: ['), body
        assert {(c["field"], c["reason"]) for c in body["details"]["causes"]} >= {
            ("reportingController", "FieldValueRequired"),
            ("type", "FieldValueInvalid")}, body
        code, body = s.request("PATCH", v1 + "/" + name, {"note": "rewritten"},
                               {"Content-Type": "application/merge-patch+json"})
        assert code == 422 and body["message"] == (
            'Event "%s" is invalid: message: Invalid value: "rewritten": field is immutable'
            % name), body
        code, body = s.request("PATCH", core + "/" + name, {"message": "rewritten"},
                               {"Content-Type": "application/merge-patch+json"})
        assert code == 200 and body["message"] == "rewritten", body
        s.kubectl("delete", "events.events.k8s.io", "web.legacy", "-n", "lb")
        code, _ = s.request("GET", core + "/web.legacy")
        assert code == 404
        seen = []
        for resp, c in watches:
            seen.append(read_events(resp, 5))
            c.close()
        core_seen, v1_seen = seen
        want = [("ADDED", name), ("MODIFIED", name), ("ADDED", "web.legacy"),
                ("MODIFIED", name), ("DELETED", "web.legacy")]
        for evs in seen:
            assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == want, evs
        assert [e["object"]["metadata"]["resourceVersion"] for e in core_seen] == [
            e["object"]["metadata"]["resourceVersion"] for e in v1_seen]
        assert all(e["object"]["apiVersion"] == "v1" and "involvedObject" in e["object"]
                   for e in core_seen), core_seen
        assert all(e["object"]["apiVersion"] == "events.k8s.io/v1" and "regarding" in
                   e["object"] for e in v1_seen), v1_seen
        assert core_seen[0]["object"]["message"] == event["note"], core_seen[0]
        assert v1_seen[1]["object"]["series"]["count"] == 3, v1_seen[1]
        assert v1_seen[2]["object"]["deprecatedSource"] == legacy["source"], v1_seen[2]
        assert v1_seen[3]["object"]["note"] == "rewritten", v1_seen[3]
        # kubectl's own watch on core Events sees an events.k8s.io write.
        watcher = s.background("get", "events", "-n", "lb", "-w", "--output-watch-events")
        wait_for("the watch to start",
                 lambda: "AllocationFailed" in open(watcher.out.name).read(), 20)
        code, _ = s.request("POST", v1, dict(event, metadata={"name": "web.second"},
                                             reason="IPAllocated", type="Normal"))
        assert code == 201
        wait_for("the ADDED event", lambda: "IPAllocated" in open(watcher.out.name).read(), 20)
    finally:
        s.stop()


def test_restart_keeps_cluster_objects_and_versions(root):
    s = Server(root)
    try:
        s.kubectl("create", "namespace", "keep")
        s.kubectl("create", "configmap", "c", "-n", "keep", "--from-literal=k=v")
        s.kubectl("apply", "-f", os.path.join(CRDS, "metallb.io_ipaddresspools.yaml"))
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": "leader", "namespace": "keep"},
                 "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 15}}
        code, created = s.request("POST", "/apis/coordination.k8s.io/v1/namespaces/keep/leases",
                                  lease)
        assert code == 201, created
        # Optimistic concurrency on the Lease, as leader election uses it.
        created["spec"]["holderIdentity"] = "node-2"
        code, won = s.request("PUT", "/apis/coordination.k8s.io/v1/namespaces/keep/leases/"
                                     "leader", created)
        assert code == 200 and won["spec"]["holderIdentity"] == "node-2", won
        code, lost = s.request("PUT", "/apis/coordination.k8s.io/v1/namespaces/keep/leases/"
                                      "leader", created)
        assert code == 409 and lost["reason"] == "Conflict", lost
        assert lost["details"] == {"name": "leader", "group": "coordination.k8s.io",
                                   "kind": "leases"}, lost
        code, before = s.request("GET", "/api/v1/namespaces/keep/configmaps")
        s.stop()
        s.start()
        code, after = s.request("GET", "/api/v1/namespaces/keep/configmaps")
        assert code == 200 and [i["metadata"] for i in after["items"]] == [
            i["metadata"] for i in before["items"]], (before, after)
        assert rv(after) >= rv(before), (before, after)
        got = s.kubectl_json("get", "lease", "leader", "-n", "keep")
        assert got["metadata"]["resourceVersion"] == won["metadata"]["resourceVersion"]
        s.kubectl("get", "ipaddresspools", "-A")  # the CRD is still served
        # Resuming a watch from the current version works; older ones are 410.
        resp, c = s.watch("/api/v1/namespaces/keep/configmaps?watch=1&timeoutSeconds=20&"
                          "resourceVersion=%d" % rv(after))
        s.kubectl("label", "configmap", "c", "-n", "keep", "x=y")
        events = read_events(resp, 1)
        c.close()
        assert events and events[0]["type"] == "MODIFIED", events
        resp, c = s.watch("/api/v1/namespaces/keep/configmaps?watch=1&resourceVersion=%d"
                          % (rv(before) - 1))
        events = read_events(resp, 2)
        c.close()
        assert [e["type"] for e in events] == ["ERROR"], events
    finally:
        s.stop()


def test_bad_requests_get_status_errors_and_finalizers(root):
    s = Server(root)
    try:
        cases = [
            ("POST", "/api/v1/namespaces/default/configmaps", "{not json", 400),
            ("POST", "/api/v1/namespaces/nowhere/configmaps", {"metadata": {"name": "x"}}, 404),
            ("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20b", None, 400),
            ("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3D1", None,
             400),
            ("GET", "/api/v1/namespaces/default/nothings", None, 404),
            ("GET", "/apis/nowhere.example/v1", None, 404),
            ("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "Bad_N"}},
             422),
            ("PATCH", "/api/v1/namespaces/default/services/kubernetes", "[{}]", 415),
            ("POST", "/api/v1/namespaces/default/services",
             {"metadata": {"name": "x"}, "spec": {"ports": "80"}}, 400),
            ("POST", "/api/v1/namespaces/default/configmaps",
             {"metadata": {"name": "x", "labels": {"a": 1}}}, 400),
            ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", [1], 400),
            ("POST", "/api/v1/namespaces/default/configmaps", b"k8s\x00\x0a\x03\xff", 400),
        ]
        for method, path, body, want in cases:
            headers = {}
            if isinstance(body, bytes):
                headers["Content-Type"] = "application/vnd.kubernetes.protobuf"
            elif method == "PATCH":
                headers["Content-Type"] = "application/yaml"
            code, got = s.request(method, path, body, headers)
            assert code == want, (method, path, code, got)
            assert isinstance(got, dict) and got["kind"] == "Status" and got["code"] == want
        code, got = s.request("POST", "/api/v1/namespaces/default/services",
                              {"metadata": {"name": "x"}, "spec": "oops"})
        assert got["message"] == (
            'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal '
            'string into Go struct field Service.spec of type object'), got
        code, _ = s.request("POST", "/api/v1/namespaces/default/configmaps",
                            {"metadata": {"generateName": "gen-"}})
        assert code == 201
        code, got = s.request("POST", "/api/v1/namespaces/default/configmaps",
                              {"metadata": {"name": "kube-root-ca.crt"}})
        assert code == 409 and got["reason"] == "AlreadyExists", got
        assert got["message"] == 'configmaps "kube-root-ca.crt" already exists', got
        code, got = s.request("GET", "/api/v1/namespaces/default/configmaps/none")
        assert (code, got["message"], got["details"]) == (
            404, 'configmaps "none" not found', {"name": "none", "kind": "configmaps"}), got
        # Finalizers: delete marks, removing the last finalizer deletes.
        code, held = s.request("POST", "/api/v1/namespaces/default/configmaps", {
            "metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
        assert code == 201
        code, marked = s.request("DELETE", "/api/v1/namespaces/default/configmaps/held")
        assert code == 200 and marked["metadata"].get("deletionTimestamp"), marked
        code, still = s.request("GET", "/api/v1/namespaces/default/configmaps/held")
        assert code == 200, still
        code, _ = s.request("PATCH", "/api/v1/namespaces/default/configmaps/held",
                            '[{"op":"remove","path":"/metadata/finalizers"}]',
                            {"Content-Type": "application/json-patch+json"})
        assert code == 200
        code, _ = s.request("GET", "/api/v1/namespaces/default/configmaps/held")
        assert code == 404
        # Deleting a namespace deletes what it holds.
        s.kubectl("create", "namespace", "gone")
        s.kubectl("create", "configmap", "c", "-n", "gone")
        s.kubectl("delete", "namespace", "gone", "--timeout=20s")
        code, _ = s.request("GET", "/api/v1/namespaces/gone/configmaps/c")
        assert code == 404
        code, version = s.request("GET", "/version")
        assert code == 200 and version["gitVersion"].startswith("v1.32."), version
    finally:
        s.stop()


TESTS = [test_metallb_crds_and_configuration, test_services_create_patch_apply_watch_delete,
         test_service_allocation_rules,
         test_rbac_service_account_token_forbidden_and_can_i,
         test_pagination_and_resource_versions, test_watch_expired_bookmarks_and_resume,
         test_drop_watches_and_resume_without_relist, test_fixture_objects_round_trip,
         test_events_core_and_events_k8s_io_are_one_store,
         test_restart_keeps_cluster_objects_and_versions,
         test_bad_requests_get_status_errors_and_finalizers]


if __name__ == "__main__":
    sys.exit(run(TESTS, sys.argv[1:]))

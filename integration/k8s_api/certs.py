"""The cluster's CA, serving certificate, admin client certificate and admin.kubeconfig,
made with the openssl command and reused when already present in the data directory."""

import base64
import os
import secrets
import subprocess
import tempfile

CA_SUBJECT = "/CN=vipd-test-apiserver-ca"
ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "system:masters"


def _openssl(*args):
    res = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), res.stderr.strip()))


def _issue(d, name, subject, extensions):
    key, csr, crt = (os.path.join(d, name + ext) for ext in (".key", ".csr", ".crt"))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj", subject)
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", dir=d, delete=False) as ext:
        ext.write(extensions)
    try:
        _openssl("x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.crt"),
                 "-CAkey", os.path.join(d, "ca.key"), "-set_serial",
                 "0x" + secrets.token_hex(16), "-days", "3650", "-sha256", "-out", crt,
                 "-extfile", ext.name)
    finally:
        os.unlink(ext.name)
        os.unlink(csr)
    os.chmod(key, 0o600)


def ensure(d):
    """Creates what is missing: ca.{crt,key}, server.{crt,key}, admin.{crt,key}."""
    if not os.path.exists(os.path.join(d, "ca.crt")):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", os.path.join(d, "ca.key"), "-out",
                 os.path.join(d, "ca.crt"), "-days", "3650", "-sha256", "-subj", CA_SUBJECT,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
        os.chmod(os.path.join(d, "ca.key"), 0o600)
        for name in ("server", "admin"):
            for ext in (".crt", ".key"):
                if os.path.exists(os.path.join(d, name + ext)):
                    os.unlink(os.path.join(d, name + ext))
    if not os.path.exists(os.path.join(d, "server.crt")):
        _issue(d, "server", "/CN=kube-apiserver",
               "basicConstraints=critical,CA:FALSE\n"
               "keyUsage=critical,digitalSignature,keyEncipherment\n"
               "extendedKeyUsage=serverAuth\n"
               "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,"
               "DNS:kubernetes.default,DNS:kubernetes.default.svc,"
               "DNS:kubernetes.default.svc.cluster.local\n")
    if not os.path.exists(os.path.join(d, "admin.crt")):
        _issue(d, "admin", "/O=%s/CN=%s" % (ADMIN_GROUP, ADMIN_USER),
               "basicConstraints=critical,CA:FALSE\n"
               "keyUsage=critical,digitalSignature,keyEncipherment\n"
               "extendedKeyUsage=clientAuth\n")
    secret_path = os.path.join(d, "token-signing.key")
    if not os.path.exists(secret_path):
        with open(secret_path, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        os.chmod(secret_path, 0o600)
    token_path = os.path.join(d, "admin.token")
    if not os.path.exists(token_path):
        with open(token_path, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        os.chmod(token_path, 0o600)


def read(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read()


def _b64(d, name):
    return base64.b64encode(read(d, name).encode()).decode()


# The names the serving certificate holds besides its DNS names.
_SAN_HOSTS = ("127.0.0.1", "[::1]", "localhost")


def write_kubeconfig(d, server):
    """admin.kubeconfig: the admin client certificate, with the CA pinned (embedded). A server
    listening on another address (a lab namespace) is named `kubernetes` for TLS
    (tls-server-name), one of the certificate's names, as a cluster behind a load balancer
    is."""
    host = server.split("://", 1)[-1].rsplit(":", 1)[0]
    server_name = "" if host in _SAN_HOSTS else "\n    tls-server-name: kubernetes"
    text = """apiVersion: v1
kind: Config
clusters:
- name: vipd-test
  cluster:
    server: {server}
    certificate-authority-data: {ca}{server_name}
users:
- name: {user}
  user:
    client-certificate-data: {crt}
    client-key-data: {key}
contexts:
- name: {user}@vipd-test
  context:
    cluster: vipd-test
    user: {user}
    namespace: default
current-context: {user}@vipd-test
""".format(server=server, ca=_b64(d, "ca.crt"), server_name=server_name, user=ADMIN_USER,
           crt=_b64(d, "admin.crt"),
           key=_b64(d, "admin.key"))
    path = os.path.join(d, "admin.kubeconfig")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)

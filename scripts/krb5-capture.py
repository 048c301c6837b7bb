#!/usr/bin/env python3
"""Captures MIT Kerberos messages as test data (tests/data/kerberos).

Run inside the throwaway realm, all in one run so that the files agree with
each other (the keys of the keytabs decrypt the tickets of the messages):

    scripts/krb5-realm.sh python3 scripts/krb5-capture.py tests/data/kerberos

Two recording proxies, both on 127.0.0.1 only, stand between MIT's programs
and their peers:

  * KdcProxy, between kinit/kvno and krb5kdc, over UDP and TCP (the clients
    use UDP for these small messages); it stores each request and reply as
    raw bytes, without TCP's 4-byte length prefix;
  * GssProxy, between gss-client and gss-server, which parses the samples'
    framing (gss-misc.c's send_token: a flags byte, then the token length as
    4 bytes big-endian, then the token; a zero flags byte is not sent, so a
    reader seeing 0 takes 3 more length bytes) and stores the tokens without
    it.

The clients are pointed at KdcProxy by copies of the realm's krb5.conf whose
kdc line names the proxy's port; the -sha384 and -rc4 sets also restrict
default_tkt_enctypes and default_tgs_enctypes to one enctype. Each message
is checked (its DER tag, its error code) before it is written, and a short
summary of what was captured (etypes, error codes, ETYPE-INFO2) is printed.
"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

PASSWORD = "Passw0rd!alice"
# The message gss-client wraps (sent without a trailing NUL: gss-client
# wraps strlen(msg) bytes).
GSS_MESSAGE = "Hello from alice via gss-client"
LOOPBACK = "127.0.0.1"

# gss-sample's token flags (gss-misc.h).
TOKEN_NOOP = 1 << 0
TOKEN_CONTEXT = 1 << 1
TOKEN_DATA = 1 << 2
TOKEN_MIC = 1 << 3
TOKEN_CONTEXT_NEXT = 1 << 4
TOKEN_WRAPPED = 1 << 5
TOKEN_ENCRYPTED = 1 << 6
TOKEN_SEND_MIC = 1 << 7

# Kerberos message tags ([APPLICATION n], constructed).
AS_REQ, AS_REP, TGS_REQ, TGS_REP, KRB_ERROR = 0x6A, 0x6B, 0x6C, 0x6D, 0x7E
KDC_ERR_S_PRINCIPAL_UNKNOWN = 7
KDC_ERR_PREAUTH_FAILED = 24
KDC_ERR_PREAUTH_REQUIRED = 25
PA_ETYPE_INFO2 = 19


def recv_exact(sock, n):
    """n bytes from sock, or b"" on end of stream before all n."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


class KdcProxy:
    """Forwards UDP and TCP on one loopback port to the KDC, recording
    (protocol, request, reply) for each exchange."""

    def __init__(self, kdc_port):
        self.kdc_port = kdc_port
        self.lock = threading.Lock()
        self.exchanges = []
        # One port for both protocols.
        while True:
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind((LOOPBACK, 0))
            self.port = self.tcp.getsockname()[1]
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.udp.bind((LOOPBACK, self.port))
                break
            except OSError:
                self.tcp.close()
                self.udp.close()
        self.tcp.listen(8)
        threading.Thread(target=self.serve_udp, daemon=True).start()
        threading.Thread(target=self.serve_tcp, daemon=True).start()

    def record(self, proto, req, rep):
        with self.lock:
            self.exchanges.append((proto, req, rep))

    def take(self):
        """The exchanges recorded since the last take()."""
        with self.lock:
            out, self.exchanges = self.exchanges, []
        return out

    def serve_udp(self):
        while True:
            req, client = self.udp.recvfrom(65536)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                up.settimeout(5)
                up.sendto(req, (LOOPBACK, self.kdc_port))
                try:
                    rep = up.recv(65536)
                except socket.timeout:
                    self.record("udp", req, None)
                    continue
            self.record("udp", req, rep)
            self.udp.sendto(rep, client)

    def serve_tcp(self):
        while True:
            conn, _ = self.tcp.accept()
            threading.Thread(target=self.tcp_conn, args=(conn,), daemon=True).start()

    def tcp_conn(self, conn):
        with conn, socket.create_connection((LOOPBACK, self.kdc_port)) as up:
            while True:
                prefix = recv_exact(conn, 4)
                if not prefix:
                    return
                req = recv_exact(conn, int.from_bytes(prefix, "big"))
                up.sendall(prefix + req)
                rep_prefix = recv_exact(up, 4)
                rep = recv_exact(up, int.from_bytes(rep_prefix, "big"))
                self.record("tcp", req, rep)
                conn.sendall(rep_prefix + rep)


class GssProxy:
    """Forwards one TCP port to gss-server, recording the gss-sample frames
    as (direction, flags, token), direction "c2s" or "s2c"."""

    def __init__(self, server_port):
        self.server_port = server_port
        self.lock = threading.Lock()
        self.frames = []
        self.done = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        conn, _ = self.sock.accept()
        up = socket.create_connection((LOOPBACK, self.server_port))
        threads = [
            threading.Thread(target=self.pump, args=(conn, up, "c2s")),
            threading.Thread(target=self.pump, args=(up, conn, "s2c")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        conn.close()
        up.close()
        self.done.set()

    def pump(self, src, dst, direction):
        try:
            while True:
                flags = recv_exact(src, 1)
                if not flags:
                    break
                # send_token omits a zero flags byte; recv_token then reads
                # a 3-byte length.
                size = recv_exact(src, 3 if flags[0] == 0 else 4)
                if not size:
                    break
                token = recv_exact(src, int.from_bytes(size, "big"))
                with self.lock:
                    self.frames.append((direction, flags[0], token))
                dst.sendall(flags + size + token)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


# --- a minimal DER reader, enough to check and summarize the messages ---

def tlv(buf, i=0):
    """(tag, value, next index) of the TLV at buf[i]."""
    tag = buf[i]
    length = buf[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[i:i + n], "big")
        i += n
    return tag, buf[i:i + length], i + length


def items(buf):
    """The TLVs in a SEQUENCE's contents, as (tag, value)."""
    out, i = [], 0
    while i < len(buf):
        tag, value, i = tlv(buf, i)
        out.append((tag, value))
    return out


def fields(msg):
    """{n: inner TLV value} of a [APPLICATION x] SEQUENCE or a SEQUENCE
    whose fields are explicitly tagged [n]."""
    tag, value, _ = tlv(msg)
    if tag != 0x30:
        tag, value, _ = tlv(value)
    out = {}
    for ftag, fvalue in items(value):
        out[ftag & 0x1F] = fvalue
    return out


def integer(inner):
    return int.from_bytes(tlv(inner)[1], "big", signed=True)


def int_list(inner):
    return [int.from_bytes(v, "big", signed=True) for _, v in items(tlv(inner)[1])]


def padata(inner):
    """[(padata-type, padata-value)] of a SEQUENCE OF PA-DATA."""
    out = []
    for _, pa in items(tlv(inner)[1]):
        f = {t & 0x1F: v for t, v in items(pa)}
        out.append((integer(f[1]), tlv(f[2])[1]))
    return out


def etype_info2(value):
    """[(etype, salt, s2kparams hex)] of an ETYPE-INFO2."""
    out = []
    for _, entry in items(tlv(value)[1]):
        f = {t & 0x1F: v for t, v in items(entry)}
        salt = tlv(f[1])[1].decode() if 1 in f else None
        params = tlv(f[2])[1].hex() if 2 in f else None
        out.append((integer(f[0]), salt, params))
    return out


def describe(msg):
    tag = msg[0]
    f = fields(msg)
    if tag in (AS_REQ, TGS_REQ):
        body = fields(f[4])
        pa = [t for t, _ in padata(f[3])] if 3 in f else []
        return f"etypes {int_list(body[8])}, padata types {pa}"
    if tag in (AS_REP, TGS_REP):
        enc = fields(f[6])
        ticket_enc = fields(fields(f[5])[3])
        text = f"enc-part etype {integer(enc[0])}, ticket etype {integer(ticket_enc[0])} kvno {integer(ticket_enc[1])}"
        if 2 in f:
            pa = padata(f[2])
            text += f", padata types {[t for t, _ in pa]}"
            for t, v in pa:
                if t == PA_ETYPE_INFO2:
                    text += f", etype-info2 {etype_info2(v)}"
        return text
    if tag == KRB_ERROR:
        text = f"error-code {integer(f[6])}"
        if 12 in f:
            method_data = tlv(f[12])[1]  # OCTET STRING holding METHOD-DATA
            pa = padata(method_data)
            text += f", e-data padata types {[t for t, _ in pa]}"
            for t, v in pa:
                if t == PA_ETYPE_INFO2:
                    text += f", etype-info2 {etype_info2(v)}"
        return text
    return f"tag {tag:#x}"


def error_code(msg):
    return integer(fields(msg)[6]) if msg and msg[0] == KRB_ERROR else None


# --- the capture ---

def krb5_conf(base, kdc_port, proxy_port, enctype):
    """The realm's krb5.conf pointed at the proxy, optionally restricted to
    one enctype."""
    text = base.replace(f"kdc = 127.0.0.1:{kdc_port}", f"kdc = 127.0.0.1:{proxy_port}")
    assert text != base, "kdc line not found in krb5.conf"
    if enctype:
        text = text.replace(
            "[libdefaults]\n",
            f"[libdefaults]\n default_tkt_enctypes = {enctype}\n default_tgs_enctypes = {enctype}\n",
            1,
        )
    return text


def run(argv, env, stdin=None, expect_ok=True):
    p = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=60)
    if expect_ok and p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    if not expect_ok and p.returncode == 0:
        sys.exit(f"{' '.join(argv)} succeeded but should have failed")
    return p


def check(name, msg, tag, code=None):
    if not msg or msg[0] != tag:
        sys.exit(f"{name}: expected tag {tag:#x}, got {msg[:1].hex() if msg else None}")
    if code is not None and error_code(msg) != code:
        sys.exit(f"{name}: expected error {code}, got {error_code(msg)}")


def tcp_listening(port):
    """Whether some socket listens on TCP port (from /proc, so without
    connecting: gss-server -once would count a probe as its one client)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "0A" and int(cols[1].split(":")[1], 16) == port:
                        return True
        except FileNotFoundError:
            pass
    return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/krb5-realm.sh python3 scripts/krb5-capture.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    realm_dir = os.environ["OPENSSPI_REALM_DIR"]
    kdc_port = int(os.environ["OPENSSPI_KDC_PORT"])
    with open(os.environ["KRB5_CONFIG"]) as f:
        base = f.read()
    proxy = KdcProxy(kdc_port)
    files = {}

    def save(name, data):
        files[name] = data
        print(f"{name:32} {len(data):5} B  {describe(data) if name.endswith('.der') and data[0] != 0x60 else ''}")

    main_env = None
    for suffix, enctype in (("", None), ("-sha384", "aes256-cts-hmac-sha384-192"), ("-rc4", "rc4-hmac")):
        conf = os.path.join(realm_dir, f"capture{suffix or '-default'}.conf")
        with open(conf, "w") as f:
            f.write(krb5_conf(base, kdc_port, proxy.port, enctype))
        env = dict(os.environ, KRB5_CONFIG=conf,
                   KRB5CCNAME=f"FILE:{realm_dir}/ccache{suffix or '-default'}")
        proxy.take()
        run(["kinit", "alice"], env, stdin=PASSWORD + "\n")
        ex = proxy.take()
        if len(ex) != 2:
            sys.exit(f"kinit{suffix}: expected 2 KDC exchanges, saw {len(ex)}")
        (_, req1, err), (_, req2, rep) = ex
        check("as-req-1", req1, AS_REQ)
        check("krb-error-preauth", err, KRB_ERROR, KDC_ERR_PREAUTH_REQUIRED)
        check("as-req-2", req2, AS_REQ)
        check("as-rep", rep, AS_REP)
        save(f"as-req-1{suffix}.der", req1)
        save(f"krb-error-preauth{suffix}.der", err)
        save(f"as-req-2{suffix}.der", req2)
        save(f"as-rep{suffix}.der", rep)
        run(["kvno", "host/localhost"], env)
        ex = proxy.take()
        if len(ex) != 1:
            sys.exit(f"kvno{suffix}: expected 1 KDC exchange, saw {len(ex)}")
        (_, treq, trep), = ex
        check("tgs-req", treq, TGS_REQ)
        check("tgs-rep", trep, TGS_REP)
        save(f"tgs-req{suffix}.der", treq)
        save(f"tgs-rep{suffix}.der", trep)
        if suffix == "":
            main_env = env
            files["krb5.conf"] = krb5_conf(base, kdc_port, proxy.port, None).encode()
            with open(f"{realm_dir}/ccache-default", "rb") as f:
                files["ccache-v4"] = f.read()

    # Errors, with the default set's configuration.
    bad_env = dict(main_env, KRB5CCNAME=f"FILE:{realm_dir}/ccache-bad")
    run(["kinit", "alice"], bad_env, stdin="not-the-password\n", expect_ok=False)
    replies = [rep for _, _, rep in proxy.take() if error_code(rep) == KDC_ERR_PREAUTH_FAILED]
    if len(replies) != 1:
        sys.exit(f"kinit with a wrong password: expected one KDC_ERR_PREAUTH_FAILED, saw {len(replies)}")
    save("krb-error-wrong-password.der", replies[0])
    run(["kvno", "unknown/localhost"], main_env, expect_ok=False)
    # MIT asks twice: with the canonicalize option ("referrals on"), then
    # without; both get the same error. The first reply is kept.
    replies = [rep for _, _, rep in proxy.take() if error_code(rep) == KDC_ERR_S_PRINCIPAL_UNKNOWN]
    if not replies:
        sys.exit("kvno unknown/localhost: no KDC_ERR_S_PRINCIPAL_UNKNOWN seen")
    save("krb-error-unknown-server.der", replies[0])

    # gss-client to gss-server through GssProxy, with the default set's
    # ccache (alice's TGT and host/localhost ticket).
    server_port = free_port()
    keytab = f"{realm_dir}/service.keytab"
    with open(f"{realm_dir}/gss-server.log", "w") as log:
        server = subprocess.Popen(
            ["gss-server", "-port", str(server_port), "-once", "-keytab", keytab, "host@localhost"],
            env=main_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 5
        while not tcp_listening(server_port):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("gss-server did not start listening")
            time.sleep(0.05)
        gss = GssProxy(server_port)
        run(["gss-client", "-port", str(gss.port), "localhost", "host@localhost", GSS_MESSAGE], main_env)
        if not gss.done.wait(10):
            sys.exit("the gss-client connection did not end")
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if proxy.take():
        sys.exit("gss-client unexpectedly contacted the KDC")
    frames = [(d, fl) for d, fl, _ in gss.frames]
    expected = [
        ("c2s", TOKEN_NOOP | TOKEN_CONTEXT_NEXT),
        ("c2s", TOKEN_CONTEXT),
        ("s2c", TOKEN_CONTEXT),
        ("c2s", TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC),
        ("s2c", TOKEN_MIC),
        ("c2s", TOKEN_NOOP),
    ]
    if frames != expected:
        sys.exit(f"unexpected gss-sample frames: {frames}")
    tokens = [t for _, _, t in gss.frames]
    krb5_oid = bytes.fromhex("06092a864886f712010202")
    for name, token, tok_id in (("gss-ap-req.der", tokens[1], "0100"), ("gss-ap-rep.der", tokens[2], "0200")):
        _, inner, _ = tlv(token)
        if token[0] != 0x60 or not inner.startswith(krb5_oid + bytes.fromhex(tok_id)):
            sys.exit(f"{name}: not a krb5 GSS token with TOK_ID {tok_id}")
        save(name, token)
    files["gss-wrap-sealed.bin"] = tokens[3]
    files["gss-mic.bin"] = tokens[4]
    print(f"gss-wrap-sealed.bin {len(tokens[3])} B (header {tokens[3][:16].hex()}), "
          f"gss-mic.bin {len(tokens[4])} B (header {tokens[4][:16].hex()})")

    for name in ("service.keytab", "alice.keytab"):
        with open(f"{realm_dir}/{name}", "rb") as f:
            files[name] = f.read()
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files to {out}")


if __name__ == "__main__":
    main()

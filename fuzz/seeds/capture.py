"""Captures real tokens as seed corpora for the fuzz targets, from
independent implementations and from opensspi itself:

- the MS-NLMP 4.2.4 example (NTLMv2), assembled from the specification's
  values;
- pyspnego's pure-Python NTLM and SPNEGO, both roles;
- MIT's gss-client and gss-server with gss-ntlmssp, talking to each other
  through a relay here (raw NTLM and SPNEGO);
- sspilib with the provider its wheel bundles, when it loads;
- opensspi (NTLM and Negotiate, several flag sets): tokens, and exported
  contexts for import_context.

Writes each seed as fuzz/corpus/<target>/<sha1>. Run by scripts/fuzz.sh
seeds (which then minimises the corpora); needs the interop virtualenv and
build/stage.
"""

import ctypes
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "interop"))

import spnego  # noqa: E402

import sspi  # noqa: E402
from common import DOMAIN, PASSWORD, USER, make_user_file  # noqa: E402

CORPUS = os.path.join(ROOT, "fuzz", "corpus")
COUNTS = {}


def save(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
    COUNTS[target] = COUNTS.get(target, 0) + 1


def token(data):
    """A handshake token: raw NTLM to ntlm_messages, SPNEGO to spnego_tokens."""
    if data.startswith(b"NTLMSSP\0"):
        save("ntlm_messages", data)
    elif data:
        save("spnego_tokens", data)


def ms_nlmp_example():
    """MS-NLMP 4.2.4: the CHALLENGE and AUTHENTICATE of the NTLMv2 example."""
    def utf16(s):
        return s.encode("utf-16-le")

    def pair(av_id, value):
        return struct.pack("<HH", av_id, len(value)) + value

    flags = 0xE28A8233
    info = pair(2, utf16("Domain")) + pair(1, utf16("Server")) + pair(0, b"")
    name = utf16("Domain")
    head = 56
    challenge = (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(name), len(name), head)
                 + struct.pack("<I", flags) + bytes.fromhex("0123456789abcdef") + bytes(8)
                 + struct.pack("<HHI", len(info), len(info), head + len(name))
                 + bytes.fromhex("0601b01d0000000f") + name + info)
    token(challenge)
    blob = bytes.fromhex("0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000") + info[:-4] \
        + bytes(4) + bytes(4)
    nt = bytes.fromhex("68cd0ab851e51c96aabc927bebef6a1c") + blob
    lm = bytes.fromhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    fields = [lm, nt, utf16("Domain"), utf16("User"), utf16("COMPUTER"),
              bytes.fromhex("c5dad2544fc9799094ce1ce90bc9d03e")]
    offset = 88
    descs = b""
    payload = b""
    order = [2, 3, 4, 0, 1, 5]
    at = {}
    for i in order:
        at[i] = offset + len(payload)
        payload += fields[i]
    for i in range(6):
        descs += struct.pack("<HHI", len(fields[i]), len(fields[i]), at[i])
    authenticate = (b"NTLMSSP\0" + struct.pack("<I", 3) + descs + struct.pack("<I", flags)
                    + bytes.fromhex("0601b01d0000000f") + bytes(16) + payload)
    token(authenticate)
    negotiate = b"NTLMSSP\0" + struct.pack("<I", 1) + struct.pack("<I", flags) + bytes(16) \
        + bytes.fromhex("0601b01d0000000f")
    token(negotiate)


def handshake(client_step, server_step):
    """Runs a handshake, saving every token."""
    t = client_step(None)
    while t:
        token(t)
        t = server_step(t)
        if t:
            token(t)
            t = client_step(t)


def pyspnego():
    for protocol in ("ntlm", "negotiate"):
        c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="server", service="HTTP", protocol=protocol,
                          options=spnego.NegotiateOptions.use_ntlm if protocol == "ntlm"
                          else spnego.NegotiateOptions.use_negotiate)
        s = spnego.server(protocol=protocol, options=spnego.NegotiateOptions.use_ntlm if protocol == "ntlm"
                          else spnego.NegotiateOptions.use_negotiate)
        handshake(c.step, s.step)


def frame(flags, data):
    return struct.pack(">BI", flags, len(data)) + data


def read_frame(sock):
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        if not chunk:
            return None
        head += chunk
    flags, length = struct.unpack(">BI", head)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return flags, body


def gss_ntlmssp():
    """gss-client to gss-server through a relay that records the context
    tokens (flag TOKEN_CONTEXT, 2) of both directions."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    empty = os.path.join(CORPUS, ".krb5.conf")
    open(empty, "w").close()
    env.update(KRB5_CONFIG=empty, KRB5_TRACE="/dev/null")
    for mech in (["-spnego"], ["-mech", "{ 1 3 6 1 4 1 311 2 2 10 }"]):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        server_port = probe.getsockname()[1]
        probe.close()
        server = subprocess.Popen(["gss-server", "-port", str(server_port), "-once", "host@localhost"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        relay = socket.socket()
        relay.bind(("127.0.0.1", 0))
        relay.listen(1)
        relay.settimeout(10)
        client = None
        try:
            threading.Event().wait(0.5)
            client = subprocess.Popen(["gss-client", "-port", str(relay.getsockname()[1]), "-q"] + mech
                                      + ["-user", "%s\\%s" % (DOMAIN, USER), "-pass", PASSWORD,
                                         "127.0.0.1", "host@localhost", "hello"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            down, _ = relay.accept()
            down.settimeout(10)
            up = socket.create_connection(("127.0.0.1", server_port), timeout=10)

            def pump(src, dst):
                while True:
                    try:
                        f = read_frame(src)
                    except OSError:
                        f = None
                    if f is None:
                        dst.close()
                        return
                    if f[0] & 2:
                        token(f[1])
                    dst.sendall(frame(*f))

            threads = [threading.Thread(target=pump, args=(down, up)), threading.Thread(target=pump, args=(up, down))]
            for t in threads:
                t.daemon = True
                t.start()
            client.wait(timeout=20)
        except Exception as e:  # noqa: BLE001 - a missing peer only loses seeds
            print("gss-ntlmssp capture failed:", e, file=sys.stderr)
        finally:
            for p in (client, server):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
            relay.close()
    os.unlink(empty)


def sspilib_bundled():
    try:
        import sspilib
    except ImportError:
        print("sspilib not installed: no sspilib seeds", file=sys.stderr)
        return
    try:
        cred = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM", usage="initiate")
        scred = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM", usage="accept")
        c = sspilib.ClientSecurityContext(cred, "HTTP/server.example")
        s = sspilib.ServerSecurityContext(scred)
        t = c.step()
        while t:
            token(t)
            t = s.step(t)
            if t:
                token(t)
                t = c.step(t)
    except Exception as e:  # noqa: BLE001 - the bundled provider may refuse
        print("sspilib capture stopped:", e, file=sys.stderr)


def export(lib, ctx):
    buf = sspi.SecBuffer(0, 0, None)
    status = lib.lib.ExportSecurityContext(ctypes.byref(ctx.handle), 0, ctypes.byref(buf), None)
    if status != 0:
        raise RuntimeError("ExportSecurityContext: %x" % status)
    blob = ctypes.string_at(buf.pvBuffer, buf.cbBuffer)
    lib.t.FreeContextBuffer(buf.pvBuffer)
    return blob


def opensspi():
    lib = sspi.Library()
    for package, which in (("NTLM", 0), ("Negotiate", 1)):
        for cflags, sflags in ((sspi.ISC_FLAGS, sspi.ASC_FLAGS), (0, 0), (sspi.ISC_REQ_INTEGRITY, 0)):
            ccred = lib.credentials(package, sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
            scred = lib.credentials(package, sspi.SECPKG_CRED_INBOUND)
            c = sspi.Context(ccred, True, flags=cflags)
            s = sspi.Context(scred, False, flags=sflags)
            handshake(c.step, s.step)
            for ctx in (c, s):
                save("import_context", bytes([which]) + export(lib, ctx))


def user_files():
    save("ntlm_user_file", ("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD)).encode())
    save("ntlm_user_file", b"# comment\n\n:anyone:Secret1\nDOMAIN:user:pass:with:colons\r\n")
    save("ntlm_user_file", b"alice:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:"
                           b"A4F49C406510BDCAB6824EE7C30FD852:[U          ]:LCT-5F0A1B2C:\n"
                           b"bob:1001:NO PASSWORDXXXXXXXXXXXXXXXXXXXXX:NO PASSWORDXXXXXXXXXXXXXXXXXXXXX"
                           b":[DU         ]:LCT-00000000:\n")


def main():
    make_user_file()
    ms_nlmp_example()
    pyspnego()
    gss_ntlmssp()
    sspilib_bundled()
    opensspi()
    user_files()
    for target, n in sorted(COUNTS.items()):
        print("%-16s %d seeds captured" % (target, n))


if __name__ == "__main__":
    main()

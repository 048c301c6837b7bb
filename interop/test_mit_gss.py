"""Interop with MIT Kerberos' GSS-API and the gss-ntlmssp mechanism, through
MIT's own sample programs (gss-client and gss-server, Debian's
krb5-gss-samples): raw NTLM and SPNEGO, opensspi's initiator against
gss-server and gss-client against opensspi's acceptor.

Each exchange authenticates, then the client seals a message three times
(gss_wrap, or EncryptMessage) and the server answers each with a signature
of it (gss_get_mic, or MakeSignature) that the client checks. MIT's client
asks for integrity but not confidentiality, so it seals with signing alone
negotiated. A wrong password is refused on each side.

gss-ntlmssp's initiator sends an NTLM MIC only when SPNEGO asks it to, so
its raw NTLM AUTHENTICATE has none: our acceptor refuses it by default (it
requires the MIC whenever the client returns the CHALLENGE's timestamp) and
accepts it with OPENSSPI_NTLM_MIC=optional, Windows' lenient policy.

gss-server checks passwords against NTLM_USER_FILE, as our default
acceptor credential does; KRB5_CONFIG points at an empty file. The
samples frame every token with a flags byte and a 4-byte big-endian
length. Every peer process is started here, on loopback, and killed by PID
whatever the outcome.
"""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import sspi
from common import DOMAIN, PASSWORD, USER, make_user_file

# The samples' token flags (src/appl/gss-sample/gss-misc.h).
TOKEN_NOOP = 1 << 0
TOKEN_CONTEXT = 1 << 1
TOKEN_DATA = 1 << 2
TOKEN_MIC = 1 << 3
TOKEN_CONTEXT_NEXT = 1 << 4
TOKEN_WRAPPED = 1 << 5
TOKEN_ENCRYPTED = 1 << 6
TOKEN_SEND_MIC = 1 << 7

NTLM_MECH = "{ 1 3 6 1 4 1 311 2 2 10 }"
SERVICE = "host@localhost"
PRINCIPAL = "%s\\%s" % (DOMAIN, USER)
TIMEOUT = 15
MESSAGES = 3


def setUpModule():
    global LIB, USER_FILE, KRB5_CONF
    for program in ("gss-client", "gss-server"):
        if shutil.which(program) is None:
            raise RuntimeError("%s is missing: install krb5-gss-samples and gss-ntlmssp" % program)
    if not os.path.exists("/etc/gss/mech.d/mech.ntlmssp.conf"):
        raise RuntimeError("gss-ntlmssp is not registered with MIT's GSS-API: install gss-ntlmssp")
    LIB = sspi.Library()
    USER_FILE = make_user_file()
    fd, KRB5_CONF = tempfile.mkstemp(prefix="opensspi-krb5-")
    os.close(fd)


def tearDownModule():
    os.unlink(USER_FILE)
    os.unlink(KRB5_CONF)


def peer_env():
    env = dict(os.environ)
    env.update(NTLM_USER_FILE=USER_FILE, KRB5_CONFIG=KRB5_CONF, KRB5_TRACE="/dev/null")
    env.pop("LD_PRELOAD", None)
    return env


def send_token(sock, flags, data):
    sock.sendall(struct.pack(">BI", flags, len(data)) + data)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the peer closed the connection")
        data += chunk
    return data


def recv_token(sock):
    flags, length = struct.unpack(">BI", recv_exact(sock, 5))
    return flags, recv_exact(sock, length)


class Peer:
    """A sample program, stopped by PID when the test ends."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(args, env=env or peer_env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.output = ""

    def finish(self):
        """Waits for the program (killing it after TIMEOUT); returns its exit status."""
        try:
            out, _ = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self.output = out.decode(errors="replace")
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, peer):
    """Connects to gss-server once it listens (it serves one connection)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            sock.settimeout(TIMEOUT)
            return sock
        except ConnectionRefusedError:
            if peer.proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def initiate(test, sock, ctx):
    """Our initiator's side of a gss-server's context loop on `sock`:
    tokens both ways until our context is complete."""
    send_token(sock, TOKEN_NOOP | TOKEN_CONTEXT_NEXT, b"")
    token = ctx.step()
    while True:
        if token:
            send_token(sock, TOKEN_CONTEXT, token)
        if ctx.complete:
            return
        kind, token = recv_token(sock)
        test.assertEqual(kind, TOKEN_CONTEXT)
        token = ctx.step(token)


def accept(test, conn, ctx):
    """Our acceptor's side of a gss-client's context loop on `conn`: the
    client's opening, then tokens both ways until our context is complete
    (an SspiError from our acceptor goes to the caller)."""
    kind, _ = recv_token(conn)
    test.assertEqual(kind, TOKEN_NOOP | TOKEN_CONTEXT_NEXT)
    while not ctx.complete:
        kind, token = recv_token(conn)
        test.assertEqual(kind, TOKEN_CONTEXT)
        answer = ctx.step(token)
        if answer:
            send_token(conn, TOKEN_CONTEXT, answer)


def gss_client(test, args, env, msg):
    """gss-client with `args` (and `env`, by default `peer_env()`)
    connecting to a loopback listener here for host@localhost, sending
    `msg`: (its Peer, the accepted connection)."""
    listener = socket.socket()
    test.addCleanup(listener.close)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    port = listener.getsockname()[1]
    peer = Peer(["gss-client", "-port", str(port)] + args + ["-mcount", str(MESSAGES), "127.0.0.1",
                 SERVICE, msg.decode()], env=env)
    test.addCleanup(peer.stop)
    conn, _ = listener.accept()
    test.addCleanup(conn.close)
    conn.settimeout(TIMEOUT)
    return peer, conn


class OurClientTheirServer(unittest.TestCase):
    """opensspi's initiator against gss-server."""

    def start(self, package, password=PASSWORD, flags=None):
        """A fresh gss-server, connected: (its Peer, the socket, our
        context, not yet started)."""
        port = free_port()
        peer = Peer(["gss-server", "-port", str(port), "-once", SERVICE])
        self.addCleanup(peer.stop)
        sock = connect(port, peer)
        self.addCleanup(sock.close)
        cred = LIB.credentials(package, sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, password)
        return peer, sock, sspi.Context(cred, initiator=True, target="host/localhost", flags=flags)

    def exchange(self, package, password=PASSWORD, flags=None):
        """Authenticates to a fresh gss-server, then sends sealed messages.
        Returns (our context, the error that stopped us or None, the
        server's exit status, its output)."""
        peer, sock, ctx = self.start(package, password, flags)
        try:
            initiate(self, sock, ctx)
            for i in range(MESSAGES):
                msg = b"sealed for gss-server %d" % i
                wrapped = ctx.wrap(msg)
                self.assertNotIn(msg, wrapped)
                send_token(sock, TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC, wrapped)
                kind, mic = recv_token(sock)
                self.assertEqual(kind, TOKEN_MIC)
                ctx.verify(msg, mic)
            send_token(sock, TOKEN_NOOP, b"")
        except (ConnectionError, socket.timeout, sspi.SspiError) as e:
            status = peer.finish()
            return ctx, e, status, peer.output
        status = peer.finish()
        return ctx, None, status, peer.output

    def check_accepted(self, package, flags=None):
        ctx, error, status, output = self.exchange(package, flags=flags)
        self.assertIsNone(error, output)
        self.assertEqual(status, 0, output)
        self.assertIn('Accepted connection: "%s"' % PRINCIPAL, output)
        self.assertTrue(ctx.complete)
        if package == "Negotiate":
            self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))

    def test_spnego(self):
        self.check_accepted("Negotiate")

    def test_spnego_with_integrity_only(self):
        self.check_accepted("Negotiate", flags=sspi.ISC_REQ_INTEGRITY)

    def test_raw_ntlm(self):
        self.check_accepted("NTLM")

    def test_raw_ntlm_with_integrity_only(self):
        self.check_accepted("NTLM", flags=sspi.ISC_REQ_INTEGRITY)

    def test_no_flags(self):
        # A caller that asks for nothing: no signing, no key exchange, no
        # mechListMIC (Windows' sequence: the initiator is done at once).
        # MIT's acceptor still sends SPNEGO's accept-completed, which the
        # complete initiator takes.
        for package in ("Negotiate", "NTLM"):
            with self.subTest(package=package):
                peer, sock, ctx = self.start(package, flags=0)
                send_token(sock, TOKEN_NOOP | TOKEN_CONTEXT_NEXT, b"")
                send_token(sock, TOKEN_CONTEXT, ctx.step())
                kind, token = recv_token(sock)
                last = ctx.step(token)
                self.assertTrue(ctx.complete)
                send_token(sock, TOKEN_CONTEXT, last)
                if package == "Negotiate":
                    kind, token = recv_token(sock)
                    self.assertEqual((kind, token), (TOKEN_CONTEXT, bytes.fromhex("a1073005a0030a0100")))
                    self.assertEqual(ctx.step(token), b"")
                send_token(sock, TOKEN_NOOP, b"")
                self.assertEqual(peer.finish(), 0, peer.output)
                self.assertIn('Accepted connection: "%s"' % PRINCIPAL, peer.output)

    def test_wrong_password_refused_by_their_server(self):
        for package in ("Negotiate", "NTLM"):
            with self.subTest(package=package):
                ctx, error, status, output = self.exchange(package, password="wrong")
                self.assertIsNotNone(error, output)
                self.assertNotIn("Accepted connection", output)
                self.assertIn("accepting context", output)
                if package == "Negotiate":
                    # SPNEGO's initiator waits for the acceptor's mechListMIC,
                    # so it never completes: it gets MIT's reject, or the
                    # connection closes.
                    self.assertFalse(ctx.complete)


class TheirClientOurServer(unittest.TestCase):
    """gss-client against opensspi's acceptor (default credentials: the
    accounts of NTLM_USER_FILE)."""

    def exchange(self, mech_args, password=PASSWORD, package=None, explicit=True):
        """Serves one gss-client connection with our `package` (by default
        Negotiate for -spnego, NTLM otherwise); gss-client logs on with
        -user/-pass when `explicit`, else with the account of
        NTLM_USER_FILE. Returns (our context or the SspiError our acceptor
        raised, gss-client's exit status, its output)."""
        msg = "sealed for opensspi"
        logon = ["-user", PRINCIPAL, "-pass", password] if explicit else []
        peer, conn = gss_client(self, ["-q"] + mech_args + logon, None, msg.encode())
        package = package or ("Negotiate" if "-spnego" in mech_args else "NTLM")
        cred = LIB.credentials(package, sspi.SECPKG_CRED_INBOUND)
        ctx = sspi.Context(cred, initiator=False)
        try:
            accept(self, conn, ctx)
        except sspi.SspiError as e:
            if e.token:
                send_token(conn, TOKEN_CONTEXT, e.token)
            conn.close()
            return e, peer.finish(), peer.output
        for _ in range(MESSAGES):
            kind, wrapped = recv_token(conn)
            self.assertEqual(kind, TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC)
            self.assertNotIn(msg.encode(), wrapped)
            self.assertEqual(ctx.unwrap(wrapped), msg.encode())
            send_token(conn, TOKEN_MIC, ctx.sign(msg.encode()))
        kind, _ = recv_token(conn)
        self.assertEqual(kind, TOKEN_NOOP)
        return ctx, peer.finish(), peer.output

    def check_accepted(self, mech_args, package=None, explicit=True):
        ctx, status, output = self.exchange(mech_args, package=package, explicit=explicit)
        self.assertIsInstance(ctx, sspi.Context, output)
        self.assertEqual(status, 0, output)
        self.assertTrue(ctx.complete)
        self.assertEqual(ctx.user_name(), PRINCIPAL)
        return ctx

    def test_spnego(self):
        ctx = self.check_accepted(["-spnego"])
        self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))

    def lenient(self):
        """Accept clients without an NTLM MIC for the rest of the test."""
        os.environ["OPENSSPI_NTLM_MIC"] = "optional"
        self.addCleanup(os.environ.pop, "OPENSSPI_NTLM_MIC", None)

    def test_raw_ntlm_without_mic_is_refused_by_default(self):
        for package in ("NTLM", "Negotiate"):
            with self.subTest(package=package):
                error, status, output = self.exchange(["-mech", NTLM_MECH], package=package)
                self.assertIsInstance(error, sspi.SspiError, output)
                self.assertEqual(error.status, sspi.SEC_E_LOGON_DENIED)
                self.assertNotEqual(status, 0, output)

    def test_raw_ntlm(self):
        self.lenient()
        self.check_accepted(["-mech", NTLM_MECH])

    def test_their_default_credentials(self):
        # gss-ntlmssp's initiator takes its account from NTLM_USER_FILE too.
        self.check_accepted(["-spnego"], explicit=False)
        self.lenient()
        self.check_accepted(["-mech", NTLM_MECH], explicit=False)

    def test_raw_ntlm_to_our_negotiate(self):
        # Windows' Negotiate takes raw NTLM; so does ours.
        self.lenient()
        ctx = self.check_accepted(["-mech", NTLM_MECH], package="Negotiate")
        self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))

    def test_wrong_password_refused_by_our_server(self):
        for args in (["-spnego"], ["-mech", NTLM_MECH]):
            with self.subTest(args=args):
                error, status, output = self.exchange(args, password="wrong")
                self.assertIsInstance(error, sspi.SspiError, output)
                self.assertEqual(error.status, sspi.SEC_E_LOGON_DENIED)
                self.assertNotEqual(status, 0, output)


if __name__ == "__main__":
    unittest.main(verbosity=2)

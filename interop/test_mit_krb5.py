"""Kerberos interop with MIT: opensspi's "Kerberos" package, and its
"Negotiate" choosing Kerberos (or falling back to NTLM, which MIT speaks
through gss-ntlmssp), against MIT's gss-server and gss-client
(krb5-gss-samples), with tickets from a real MIT KDC. Run inside scripts/krb5-realm.sh, which makes the throwaway realm
OPENSSPI.TEST (alice's password, the service keytab of host/localhost)
and sets KRB5_CONFIG, KRB5_KTNAME and KRB5CCNAME.

Each exchange authenticates with mutual authentication, then the client
seals three messages (gss_wrap, or EncryptMessage) and the server answers
each with a MIC of it (gss_get_mic, or MakeSignature) that the client
checks. Every peer process is started here, on loopback, and killed by PID
whatever the outcome.
"""

import os
import re
import socket
import subprocess
import unittest

import sspi
from test_mit_gss import (MESSAGES, TIMEOUT, TOKEN_CONTEXT, TOKEN_CONTEXT_NEXT, TOKEN_DATA, TOKEN_ENCRYPTED,
                          TOKEN_MIC, TOKEN_NOOP, TOKEN_SEND_MIC, TOKEN_WRAPPED, Peer, connect, free_port,
                          accept, gss_client, initiate, recv_token, send_token)

REALM = "OPENSSPI.TEST"
USER, PASSWORD = "alice", "Passw0rd!alice"
PRINCIPAL = "alice@" + REALM
FLAGS = (sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_INTEGRITY
         | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT)
# The enctypes forced in turn, by krb5.conf's names (rc4-hmac's tokens are
# RFC 4757's, the others' RFC 4121's).
ENCTYPES = {"aes256-cts-hmac-sha1-96": 18, "aes128-cts-hmac-sha1-96": 17, "aes128-cts-hmac-sha256-128": 19,
            "aes256-cts-hmac-sha384-192": 20, "rc4-hmac": 23}


def setUpModule():
    global LIB, DIR, KEYTAB, USER_FILE
    DIR = os.environ.get("OPENSSPI_REALM_DIR")
    if not DIR:
        raise RuntimeError("run inside scripts/krb5-realm.sh")
    KEYTAB = os.path.join(DIR, "service.keytab")
    LIB = sspi.Library()
    # The account gss-ntlmssp (in MIT's processes) and our NTLM acceptor
    # check NTLM passwords against.
    USER_FILE = os.path.join(DIR, "ntlm-users")
    with open(USER_FILE, "w") as f:
        f.write("%s:%s:%s\n" % (REALM, USER, PASSWORD))


def peer_env(**extra):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(extra)
    return env


def kinit():
    subprocess.run(["kinit", USER], input=PASSWORD.encode(), env=peer_env(), check=True,
                   stdout=subprocess.DEVNULL, timeout=TIMEOUT)


def forced_conf(enctype):
    """A krb5.conf copy whose clients ask only for `enctype`."""
    path = os.path.join(DIR, "krb5-%s.conf" % enctype)
    with open(os.environ["KRB5_CONFIG"]) as f:
        text = f.read()
    text = text.replace("[libdefaults]", "[libdefaults]\n default_tkt_enctypes = %s\n default_tgs_enctypes = %s"
                        % (enctype, enctype), 1)
    with open(path, "w") as f:
        f.write(text)
    return path


class OurClientTheirServer(unittest.TestCase):
    """opensspi's initiator against gss-server with the service keytab."""

    def exchange(self, cred):
        port = free_port()
        peer = Peer(["gss-server", "-port", str(port), "-once", "-keytab", KEYTAB, "host@localhost"],
                    env=peer_env())
        self.addCleanup(peer.stop)
        sock = connect(port, peer)
        self.addCleanup(sock.close)
        ctx = sspi.Context(cred, initiator=True, target="host/localhost", flags=FLAGS)
        send_token(sock, TOKEN_NOOP | TOKEN_CONTEXT_NEXT, b"")
        token = ctx.step()
        self.assertEqual(token[:1], b"\x60")
        send_token(sock, TOKEN_CONTEXT, token)
        self.assertFalse(ctx.complete)
        kind, token = recv_token(sock)
        self.assertEqual(kind, TOKEN_CONTEXT)
        self.assertEqual(ctx.step(token), b"")
        self.assertTrue(ctx.complete)
        seal_and_check(self, sock, ctx, b"sealed by opensspi for gss-server", altered=True)
        self.assertEqual(peer.finish(), 0, peer.output)
        self.assertIn('Accepted connection: "%s"' % PRINCIPAL, peer.output)
        self.assertIn("sealed by opensspi for gss-server 2", peer.output)
        return ctx

    def test_password(self):
        cred = LIB.credentials("Kerberos", sspi.SECPKG_CRED_OUTBOUND, USER, REALM, PASSWORD)
        ctx = self.exchange(cred)
        self.assertEqual(ctx.user_name(), PRINCIPAL)

    def test_kinit_then_null_credentials(self):
        kinit()
        cred = LIB.credentials("Kerberos", sspi.SECPKG_CRED_OUTBOUND)
        self.exchange(cred)

    def test_every_enctype(self):
        for enctype in ENCTYPES:
            with self.subTest(enctype=enctype):
                os.environ["KRB5_CONFIG"], saved = forced_conf(enctype), os.environ["KRB5_CONFIG"]
                try:
                    cred = LIB.credentials("Kerberos", sspi.SECPKG_CRED_OUTBOUND, USER, REALM, PASSWORD)
                    ctx = self.exchange(cred)
                    self.assertEqual(ctx.encrypt_algorithm(), ENCTYPES[enctype])
                finally:
                    os.environ["KRB5_CONFIG"] = saved


def unreachable_kdc_conf():
    """A krb5.conf copy whose realm's KDC listens nowhere (port 1)."""
    path = os.path.join(DIR, "krb5-no-kdc.conf")
    with open(os.environ["KRB5_CONFIG"]) as f:
        text = f.read()
    text = re.sub(r"kdc = \S+", "kdc = 127.0.0.1:1", text)
    with open(path, "w") as f:
        f.write(text)
    return path


def seal_and_check(test, sock, ctx, label, altered=False):
    """Seals MESSAGES messages (`label` and a number) to the gss-server on
    `sock`, checks the server's MIC of each (with `altered`, a Kerberos
    MIC of the message changed is refused as altered, before its used-up
    sequence number counts), then says goodbye."""
    for i in range(MESSAGES):
        msg = b"%s %d" % (label, i)
        wrapped = ctx.wrap(msg, padding=True)
        test.assertNotIn(msg, wrapped)
        send_token(sock, TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC, wrapped)
        kind, mic = recv_token(sock)
        test.assertEqual(kind, TOKEN_MIC)
        ctx.verify(msg, mic)
        if altered:
            with test.assertRaises(sspi.SspiError) as e:
                ctx.verify(msg + b"!", mic)
            test.assertEqual(e.exception.status, sspi.SEC_E_MESSAGE_ALTERED)
    send_token(sock, TOKEN_NOOP, b"")


def converse(test, sock, ctx):
    """Runs our initiator's exchange with a gss-server on `sock`, then
    `seal_and_check`."""
    initiate(test, sock, ctx)
    seal_and_check(test, sock, ctx, b"sealed by opensspi's Negotiate")


class OurNegotiateTheirServer(unittest.TestCase):
    """opensspi's Negotiate initiator against gss-server, whose SPNEGO
    takes Kerberos (the service keytab) and NTLM (gss-ntlmssp)."""

    def exchange(self, target, client_conf=None):
        port = free_port()
        peer = Peer(["gss-server", "-port", str(port), "-once", "-keytab", KEYTAB, "host@localhost"],
                    env=peer_env(NTLM_USER_FILE=USER_FILE))
        self.addCleanup(peer.stop)
        sock = connect(port, peer)
        self.addCleanup(sock.close)
        saved = os.environ["KRB5_CONFIG"]
        os.environ["KRB5_CONFIG"] = client_conf or saved
        try:
            cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_OUTBOUND, USER, REALM, PASSWORD)
            ctx = sspi.Context(cred, initiator=True, target=target, flags=FLAGS)
            converse(self, sock, ctx)
        finally:
            os.environ["KRB5_CONFIG"] = saved
        self.assertEqual(peer.finish(), 0, peer.output)
        return ctx, peer.output

    def test_kerberos(self):
        ctx, output = self.exchange("host/localhost")
        self.assertEqual(ctx.negotiation_info(), ("Kerberos", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertIn('Accepted connection: "%s"' % PRINCIPAL, output)

    def test_unknown_spn_falls_back_to_ntlm(self):
        ctx, output = self.exchange("nosuch/localhost")
        self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertIn('Accepted connection: "%s\\%s"' % (REALM, USER), output)

    def test_unreachable_kdc_falls_back_to_ntlm(self):
        ctx, output = self.exchange("host/localhost", client_conf=unreachable_kdc_conf())
        self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertIn('Accepted connection: "%s\\%s"' % (REALM, USER), output)


class TheirSpnegoClientOurNegotiate(unittest.TestCase):
    """gss-client -spnego (after kinit) against opensspi's Negotiate
    acceptor, whose default credentials are the keytab of KRB5_KTNAME (and
    NTLM_USER_FILE's account)."""

    def test_gss_client_delegating(self):
        # A forwardable TGT, and gss-client -d: the AP-REQ's checksum
        # carries a KRB-CRED (delegation, not supported here), which our
        # acceptor passes over without claiming ASC_RET_DELEGATE.
        subprocess.run(["kinit", "-f", USER], input=PASSWORD.encode(), env=peer_env(), check=True,
                       stdout=subprocess.DEVNULL, timeout=TIMEOUT)
        ctx, output = self.serve(["-d"], peer_env(), with_output=True)
        self.assertIn("GSS_C_DELEG_FLAG", output)
        self.assertEqual(ctx.negotiation_info()[0], "Kerberos")
        self.assertEqual(ctx.user_name(), PRINCIPAL)

    def test_gss_client_spnego(self):
        kinit()
        ctx = self.serve(["-spnego"], peer_env())
        self.assertEqual(ctx.negotiation_info(), ("Kerberos", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertEqual(ctx.user_name(), PRINCIPAL)

    def test_gss_client_spnego_without_a_kdc_takes_ntlm(self):
        # MIT's SPNEGO, with a password and no reachable KDC, offers NTLM
        # (gss-ntlmssp); our acceptor's default credential has the account.
        env = peer_env(KRB5_CONFIG=unreachable_kdc_conf(), KRB5CCNAME="FILE:" + os.path.join(DIR, "no-cache"))
        # -q: gss-client's report of the context asks gss-ntlmssp for what it
        # does not implement.
        ctx = self.serve(["-q", "-spnego", "-user", "%s\\%s" % (REALM, USER), "-pass", PASSWORD], env)
        self.assertEqual(ctx.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))

    def serve(self, args, env, with_output=False):
        """gss-client with `args` against our Negotiate acceptor: the
        context, after sealed messages and MICs."""
        msg = b"sealed by gss-client -spnego for opensspi"
        peer, conn = gss_client(self, args, env, msg)
        os.environ["NTLM_USER_FILE"] = USER_FILE
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND)
        ctx = sspi.Context(cred, initiator=False, flags=0)
        accept(self, conn, ctx)
        for _ in range(MESSAGES):
            try:
                kind, wrapped = recv_token(conn)
            except ConnectionError:
                peer.finish()
                raise AssertionError("gss-client stopped: " + peer.output)
            self.assertEqual(kind, TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC)
            self.assertEqual(ctx.unwrap_stream(wrapped), msg)
            send_token(conn, TOKEN_MIC, ctx.sign(msg))
        kind, _ = recv_token(conn)
        self.assertEqual(kind, TOKEN_NOOP)
        self.assertEqual(peer.finish(), 0, peer.output)
        if "-q" not in args:
            self.assertIn("Signature verified", peer.output)
        return (ctx, peer.output) if with_output else ctx


class TheirClientOurServer(unittest.TestCase):
    """gss-client (after kinit) against opensspi's acceptor, whose default
    credentials are the keytab of KRB5_KTNAME."""

    def exchange(self):
        kinit()
        msg = b"sealed by gss-client for opensspi"
        peer, conn = gss_client(self, [], peer_env(), msg)
        cred = LIB.credentials("Kerberos", sspi.SECPKG_CRED_INBOUND)
        ctx = sspi.Context(cred, initiator=False, flags=0)
        kind, _ = recv_token(conn)
        self.assertEqual(kind, TOKEN_NOOP | TOKEN_CONTEXT_NEXT)
        kind, token = recv_token(conn)
        self.assertEqual(kind, TOKEN_CONTEXT)
        answer = ctx.step(token)
        self.assertTrue(ctx.complete)
        self.assertTrue(answer.startswith(b"\x60"))
        send_token(conn, TOKEN_CONTEXT, answer)
        for _ in range(MESSAGES):
            kind, wrapped = recv_token(conn)
            self.assertEqual(kind, TOKEN_DATA | TOKEN_WRAPPED | TOKEN_ENCRYPTED | TOKEN_SEND_MIC)
            self.assertNotIn(msg, wrapped)
            self.assertEqual(ctx.unwrap_stream(wrapped), msg)
            send_token(conn, TOKEN_MIC, ctx.sign(msg))
        kind, _ = recv_token(conn)
        self.assertEqual(kind, TOKEN_NOOP)
        self.assertEqual(peer.finish(), 0, peer.output)
        self.assertIn("Signature verified", peer.output)
        return ctx

    def test_gss_client(self):
        ctx = self.exchange()
        self.assertEqual(ctx.user_name(), PRINCIPAL)

    def test_every_enctype(self):
        for enctype in ENCTYPES:
            with self.subTest(enctype=enctype):
                os.environ["KRB5_CONFIG"], saved = forced_conf(enctype), os.environ["KRB5_CONFIG"]
                try:
                    ctx = self.exchange()
                    self.assertEqual(ctx.encrypt_algorithm(), ENCTYPES[enctype])
                finally:
                    os.environ["KRB5_CONFIG"] = saved


if __name__ == "__main__":
    unittest.main(verbosity=2)

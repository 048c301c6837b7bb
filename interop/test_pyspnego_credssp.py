"""CredSSP interop with pyspnego's pure-Python CredSSP (protocol
"credssp", its own TLS through Python's ssl, SPNEGO and NTLM inside):
opensspi's "CREDSSP" package as the initiator against pyspnego's acceptor
and as the acceptor against pyspnego's initiator, over TLS 1.3 and 1.2,
with the MS-CSSP versions pyspnego can be forced to, a wrong password
refused on each side, the delegated credentials checked at the acceptor,
and application data both ways through the TLS channel. Then a
man-in-the-middle with its own TLS certificate relaying the TSRequests
between our initiator and our acceptor."""

import importlib.util
import os
import ssl
import unittest
from unittest import mock

import spnego
import spnego._credssp
import spnego.exceptions

import credssp
import sspi
from common import DOMAIN, PASSWORD, USER, make_user_file

PURE_NEGOTIATE = spnego.NegotiateOptions.use_negotiate
PRINCIPAL = "%s\\%s" % (DOMAIN, USER)
POLICY = "OPENSSPI_CREDSSP_ALLOW_ENCRYPTION_ORACLE"


def setUpModule():
    global LIB, USER_FILE, CERT
    assert importlib.util.find_spec("gssapi") is None, "python-gssapi is installed"
    LIB = sspi.Library()
    USER_FILE = make_user_file()
    CERT = credssp.certificate(LIB)


def tearDownModule():
    os.unlink(USER_FILE)
    LIB.lib.CertFreeCertificateContext(CERT)


def handshake(client, server):
    """Tokens back and forth (empty ones too, as pyspnego needs) until
    both sides are complete."""
    token = client.step()
    for _ in range(20):
        token = server.step(token)
        if client.complete and server.complete:
            return
        token = client.step(token or b"")
        if client.complete and server.complete:
            return
    raise AssertionError("the exchange did not finish")


def app_data(test, ours, theirs):
    """Messages both ways through the TLS channel, one larger than a record."""
    for size in (1, 1000, 40000):
        data = os.urandom(size)
        test.assertEqual(theirs.unwrap(ours.wrap(data)).data, data)
        test.assertEqual(ours.unwrap(theirs.wrap(data).data), data)


def py_server(**kwargs):
    return spnego.server(protocol="credssp", options=PURE_NEGOTIATE, **kwargs)


def py_client(password=PASSWORD, options=PURE_NEGOTIATE, **kwargs):
    return spnego.client(PRINCIPAL, password, hostname="localhost", service="TERMSRV", protocol="credssp",
                         options=options, **kwargs)


def py_tls(maximum):
    """pyspnego's TLS context, capped at `maximum`."""
    ctx = spnego.tls.default_tls_context()
    ctx.context.maximum_version = maximum
    return ctx


class OurClientTheirServer(unittest.TestCase):
    def client(self, password=PASSWORD, disabled=0, flags=None):
        cred = credssp.credentials(LIB, sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, password, disabled=disabled)
        return credssp.Stream(cred, initiator=True, flags=flags)

    def check(self, ours, theirs, version=6):
        self.assertTrue(ours.complete and theirs.complete)
        self.assertEqual(theirs.get_extra_info("protocol_version"), version)
        creds = theirs.get_extra_info("client_credential")
        self.assertEqual((creds.domain_name, creds.username, creds.password), (DOMAIN, USER, PASSWORD))
        self.assertEqual(theirs.client_principal, PRINCIPAL)
        app_data(self, ours, theirs)

    def test_tls13(self):
        ours, theirs = self.client(), py_server()
        handshake(ours, theirs)
        self.check(ours, theirs)
        # The last call is SEC_E_OK with the authInfo token; every earlier one continues.
        self.assertEqual(ours.calls[-1], 0)
        self.assertTrue(all(s == sspi.SEC_I_CONTINUE_NEEDED for s in ours.calls[:-1]))
        self.assertEqual(ours.attrs & credssp.ISC_REQ_DELEGATE, credssp.ISC_REQ_DELEGATE)

    def test_tls12(self):
        ours = self.client(disabled=credssp.SP_PROT_TLS1_3)
        theirs = py_server()
        handshake(ours, theirs)
        self.check(ours, theirs)
        self.assertEqual(theirs.get_extra_info("ssl_object").version(), "TLSv1.2")

    def test_version5_by_default(self):
        with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", 5):
            ours, theirs = self.client(), py_server()
            handshake(ours, theirs)
            self.check(ours, theirs, 5)

    def test_old_servers_refused_as_windows_mitigated_policy_does(self):
        for version in (2, 3, 4):
            with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", version):
                ours, theirs = self.client(), py_server()
                with self.assertRaises(sspi.SspiError) as e:
                    handshake(ours, theirs)
                self.assertEqual(e.exception.status, credssp.SEC_E_UNSUPPORTED_FUNCTION)

    def test_old_servers_with_the_vulnerable_policy(self):
        for version in (2, 3, 4):
            with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", version), \
                    mock.patch.dict(os.environ, {POLICY: "2"}):
                ours, theirs = self.client(), py_server()
                handshake(ours, theirs)
                self.check(ours, theirs, version)

    def test_wrong_password(self):
        ours, theirs = self.client(password="wrong"), py_server()
        with self.assertRaises(sspi.SspiError) as e:
            handshake(ours, theirs)
        # pyspnego reports STATUS_LOGON_FAILURE in errorCode.
        self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)
        self.assertFalse(theirs.complete)

    def test_without_delegate_flag_empty_credentials(self):
        ours = self.client(flags=credssp.ISC_FLAGS & ~credssp.ISC_REQ_DELEGATE)
        theirs = py_server()
        handshake(ours, theirs)
        creds = theirs.get_extra_info("client_credential")
        self.assertEqual((creds.domain_name, creds.username, creds.password), ("", "", ""))


class TheirClientOurServer(unittest.TestCase):
    def server(self, disabled=0, cred_user=False):
        args = (USER, DOMAIN, PASSWORD) if cred_user else ()
        cred = credssp.credentials(LIB, sspi.SECPKG_CRED_INBOUND, *args, cert=CERT, disabled=disabled)
        return credssp.Stream(cred, initiator=False)

    def check(self, theirs, ours, version=6):
        self.assertTrue(ours.complete and theirs.complete)
        self.assertEqual(theirs.get_extra_info("protocol_version"), version)
        self.assertEqual(ours.delegated(), (DOMAIN, USER, PASSWORD))
        self.assertEqual(ours.calls[-1], 0)
        app_data(self, ours, theirs)

    def test_tls13(self):
        theirs, ours = py_client(), self.server()
        handshake(theirs, ours)
        self.check(theirs, ours)

    def test_tls12(self):
        theirs = py_client(credssp_tls_context=py_tls(ssl.TLSVersion.TLSv1_2))
        ours = self.server()
        handshake(theirs, ours)
        self.check(theirs, ours)
        self.assertEqual(theirs.get_extra_info("ssl_object").version(), "TLSv1.2")

    def test_explicit_inbound_identity(self):
        theirs, ours = py_client(), self.server(cred_user=True)
        handshake(theirs, ours)
        self.check(theirs, ours)

    def test_raw_ntlm_inside(self):
        theirs, ours = py_client(options=spnego.NegotiateOptions.use_ntlm), self.server()
        handshake(theirs, ours)
        self.check(theirs, ours)

    def test_every_version(self):
        for version in (2, 3, 4, 5, 6):
            with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", version):
                theirs, ours = py_client(), self.server()
                handshake(theirs, ours)
                self.check(theirs, ours, version)

    def test_old_clients_refused_when_forcing_updated_clients(self):
        with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", 3), mock.patch.dict(os.environ, {POLICY: "0"}):
            theirs, ours = py_client(), self.server()
            with self.assertRaises(sspi.SspiError) as e:
                handshake(theirs, ours)
            self.assertEqual(e.exception.status, credssp.SEC_E_UNSUPPORTED_FUNCTION)
            # Version 3 has errorCode: STATUS_NOT_SUPPORTED reaches pyspnego.
            with self.assertRaises(spnego.exceptions.SpnegoError) as their_error:
                theirs.step(e.exception.token)
            self.assertEqual(their_error.exception.base_error.winerror & 0xFFFFFFFF, 0xC00000BB)

    def test_wrong_password_versions_without_error_code(self):
        for version in (2, 5):
            with mock.patch.object(spnego._credssp, "_CREDSSP_VERSION", version):
                theirs, ours = py_client(password="wrong"), self.server()
                with self.assertRaises(sspi.SspiError) as e:
                    handshake(theirs, ours)
                self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)
                # No errorCode field, and never the SPNEGO reject in clear.
                self.assertEqual(e.exception.token, b"")

    def test_wrong_password(self):
        theirs, ours = py_client(password="wrong"), self.server()
        with self.assertRaises(sspi.SspiError) as e:
            handshake(theirs, ours)
        self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)
        # errorCode STATUS_LOGON_FAILURE reaches pyspnego's initiator.
        with self.assertRaises(spnego.exceptions.SpnegoError) as their_error:
            theirs.step(e.exception.token)
        self.assertEqual(their_error.exception.base_error.winerror & 0xFFFFFFFF, 0xC000006D)
        with self.assertRaises(sspi.SspiError) as gone:
            ours.delegated()
        self.assertEqual(gone.exception.status, credssp.SEC_E_INVALID_HANDLE)


class TlsEnd:
    """One end of a TLS connection over memory BIOs (Python's ssl)."""

    def __init__(self, server_side):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
        if server_side:
            ctx.load_cert_chain(os.path.join(credssp.TLS, "server.pem"), os.path.join(credssp.TLS, "server.key"))
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.done = False
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side)

    def feed(self, data=b""):
        """Records in; (records out, plaintext received)."""
        self.incoming.write(data)
        plain = b""
        try:
            self.tls.do_handshake()
            self.done = True
            while True:
                plain += self.tls.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        return self.outgoing.read(), plain

    def send(self, plain):
        self.tls.write(plain)
        return self.outgoing.read()


class ManInTheMiddle(unittest.TestCase):
    """A relay that ends our initiator's TLS with its own (ECDSA)
    certificate and opens its own TLS to our acceptor (RSA), passing the
    TSRequests through unchanged: the inner NTLM succeeds, but the
    initiator bound the relay's key, and the acceptor refuses."""

    def test_a_different_certificate_is_refused(self):
        client = credssp.Stream(credssp.credentials(LIB, sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD),
                                initiator=True)
        server = credssp.Stream(credssp.credentials(LIB, sspi.SECPKG_CRED_INBOUND, cert=CERT), initiator=False)
        to_client, to_server = TlsEnd(server_side=True), TlsEnd(server_side=False)
        # The relay's own handshake with our acceptor.
        out, _ = to_server.feed()
        while not to_server.done:
            out, _ = to_server.feed(server.step(out))
        if out:
            self.assertEqual(server.step(out), b"")
        # Our initiator's handshake with the relay, up to its first TSRequest.
        token, plain = client.step(), b""
        while not plain:
            back, plain = to_client.feed(token)
            token = client.step(back)
        # Relay TSRequests both ways until the acceptor refuses.
        with self.assertRaises(sspi.SspiError) as refused:
            for _ in range(10):
                answer = server.step(to_server.send(plain))
                _, plain = to_server.feed(answer)
                token = client.step(to_client.send(plain))
                _, plain = to_client.feed(token)
        self.assertEqual(refused.exception.status, sspi.SEC_E_MESSAGE_ALTERED)
        # A fatal internal_error alert ends the channel, as Windows does.
        alert = refused.exception.token
        with self.assertRaises(ssl.SSLError) as ended:
            to_server.feed(alert)
        self.assertIn("INTERNAL_ERROR", str(ended.exception).upper())
        self.assertFalse(client.complete)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""NTLM interop with pyspnego's pure-Python implementation: opensspi as the
client against pyspnego's server, and as the server against pyspnego's
client; handshake, sign and seal in both directions, channel bindings,
and wrong passwords refused on each side."""

import os
import unittest

import spnego
import spnego.exceptions

import sspi
from common import (DOMAIN, PASSWORD, USER, ResultPeer, check_our_acceptor, exchange_messages, gss_bindings,
                    make_user_file, run)

PURE_NTLM = spnego.NegotiateOptions.use_ntlm


def setUpModule():
    global LIB, USER_FILE
    LIB = sspi.Library()
    USER_FILE = make_user_file()


def tearDownModule():
    os.unlink(USER_FILE)


def py_client(password=PASSWORD, bindings=None):
    return spnego.client("%s\\%s" % (DOMAIN, USER), password, hostname="server.example", service="HTTP",
                         protocol="ntlm", options=PURE_NTLM, channel_bindings=bindings)


def py_server(bindings=None):
    return spnego.server(protocol="ntlm", options=PURE_NTLM, channel_bindings=bindings)


class OurClientTheirServer(unittest.TestCase):
    def handshake(self, cred, bindings=None, py_bindings=None):
        ours = sspi.Context(cred, initiator=True, bindings=bindings)
        theirs = py_server(py_bindings)
        run(ours.step, theirs.step)
        return ours, theirs

    def test_handshake_sign_seal_both_ways(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
        ours, theirs = self.handshake(cred)
        self.assertTrue(ours.complete and theirs.complete)
        self.assertEqual(theirs.client_principal, "%s\\%s" % (DOMAIN, USER))
        self.assertEqual(ours.session_key(), theirs.session_key)
        exchange_messages(self, ours, ResultPeer(theirs))
        # A tampered message is refused.
        wrapped = bytearray(ours.wrap(b"tamper me"))
        wrapped[-1] ^= 1
        with self.assertRaises(spnego.exceptions.SpnegoError):
            theirs.unwrap(bytes(wrapped))

    def test_no_flags_and_integrity_alone(self):
        # Asking for nothing: no signing, so no key exchange either (as on
        # Windows); pyspnego checks the MIC with the session key MS-NLMP
        # gives then. Asking for integrity alone: sealing works all the
        # same, both ways.
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
        for flags in (0, sspi.ISC_REQ_INTEGRITY):
            with self.subTest(flags=flags):
                ours = sspi.Context(cred, initiator=True, flags=flags)
                theirs = py_server()
                run(ours.step, theirs.step)
                self.assertTrue(ours.complete and theirs.complete)
                self.assertEqual(ours.session_key(), theirs.session_key)
                if flags:
                    exchange_messages(self, ours, ResultPeer(theirs))

    def test_default_credentials_from_user_file(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_OUTBOUND)
        ours, theirs = self.handshake(cred)
        self.assertEqual(theirs.client_principal, "%s\\%s" % (DOMAIN, USER))

    def test_channel_bindings(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
        ours, theirs = self.handshake(cred, sspi.channel_bindings(b"tls-server-end-point:xyz"),
                                      gss_bindings(b"tls-server-end-point:xyz"))
        self.assertTrue(theirs.complete)
        with self.assertRaises(spnego.exceptions.SpnegoError):
            self.handshake(cred, sspi.channel_bindings(b"tls-server-end-point:other"),
                           gss_bindings(b"tls-server-end-point:xyz"))

    def test_wrong_password_refused_by_their_server(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, "wrong")
        with self.assertRaises(spnego.exceptions.SpnegoError):
            self.handshake(cred)


class TheirClientOurServer(unittest.TestCase):
    def handshake(self, cred, password=PASSWORD, bindings=None, py_bindings=None):
        theirs = py_client(password, py_bindings)
        ours = sspi.Context(cred, initiator=False, bindings=bindings)
        run(theirs.step, ours.step)
        return theirs, ours

    def check_protection(self, theirs, ours):
        check_our_acceptor(self, theirs, ours)

    def test_explicit_inbound_identity(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_INBOUND, USER, DOMAIN, PASSWORD)
        theirs, ours = self.handshake(cred)
        self.assertTrue(ours.complete)
        self.assertEqual(ours.user_name(), "%s\\%s" % (DOMAIN, USER))
        self.assertEqual(ours.session_key(), theirs.session_key)
        self.check_protection(theirs, ours)

    def test_user_file_inbound(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_INBOUND)
        theirs, ours = self.handshake(cred)
        self.assertEqual(ours.user_name(), "%s\\%s" % (DOMAIN, USER))
        self.check_protection(theirs, ours)

    def test_channel_bindings(self):
        cred = LIB.credentials("NTLM", sspi.SECPKG_CRED_INBOUND)
        self.handshake(cred, bindings=sspi.channel_bindings(b"tls-unique:abc"),
                       py_bindings=gss_bindings(b"tls-unique:abc"))
        with self.assertRaises(sspi.SspiError) as e:
            self.handshake(cred, bindings=sspi.channel_bindings(b"tls-unique:abc"),
                           py_bindings=gss_bindings(b"tls-unique:abd"))
        self.assertEqual(e.exception.status, sspi.SEC_E_BAD_BINDINGS)

    def test_wrong_password_refused_by_our_server(self):
        for cred in (LIB.credentials("NTLM", sspi.SECPKG_CRED_INBOUND),
                     LIB.credentials("NTLM", sspi.SECPKG_CRED_INBOUND, USER, DOMAIN, PASSWORD)):
            with self.assertRaises(sspi.SspiError) as e:
                self.handshake(cred, password="wrong")
            self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)


if __name__ == "__main__":
    unittest.main(verbosity=2)

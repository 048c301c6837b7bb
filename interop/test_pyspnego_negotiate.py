"""Negotiate interop with pyspnego's pure-Python SPNEGO (protocol
"negotiate", no GSSAPI library in the environment): opensspi as the client
against pyspnego's server and as the server against pyspnego's client,
with the mechListMIC exchange, sign and seal both ways, a wrong password
refused on each side, and pyspnego's raw NTLM against our Negotiate
server."""

import importlib.util
import os
import unittest

import spnego
import spnego.exceptions

import sspi
from common import (DOMAIN, PASSWORD, USER, ResultPeer, check_our_acceptor, exchange_messages, gss_bindings,
                    make_user_file, run)

PURE_NEGOTIATE = spnego.NegotiateOptions.use_negotiate
PRINCIPAL = "%s\\%s" % (DOMAIN, USER)


def setUpModule():
    global LIB, USER_FILE
    # pyspnego must speak SPNEGO itself, with its own NTLM.
    assert importlib.util.find_spec("gssapi") is None, "python-gssapi is installed"
    assert importlib.util.find_spec("krb5") is None, "python-krb5 is installed"
    LIB = sspi.Library()
    USER_FILE = make_user_file()


def tearDownModule():
    os.unlink(USER_FILE)


def py_client(password=PASSWORD, protocol="negotiate", bindings=None):
    return spnego.client(PRINCIPAL, password, hostname="server.example", service="HTTP",
                         protocol=protocol, options=PURE_NEGOTIATE if protocol == "negotiate" else
                         spnego.NegotiateOptions.use_ntlm, channel_bindings=bindings)


def py_server(bindings=None):
    return spnego.server(protocol="negotiate", options=PURE_NEGOTIATE, channel_bindings=bindings)


def neg_state(token):
    """The negState of a NegTokenResp (the value after "a0 03 0a 01")."""
    at = token.find(b"\xa0\x03\x0a\x01", 0, 12)
    return token[at + 4] if at >= 0 else None


class OurClientTheirServer(unittest.TestCase):
    def messages(self, ours, theirs):
        exchange_messages(self, ours, ResultPeer(theirs))

    def test_handshake_sign_seal_both_ways(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
        ours = sspi.Context(cred, initiator=True)
        theirs = py_server()
        first = ours.step()
        self.assertEqual(first[0], 0x60)
        answer = theirs.step(first)
        # pyspnego's acceptor prefers Kerberos, which it believes it has, so
        # it answers request-mic (negState 3) to our NTLM-first offer ...
        self.assertEqual(neg_state(answer), 3)
        last = ours.step(answer)
        # ... and then, as on Windows, our initiator waits for the
        # acceptor's mechListMIC instead of finishing at once.
        self.assertFalse(ours.complete)
        final = theirs.step(last)
        self.assertTrue(theirs.complete)
        self.assertEqual(theirs.negotiated_protocol, "ntlm")
        self.assertEqual(theirs.client_principal, PRINCIPAL)
        self.assertEqual(ours.step(final), b"")
        self.assertTrue(ours.complete)
        self.assertEqual(ours.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertEqual(ours.session_key(), theirs.session_key)
        self.messages(ours, theirs)

    def test_no_flags(self):
        # No integrity asked for: pyspnego's acceptor still asks for the
        # mechListMIC (request-mic), which NTLM then makes as its dummy
        # signature; the initiator waits for pyspnego's.
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, PASSWORD)
        ours = sspi.Context(cred, initiator=True, flags=0)
        theirs = py_server()
        answer = theirs.step(ours.step())
        self.assertEqual(neg_state(answer), 3)
        last = ours.step(answer)
        self.assertFalse(ours.complete)
        final = theirs.step(last)
        self.assertTrue(theirs.complete)
        self.assertEqual(ours.step(final), b"")
        self.assertTrue(ours.complete)
        self.assertEqual(ours.session_key(), theirs.session_key)

    def test_default_credentials_and_bindings(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_OUTBOUND)
        ours = sspi.Context(cred, initiator=True, bindings=sspi.channel_bindings(b"tls-unique:n"))
        theirs = py_server(gss_bindings(b"tls-unique:n"))
        run(ours.step, theirs.step)
        self.assertTrue(ours.complete and theirs.complete)
        self.assertEqual(theirs.client_principal, PRINCIPAL)

    def test_wrong_password_refused_by_their_server(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_OUTBOUND, USER, DOMAIN, "wrong")
        ours = sspi.Context(cred, initiator=True)
        theirs = py_server()
        with self.assertRaises(spnego.exceptions.SpnegoError):
            run(ours.step, theirs.step)
        self.assertFalse(theirs.complete)


class TheirClientOurServer(unittest.TestCase):
    def handshake(self, cred, password=PASSWORD, protocol="negotiate"):
        theirs = py_client(password, protocol)
        ours = sspi.Context(cred, initiator=False)
        run(theirs.step, ours.step)
        return theirs, ours

    def messages(self, theirs, ours):
        check_our_acceptor(self, theirs, ours)

    def test_explicit_inbound_identity(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND, USER, DOMAIN, PASSWORD)
        theirs = py_client()
        ours = sspi.Context(cred, initiator=False)
        answer = ours.step(theirs.step())
        # NTLM is our first choice: accept-incomplete, no request-mic.
        self.assertEqual(neg_state(answer), 1)
        final = ours.step(theirs.step(answer))
        self.assertTrue(ours.complete)
        self.assertEqual(neg_state(final), 0)
        # pyspnego checks our mechListMIC in accept-completed.
        self.assertIsNone(theirs.step(final))
        self.assertTrue(theirs.complete and ours.complete)
        self.assertEqual(theirs.negotiated_protocol, "ntlm")
        self.assertEqual(ours.user_name(), PRINCIPAL)
        self.assertEqual(ours.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertEqual(ours.session_key(), theirs.session_key)
        self.messages(theirs, ours)

    def test_user_file_inbound(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND)
        theirs, ours = self.handshake(cred)
        self.assertEqual(ours.user_name(), PRINCIPAL)
        self.messages(theirs, ours)

    def test_raw_ntlm_client(self):
        cred = LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND)
        theirs, ours = self.handshake(cred, protocol="ntlm")
        self.assertTrue(ours.complete)
        self.assertEqual(ours.negotiation_info(), ("NTLM", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.messages(theirs, ours)

    def test_wrong_password_refused_by_our_server(self):
        for cred in (LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND),
                     LIB.credentials("Negotiate", sspi.SECPKG_CRED_INBOUND, USER, DOMAIN, PASSWORD)):
            with self.assertRaises(sspi.SspiError) as e:
                self.handshake(cred, password="wrong")
            self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)


if __name__ == "__main__":
    unittest.main(verbosity=2)

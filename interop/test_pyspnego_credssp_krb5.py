"""CredSSP with Kerberos inside, against pyspnego's CredSSP over
python-gssapi (MIT krb5), in the throwaway MIT realm of
scripts/krb5-realm.sh: our initiator (Negotiate choosing Kerberos, tickets
from the KDC for alice's password) against pyspnego's acceptor (the
service keytab of host/localhost), and pyspnego's initiator against our
acceptor; the delegated credentials and application data checked each
way, and a wrong password refused by the KDC."""

import os
import unittest

import spnego

import credssp
import sspi
from common import make_user_file
from test_pyspnego_credssp import app_data, handshake

REALM = "OPENSSPI.TEST"
USER, PASSWORD = "alice", "Passw0rd!alice"
PRINCIPAL = "%s@%s" % (USER, REALM)


def setUpModule():
    global LIB, CERT, USER_FILE
    if not os.environ.get("OPENSSPI_REALM_DIR"):
        raise RuntimeError("run inside scripts/krb5-realm.sh")
    import gssapi  # noqa: F401  (pyspnego's Kerberos needs it: fail, never skip)
    LIB = sspi.Library()
    CERT = credssp.certificate(LIB)
    # pyspnego's SPNEGO acceptor sets up its NTLM too, which needs a user
    # file even when Kerberos is chosen.
    USER_FILE = make_user_file()


def tearDownModule():
    LIB.lib.CertFreeCertificateContext(CERT)
    os.unlink(USER_FILE)


class OurClientTheirServer(unittest.TestCase):
    def test_kerberos_inside(self):
        cred = credssp.credentials(LIB, sspi.SECPKG_CRED_OUTBOUND, USER, REALM, PASSWORD)
        # Kerberos authenticates the server: ISC_REQ_MUTUAL_AUTH holds.
        ours = credssp.Stream(cred, initiator=True, target="host/localhost",
                              flags=credssp.ISC_FLAGS | sspi.ISC_REQ_MUTUAL_AUTH)
        theirs = spnego.server(protocol="credssp", hostname="localhost", service="host")
        handshake(ours, theirs)
        self.assertEqual(ours.attrs & sspi.ISC_REQ_MUTUAL_AUTH, sspi.ISC_REQ_MUTUAL_AUTH)
        self.assertEqual(ours.negotiation_info(), ("Kerberos", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertEqual(theirs.client_principal, PRINCIPAL)
        self.assertEqual(theirs.get_extra_info("protocol_version"), 6)
        creds = theirs.get_extra_info("client_credential")
        self.assertEqual((creds.domain_name, creds.username, creds.password), (REALM, USER, PASSWORD))
        app_data(self, ours, theirs)

    def test_wrong_password(self):
        cred = credssp.credentials(LIB, sspi.SECPKG_CRED_OUTBOUND, USER, REALM, "wrong")
        ours = credssp.Stream(cred, initiator=True, target="host/localhost")
        theirs = spnego.server(protocol="credssp", hostname="localhost", service="host")
        with self.assertRaises(sspi.SspiError) as e:
            handshake(ours, theirs)
        self.assertEqual(e.exception.status, sspi.SEC_E_LOGON_DENIED)
        self.assertFalse(theirs.complete)


class TheirClientOurServer(unittest.TestCase):
    def test_kerberos_inside(self):
        cred = credssp.credentials(LIB, sspi.SECPKG_CRED_INBOUND, cert=CERT)
        ours = credssp.Stream(cred, initiator=False)
        theirs = spnego.client(PRINCIPAL, PASSWORD, hostname="localhost", service="host", protocol="credssp")
        handshake(theirs, ours)
        self.assertEqual(ours.negotiation_info(), ("Kerberos", sspi.SECPKG_NEGOTIATION_COMPLETE))
        self.assertEqual(ours.user_name(), PRINCIPAL)
        # pyspnego delegates the name as given, with no domain.
        self.assertEqual(ours.delegated(), ("", PRINCIPAL, PASSWORD))
        app_data(self, ours, theirs)


if __name__ == "__main__":
    unittest.main(verbosity=2)

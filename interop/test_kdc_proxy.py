"""opensspi's Kerberos through a KDC proxy (MS-KKDCP): the kdcproxy WSGI
module served by gunicorn over TLS in front of the throwaway realm
(scripts/kdc-proxy.sh inside scripts/krb5-realm.sh), with a throwaway CA
that SSL_CERT_FILE names. The direct KDC is made unreachable (a krb5.conf
copy whose KDC is 127.0.0.1:1), so every ticket here comes through the
proxy: with KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY, and without it (the proxy
after no KDC answered), under "Kerberos" and "Negotiate".
"""

import os
import re
import unittest

import sspi
from common import run

REALM = "OPENSSPI.TEST"
USER, PASSWORD = "alice", "Passw0rd!alice"
FLAGS = (sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_INTEGRITY
         | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT)
FORCEPROXY = 1
SEC_E_NO_AUTHENTICATING_AUTHORITY = -2146893039


def setUpModule():
    global LIB, PROXY
    PROXY = os.environ.get("OPENSSPI_KDC_PROXY")
    if not PROXY or not os.environ.get("OPENSSPI_REALM_DIR"):
        raise RuntimeError("run inside scripts/krb5-realm.sh scripts/kdc-proxy.sh")
    # The library reads the trust store at its first HTTPS exchange.
    os.environ["SSL_CERT_FILE"] = os.environ["OPENSSPI_KDC_PROXY_CA"]
    path = os.path.join(os.environ["OPENSSPI_REALM_DIR"], "krb5-unreachable.conf")
    with open(os.environ["KRB5_CONFIG"]) as f:
        text = re.sub(r"kdc = \S+", "kdc = 127.0.0.1:1", f.read())
    with open(path, "w") as f:
        f.write(text)
    os.environ["KRB5_CONFIG"] = path
    LIB = sspi.Library()


class KdcProxy(unittest.TestCase):
    def authenticate(self, package, proxy, flags):
        """A handshake from a fresh password credential (whose tickets the
        proxy must bring) to our keytab acceptor; the client context."""
        cred = LIB.credentials(package, sspi.SECPKG_CRED_OUTBOUND, USER, REALM, PASSWORD)
        if proxy is not None:
            cred.set_kdc_proxy(proxy, flags)
        server_cred = LIB.credentials(package, sspi.SECPKG_CRED_INBOUND)
        client = sspi.Context(cred, initiator=True, target="host/localhost", flags=FLAGS)
        server = sspi.Context(server_cred, initiator=False, flags=0)
        run(client.step, server.step)
        self.assertTrue(client.complete and server.complete)
        self.assertEqual(server.user_name(), "%s@%s" % (USER, REALM))
        msg = b"after tickets from the KDC proxy"
        self.assertEqual(server.unwrap_stream(client.wrap(msg, padding=True)), msg)
        return client

    def test_forced(self):
        self.authenticate("Kerberos", PROXY, FORCEPROXY)

    def test_when_no_kdc_answers(self):
        self.authenticate("Kerberos", PROXY, 0)

    def test_negotiate(self):
        client = self.authenticate("Negotiate", PROXY, FORCEPROXY)
        self.assertEqual(client.negotiation_info(), ("Kerberos", sspi.SECPKG_NEGOTIATION_COMPLETE))

    def test_no_proxy_no_kdc(self):
        with self.assertRaises(sspi.SspiError) as e:
            self.authenticate("Kerberos", None, 0)
        self.assertEqual(e.exception.status, SEC_E_NO_AUTHENTICATING_AUTHORITY)

    def test_a_proxy_that_does_not_answer(self):
        with self.assertRaises(sspi.SspiError) as e:
            self.authenticate("Kerberos", "localhost:1:KdcProxy", FORCEPROXY)
        self.assertEqual(e.exception.status, SEC_E_NO_AUTHENTICATING_AUTHORITY)


if __name__ == "__main__":
    unittest.main(verbosity=2)

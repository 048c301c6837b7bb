"""sspilib's KeytabCredential on opensspi (LD_PRELOAD), in the throwaway
MIT realm: Windows' SEC_WINNT_AUTH_IDENTITY_EX2 with a packed keytab
(SEC_WINNT_AUTH_DATA_TYPE_KEYTAB) as the initiator's credential (alice's
key) and as the acceptor's (the service keys), under "Kerberos" and under
"Negotiate", with sealed messages and signatures both ways; and a password
credential given the KDC proxy attribute (SecPkgCredKdcProxySettings) while
the direct KDC is unreachable. Run inside scripts/krb5-realm.sh and
scripts/kdc-proxy.sh, by scripts/interop.sh.
"""

import os
import re
import unittest

import sspilib
import sspilib.raw as raw

from common import ResultPeer, exchange_messages, run

REALM = "OPENSSPI.TEST"


def setUpModule():
    global DIR
    DIR = os.environ.get("OPENSSPI_REALM_DIR")
    if not DIR:
        raise RuntimeError("run inside scripts/krb5-realm.sh")
    if "libopensspi" not in os.environ.get("LD_PRELOAD", ""):
        raise RuntimeError("run with LD_PRELOAD naming libopensspi.so")
    if not os.environ.get("OPENSSPI_KDC_PROXY"):
        raise RuntimeError("run inside scripts/kdc-proxy.sh")
    os.environ["SSL_CERT_FILE"] = os.environ["OPENSSPI_KDC_PROXY_CA"]


class KeytabCredentials(unittest.TestCase):
    def pair(self, protocol):
        client_cred = sspilib.KeytabCredential("alice@" + REALM, os.path.join(DIR, "alice.keytab"),
                                               protocol=protocol, usage="initiate")
        server_cred = sspilib.KeytabCredential("host/localhost@" + REALM, os.path.join(DIR, "service.keytab"),
                                               protocol=protocol, usage="accept")
        client = sspilib.ClientSecurityContext(client_cred, "host/localhost")
        server = sspilib.ServerSecurityContext(server_cred)
        run(client.step, server.step)
        self.assertTrue(client.complete and server.complete)
        for ctx in (client, server):
            info = raw.query_context_attributes(ctx, raw.SecPkgContextPackageInfo)
            self.assertEqual(info.name, "Kerberos")
        exchange_messages(self, ResultPeer(client), ResultPeer(server))
        names = raw.query_context_attributes(server, raw.SecPkgContextNames)
        self.assertEqual(names.username, "alice@" + REALM)
        return client, server

    def test_kerberos(self):
        self.pair("Kerberos")

    def test_negotiate(self):
        self.pair("Negotiate")

    def test_a_keytab_without_the_principal(self):
        # alice's keytab holds no key of bob: no credentials.
        with self.assertRaises(OSError) as e:
            sspilib.KeytabCredential("bob@" + REALM, os.path.join(DIR, "alice.keytab"), protocol="Kerberos",
                                     usage="initiate")
        self.assertEqual(e.exception.winerror & 0xFFFFFFFF, 0x8009030E)  # SEC_E_NO_CREDENTIALS


class KdcProxySetting(unittest.TestCase):
    def test_password_credential_through_the_proxy(self):
        saved = os.environ["KRB5_CONFIG"]
        path = os.path.join(DIR, "krb5-no-direct-kdc.conf")
        with open(saved) as f:
            text = re.sub(r"kdc = \S+", "kdc = 127.0.0.1:1", f.read())
        with open(path, "w") as f:
            f.write(text)
        os.environ["KRB5_CONFIG"] = path
        try:
            for protocol in ("Kerberos", "Negotiate"):
                with self.subTest(protocol=protocol):
                    cred = sspilib.UserCredential("alice@" + REALM, "Passw0rd!alice", protocol=protocol,
                                                  usage="initiate")
                    settings = raw.SecPkgCredKdcProxySettings(
                        flags=raw.KdcProxySettingsFlags.KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY,
                        proxy_server=os.environ["OPENSSPI_KDC_PROXY"])
                    raw.set_credentials_attributes(cred, settings)
                    server_cred = sspilib.KeytabCredential("host/localhost@" + REALM,
                                                           os.path.join(DIR, "service.keytab"),
                                                           protocol=protocol, usage="accept")
                    client = sspilib.ClientSecurityContext(cred, "host/localhost")
                    server = sspilib.ServerSecurityContext(server_cred)
                    run(client.step, server.step)
                    self.assertTrue(client.complete and server.complete)
                    exchange_messages(self, ResultPeer(client), ResultPeer(server))
        finally:
            os.environ["KRB5_CONFIG"] = saved


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""sspilib (Python bindings to the SSPI ABI) running on opensspi instead of
the provider its wheel bundles, through its public API: NTLM and Negotiate
handshakes, wrap/unwrap, sign/verify, context attributes, a wrong password,
and mixed pairs with pyspnego.

scripts/interop.sh runs this module twice: with LD_PRELOAD=libopensspi.so
(OPENSSPI_SSPILIB_MODE=preload), and with the bundled sspilib.libs/libsspi-*.so
replaced by opensspi in a copy of the package (OPENSSPI_SSPILIB_MODE=replaced).
"""

import os
import unittest

import spnego
import spnego.exceptions
import sspilib
import sspilib.raw as raw

from common import DOMAIN, PASSWORD, USER, ResultPeer, exchange_messages, make_user_file, run

MODE = os.environ.get("OPENSSPI_SSPILIB_MODE", "")
PRINCIPAL = "%s\\%s" % (DOMAIN, USER)
SEC_E_LOGON_DENIED = -2146893044


def setUpModule():
    global USER_FILE
    USER_FILE = make_user_file()


def tearDownModule():
    os.unlink(USER_FILE)


def mapped_libraries():
    with open("/proc/self/maps") as maps:
        return {line.split()[-1] for line in maps if line.rstrip().endswith(".so") or ".so." in line}


def credential(protocol, usage, password=PASSWORD):
    return sspilib.UserCredential(USER, password, domain=DOMAIN, protocol=protocol, usage=usage)


class Loading(unittest.TestCase):
    def test_calls_reach_opensspi(self):
        # opensspi lists Negotiate, Kerberos, NTLM and Schannel under its three names, with Windows' values.
        packages = raw.enumerate_security_packages()
        self.assertEqual([p.name for p in packages], ["Negotiate", "Kerberos", "NTLM", "Schannel", "Microsoft Unified Security Protocol Provider", "Default TLS SSP", "CREDSSP"])
        self.assertEqual(packages[0].comment, "Microsoft Package Negotiator")
        self.assertEqual((packages[0].rpcid, packages[0].max_token), (9, 48256))
        self.assertEqual((packages[1].rpcid, packages[1].max_token), (16, 48000))
        self.assertEqual(packages[1].comment, "Microsoft Kerberos V1.0")
        self.assertEqual((packages[2].rpcid, packages[2].max_token), (10, 2888))
        self.assertEqual(int(packages[2].capabilities), 0x82B37)

    def test_mode(self):
        libs = mapped_libraries()
        if MODE == "preload":
            # opensspi is mapped, and so is the bundled provider, whose
            # exports opensspi's interpose (test_calls_reach_opensspi).
            self.assertIn(os.path.realpath(os.environ["OPENSSPI_LIB"]), libs)
            self.assertTrue(any("/sspilib.libs/libsspi-" in p for p in libs), libs)
        elif MODE == "replaced":
            bundled = [p for p in libs if "/sspilib.libs/libsspi-" in p]
            self.assertEqual(len(bundled), 1, libs)
            with open(bundled[0], "rb") as f:
                replaced = f.read()
            with open(os.environ["OPENSSPI_LIB"], "rb") as f:
                self.assertEqual(replaced, f.read(), "the bundled provider was not replaced")
        else:
            self.fail("OPENSSPI_SSPILIB_MODE must be preload or replaced")


class BothSidesSspilib(unittest.TestCase):
    def pair(self, protocol, password=PASSWORD):
        client = sspilib.ClientSecurityContext(credential(protocol, "initiate", password), "HTTP/server.example")
        server = sspilib.ServerSecurityContext(credential(protocol, "accept"))
        run(client.step, server.step)
        return client, server

    def check(self, protocol):
        client, server = self.pair(protocol)
        self.assertTrue(client.complete and server.complete)
        exchange_messages(self, ResultPeer(client), ResultPeer(server))
        tampered = bytearray(client.wrap(b"tamper"))
        tampered[-1] ^= 1
        with self.assertRaises(sspilib.WindowsError):
            server.unwrap(bytes(tampered))
        names = raw.query_context_attributes(server, raw.SecPkgContextNames)
        self.assertEqual(names.username, PRINCIPAL)
        client_key = raw.query_context_attributes(client, raw.SecPkgContextSessionKey).session_key
        server_key = raw.query_context_attributes(server, raw.SecPkgContextSessionKey).session_key
        self.assertEqual(len(client_key), 16)
        self.assertEqual(client_key, server_key)
        info = raw.query_context_attributes(client, raw.SecPkgContextPackageInfo)
        self.assertEqual(info.name, "NTLM")
        sizes = raw.query_context_attributes(client, raw.SecPkgContextSizes)
        self.assertEqual((sizes.max_token, sizes.max_signature, sizes.block_size, sizes.security_trailer),
                         (2888, 16, 0, 16))

    def test_ntlm(self):
        self.check("NTLM")

    def test_negotiate(self):
        self.check("Negotiate")

    def test_wrong_password(self):
        for protocol in ("NTLM", "Negotiate"):
            with self.assertRaises(sspilib.WindowsError) as e:
                self.pair(protocol, password="wrong")
            self.assertEqual(e.exception.winerror, SEC_E_LOGON_DENIED, protocol)


class MixedWithPyspnego(unittest.TestCase):
    def test_sspilib_client_pyspnego_server(self):
        client = sspilib.ClientSecurityContext(credential("Negotiate", "initiate"), "HTTP/server.example")
        server = spnego.server(protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)
        run(client.step, server.step)
        self.assertTrue(client.complete and server.complete)
        self.assertEqual(server.client_principal, PRINCIPAL)
        exchange_messages(self, ResultPeer(client), ResultPeer(server))

    def test_pyspnego_client_sspilib_server(self):
        client = spnego.client(PRINCIPAL, PASSWORD, hostname="server.example", service="HTTP",
                               protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)
        server = sspilib.ServerSecurityContext(credential("Negotiate", "accept"))
        run(client.step, server.step)
        self.assertTrue(client.complete and server.complete)
        exchange_messages(self, ResultPeer(client), ResultPeer(server))

    def test_wrong_password_refused_by_sspilib_server(self):
        client = spnego.client(PRINCIPAL, "wrong", hostname="server.example", service="HTTP",
                               protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)
        server = sspilib.ServerSecurityContext(credential("Negotiate", "accept"))
        with self.assertRaises(sspilib.WindowsError) as e:
            run(client.step, server.step)
        self.assertEqual(e.exception.winerror, SEC_E_LOGON_DENIED)


if __name__ == "__main__":
    unittest.main(verbosity=2)

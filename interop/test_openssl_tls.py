"""Schannel against OpenSSL on loopback, with the throwaway certificates
of tests/data/tls: our HTTPS client example (examples/https_client.c)
against `openssl s_server`, and `openssl s_client` against our echo server
(examples/tls_server.c). TLS 1.2 and 1.3, mutual TLS, ALPN, close_notify
both ways, records split across reads, a transfer of several megabytes,
and a tampered record. OPENSSPI_EXAMPLES names the directory holding the
two programs, built against the installed library."""

import hashlib
import os
import ssl
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "tls")
BIN = os.environ.get("OPENSSPI_EXAMPLES", os.path.join(HERE, "..", "build", "examples", "stage"))
CA = os.path.join(DATA, "ca.pem")
ENV = dict(os.environ, SSL_CERT_FILE=CA, SSL_CERT_DIR="/nonexistent")


def data(name):
    return os.path.join(DATA, name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_port(path, timeout=10):
    """The port our server wrote to `path` once it listens."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        time.sleep(0.05)
    raise AssertionError("the server never wrote its port")


class Server:
    """`openssl s_server` with ARGS on a free loopback port, stopped by PID."""

    def __init__(self, *args, cwd=None, host="127.0.0.1"):
        self.port = free_port()
        cmd = ["openssl", "s_server", "-accept", "%s:%d" % (host, self.port), "-cert", data("server.pem"),
               "-key", data("server.key")] + list(args)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=cwd)
        # A probe connection would be taken as a client: wait for the
        # listening socket instead.
        deadline = time.time() + 10
        while time.time() < deadline and not self._listening():
            time.sleep(0.05)

    def _listening(self):
        with open("/proc/net/tcp") as f:
            return (":%04X" % self.port) in f.read()

    def stop(self):
        self.proc.kill()
        out, _ = self.proc.communicate()
        return out.decode(errors="replace")


def client(*args, port, host="localhost", path="/", env=ENV, timeout=60):
    """Runs our HTTPS client; (exit code, stdout bytes, stderr text)."""
    cmd = [os.path.join(BIN, "https_client")] + list(args) + [host, str(port), path]
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


class OurClientAgainstOpenSSL(unittest.TestCase):
    def fetch(self, *client_args, server_args=("-www",), **kw):
        server = Server(*server_args, **kw)
        try:
            return client(*client_args, port=server.port)
        finally:
            self.server_log = server.stop()

    def test_tls13_page(self):
        rc, out, err = self.fetch()
        self.assertEqual(rc, 0, err)
        self.assertIn(b"HTTP/1.0 200 ok", out)
        self.assertIn(b"Ciphers supported in s_server binary", out)
        self.assertIn("protocol=TLSv1.3 suite=TLS_AES_256_GCM_SHA384", err)
        self.assertIn("the server closed the connection", err)

    def test_tls12_page(self):
        rc, out, err = self.fetch("--tls12")
        self.assertEqual(rc, 0, err)
        self.assertIn(b"Ciphers supported in s_server binary", out)
        self.assertIn("protocol=TLSv1.2 suite=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", err)

    def test_tls12_only_server(self):
        rc, out, err = self.fetch(server_args=("-www", "-tls1_2"))
        self.assertEqual(rc, 0, err)
        self.assertIn("protocol=TLSv1.2", err)

    def test_mutual_tls(self):
        for version in ("-tls1_3", "-tls1_2"):
            rc, out, err = self.fetch("--cert", data("client.pem"), "--key", data("client.key"),
                                      server_args=("-www", version, "-Verify", "1", "-CAfile", CA))
            self.assertEqual(rc, 0, err)
            self.assertIn(b"opensspi test client", out, "s_server shows the client's certificate")

    def test_server_requires_a_certificate_the_client_lacks(self):
        # SEC_I_INCOMPLETE_CREDENTIALS, then the client goes on without
        # one; the server refuses it with an alert.
        rc, out, err = self.fetch(server_args=("-www", "-Verify", "1", "-CAfile", CA))
        self.assertNotEqual(rc, 0)
        self.assertIn("0x80090326", err, "SEC_E_ILLEGAL_MESSAGE: the server's fatal alert")

    def test_alpn(self):
        rc, out, err = self.fetch("--alpn", "h2,http/1.1",
                                  server_args=("-www", "-alpn", "http/1.1"))
        self.assertEqual(rc, 0, err)
        self.assertIn("alpn=http/1.1", err)

    def test_untrusted_and_wrong_name(self):
        env = dict(ENV, SSL_CERT_FILE=data("other-ca.pem"))
        server = Server("-www")
        try:
            rc, _, err = client(port=server.port, env=env)
        finally:
            server.stop()
        self.assertNotEqual(rc, 0)
        self.assertIn("0x80090325", err, "SEC_E_UNTRUSTED_ROOT")
        # 127.0.0.2 is loopback too, and not a name the certificate holds.
        server = Server("-www", host="127.0.0.2")
        try:
            rc, _, err = client(port=server.port, host="127.0.0.2")
        finally:
            server.stop()
        self.assertNotEqual(rc, 0)
        self.assertIn("0x80090322", err, "SEC_E_WRONG_PRINCIPAL")

    def test_several_megabytes_read_in_small_pieces(self):
        with tempfile.TemporaryDirectory() as web:
            big = os.urandom(5 * 1024 * 1024 + 123)
            small = big[:300 * 1024]
            # s_server -HTTP sends a file as it is: the file holds the
            # whole response.
            for name, body in (("big.bin", big), ("small.bin", small)):
                with open(os.path.join(web, name), "wb") as f:
                    f.write(b"HTTP/1.0 200 ok\r\nContent-type: application/octet-stream\r\n\r\n" + body)
            for args, path, body in (((), "/big.bin", big), (("--read-size", "7"), "/small.bin", small),
                                     (("--tls12", "--read-size", "1000"), "/big.bin", big)):
                server = Server("-HTTP", cwd=web)
                try:
                    rc, out, err = client(*args, port=server.port, path=path)
                finally:
                    server.stop()
                self.assertEqual(rc, 0, err)
                head, _, got = out.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.0 200 ok"), head[:100])
                self.assertEqual((len(got), hashlib.sha256(got).hexdigest()),
                                 (len(body), hashlib.sha256(body).hexdigest()))

    def test_tampered_record_is_refused_with_no_plaintext(self):
        """A proxy flips one bit in the server's first application-data
        record (TLS 1.2: after both Finished messages)."""
        server = Server("-www", "-tls1_2")
        proxy = socket.socket()
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(1)

        def relay():
            conn, _ = proxy.accept()
            up = socket.create_connection(("127.0.0.1", server.port))
            done = threading.Event()
            sockets.extend([conn, up])

            def pump(src, dst, tamper):
                buf = b""
                flipped = False
                try:
                    while True:
                        chunk = src.recv(65536)
                        if not chunk:
                            break
                        buf += chunk
                        out = b""
                        while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                            n = 5 + int.from_bytes(buf[3:5], "big")
                            rec, buf = buf[:n], buf[n:]
                            if tamper and rec[0] == 23 and not flipped:
                                rec = rec[:-1] + bytes([rec[-1] ^ 1])
                                flipped = True
                            out += rec
                        dst.sendall(out)
                except OSError:
                    pass
                done.set()

            threading.Thread(target=pump, args=(conn, up, False), daemon=True).start()
            threading.Thread(target=pump, args=(up, conn, True), daemon=True).start()
            done.wait(20)

        sockets = []
        t = threading.Thread(target=relay, daemon=True)
        t.start()
        try:
            rc, out, err = client(port=proxy.getsockname()[1])
        finally:
            server.stop()
            proxy.close()
            t.join(5)
            for s in sockets:
                s.close()
        self.assertNotEqual(rc, 0)
        self.assertIn("DecryptMessage failed: 0x80090330", err, "SEC_E_DECRYPT_FAILURE")
        self.assertNotIn(b"HTTP/1.0", out, "no plaintext of the tampered record")


class TlsUniqueAgainstPythonSsl(unittest.TestCase):
    """tls-unique (TLS 1.2), checked against Python's ssl module (OpenSSL's
    SSL_get_finished) on the other side, both ways."""

    def test_our_client(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(data("server.pem"), data("server.key"))
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        seen = {}

        def serve():
            conn, _ = listener.accept()
            with ctx.wrap_socket(conn, server_side=True) as tls:
                seen["unique"] = tls.get_channel_binding("tls-unique").hex()
                tls.recv(4096)
                tls.sendall(b"HTTP/1.0 200 ok\r\n\r\nhello")
                try:
                    tls.unwrap()
                except (OSError, ssl.SSLError):
                    pass

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            rc, out, err = client("--tls12", port=listener.getsockname()[1])
        finally:
            t.join(10)
            listener.close()
        self.assertEqual(rc, 0, err)
        self.assertIn("client: tls-unique=" + seen["unique"], err)

    def test_our_server(self):
        with tempfile.TemporaryDirectory() as tmp:
            port_file = os.path.join(tmp, "port")
            server = subprocess.Popen([os.path.join(BIN, "tls_server"), "--expect", "2", port_file,
                                       data("server.pem"), data("server.key")],
                                      stderr=subprocess.PIPE, env=ENV)
            try:
                ctx = ssl.create_default_context(cafile=CA)
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                with socket.create_connection(("127.0.0.1", read_port(port_file))) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                        unique = tls.get_channel_binding("tls-unique").hex()
                        tls.sendall(b"x\n")
                        tls.recv(16)
                _, err = server.communicate(timeout=30)
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
        self.assertIn("server: tls-unique=" + unique, err.decode())


class OpenSSLClientAgainstOurServer(unittest.TestCase):
    def serve(self, *server_args, client_args=(), stdin=b"", expect=None):
        with tempfile.TemporaryDirectory() as tmp:
            port_file = os.path.join(tmp, "port")
            args = list(server_args)
            if expect is not None:
                args += ["--expect", str(expect)]
            server = subprocess.Popen([os.path.join(BIN, "tls_server")] + args +
                                      [port_file, data("server.pem"), data("server.key")],
                                      stderr=subprocess.PIPE, env=ENV)
            try:
                port = read_port(port_file)
                cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername",
                       "localhost", "-CAfile", CA, "-verify_return_error", "-brief"] + list(client_args)
                if "-alpn" in client_args:
                    cmd.remove("-brief")
                c = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
                _, server_err = server.communicate(timeout=60)
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
            return c, server.returncode, server_err.decode(errors="replace")

    def test_tls13_and_tls12_echo(self):
        for version in ("-tls1_3", "-tls1_2"):
            msg = b"hello from openssl s_client\n"
            c, rc, err = self.serve(client_args=(version, "-ign_eof"), stdin=msg, expect=len(msg))
            self.assertEqual(rc, 0, err)
            self.assertEqual(c.returncode, 0, c.stderr)
            self.assertIn(msg, c.stdout)
            want = "TLSv1.3" if version == "-tls1_3" else "TLSv1.2"
            self.assertIn("protocol=" + want, err)
            self.assertIn("Protocol version: " + want, c.stderr.decode())

    def test_close_notify_from_the_client(self):
        # s_client sends close_notify when its input ends.
        for version in ("-tls1_3", "-tls1_2"):
            c, rc, err = self.serve(client_args=(version,), stdin=b"")
            self.assertEqual(rc, 0, err)
            self.assertIn("the client closed the connection", err)

    def test_several_megabytes_and_close_notify_from_the_server(self):
        body = os.urandom(4 * 1024 * 1024)
        c, rc, err = self.serve("--read-size", "3000", client_args=("-quiet",), stdin=body,
                                expect=len(body))
        self.assertEqual(rc, 0, err)
        self.assertEqual(hashlib.sha256(c.stdout).hexdigest(), hashlib.sha256(body).hexdigest())
        self.assertIn("echoed %d bytes" % len(body), err)

    def test_mutual_tls(self):
        c, rc, err = self.serve("--mutual", client_args=("-cert", data("client.pem"), "-key",
                                                         data("client.key"), "-ign_eof"),
                                stdin=b"x\n", expect=2)
        self.assertEqual(rc, 0, err)
        self.assertIn("server: client certificate", err)
        c, rc, err = self.serve("--mutual", client_args=("-ign_eof",), stdin=b"x\n", expect=2)
        self.assertEqual(rc, 0, err)
        self.assertIn("server: no client certificate", err)

    def test_alpn(self):
        c, rc, err = self.serve("--alpn", "h2,http/1.1",
                                client_args=("-alpn", "http/1.1,h2", "-ign_eof"), stdin=b"x\n",
                                expect=2)
        self.assertEqual(rc, 0, err)
        self.assertIn("alpn=h2", err)
        self.assertIn(b"ALPN protocol: h2", c.stdout)

    def test_tls12_only_server_refuses_a_tls13_only_client(self):
        c, rc, err = self.serve("--tls12", client_args=("-tls1_3",), stdin=b"x\n")
        self.assertNotEqual(rc, 0)
        self.assertIn("0x80090331", err, "SEC_E_ALGORITHM_MISMATCH")
        self.assertNotEqual(c.returncode, 0)


if __name__ == "__main__":
    unittest.main()

"""What the interop tests share: the account, the NTLM_USER_FILE that
pyspnego's server and our default credentials read, and a handshake
driver."""

import os
import tempfile

import spnego.channel_bindings

USER, DOMAIN, PASSWORD = "alice", "CORP", "Passw0rd!"


def make_user_file():
    """Writes the account to a temporary NTLM_USER_FILE and points the
    environment at it; returns its path."""
    fd, path = tempfile.mkstemp(prefix="opensspi-interop-")
    with os.fdopen(fd, "w") as f:
        f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    os.environ["NTLM_USER_FILE"] = path
    return path


def run(initiator_step, acceptor_step):
    """Drives a handshake: tokens go back and forth until both are done."""
    token = initiator_step(None)
    while token:
        token = acceptor_step(token)
        if token:
            token = initiator_step(token)


def gss_bindings(data):
    return spnego.channel_bindings.GssChannelBindings(application_data=data)


class ResultPeer:
    """A context whose wrap/unwrap return results with a `.data` field
    (pyspnego's, sspilib's unwrap) seen as bytes in, bytes out."""

    def __init__(self, ctx):
        self.ctx = ctx

    def wrap(self, data):
        wrapped = self.ctx.wrap(data)
        return getattr(wrapped, "data", wrapped)

    def unwrap(self, data):
        return self.ctx.unwrap(data).data

    def sign(self, data):
        return self.ctx.sign(data)

    def verify(self, data, signature):
        self.ctx.verify(data, signature)


def exchange_messages(test, client, server):
    """Three rounds of sealed messages and signatures each way between two
    established contexts (objects whose wrap/unwrap/sign/verify take and
    return bytes: an sspi.Context, or a ResultPeer)."""
    for i in range(3):
        msg = b"client to server %d" % i
        wrapped = client.wrap(msg)
        test.assertNotIn(msg, wrapped)
        test.assertEqual(server.unwrap(wrapped), msg)
        reply = b"server to client %d" % i
        wrapped = server.wrap(reply)
        test.assertNotIn(reply, wrapped)
        test.assertEqual(client.unwrap(wrapped), reply)
        server.verify(msg, client.sign(msg))
        client.verify(reply, server.sign(reply))


def check_our_acceptor(test, theirs, ours):
    """exchange_messages between pyspnego's initiator `theirs` and our
    acceptor `ours`, then a tampered message refused by ours with
    SEC_E_MESSAGE_ALTERED."""
    import sspi

    exchange_messages(test, ResultPeer(theirs), ours)
    tampered = bytearray(theirs.wrap(b"tamper me").data)
    tampered[20] ^= 1
    with test.assertRaises(sspi.SspiError) as e:
        ours.unwrap(bytes(tampered))
    test.assertEqual(e.exception.status, sspi.SEC_E_MESSAGE_ALTERED)

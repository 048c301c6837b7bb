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

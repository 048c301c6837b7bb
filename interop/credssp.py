"""CredSSP through opensspi's W table from Python (ctypes): CREDSSP_CRED
credentials around an SCH_CREDENTIALS and a SEC_WINNT_AUTH_IDENTITY_W, a
stream-style context (Schannel's [TOKEN, EMPTY] inputs, SECBUFFER_EXTRA),
the TLS channel's EncryptMessage/DecryptMessage, and the acceptor's
delegated credentials (SECPKG_ATTR_CREDS_2)."""

import ctypes
import os
import struct
from ctypes import POINTER, Structure, byref, c_uint32, c_void_p

import sspi
from sspi import SecBuffer, SecBufferDesc, SecHandle, SspiError, _wide

SECBUFFER_EMPTY, SECBUFFER_EXTRA, SECBUFFER_STREAM_HEADER, SECBUFFER_STREAM_TRAILER = 0, 5, 7, 6
SECBUFFER_ALERT = 17
SEC_E_INCOMPLETE_MESSAGE = 0x80090318 - (1 << 32)
SEC_E_UNSUPPORTED_FUNCTION = 0x80090302 - (1 << 32)
SEC_E_INVALID_HANDLE = 0x80090301 - (1 << 32)
SECPKG_ATTR_STREAM_SIZES = 4
SECPKG_ATTR_CREDS_2 = 0x80000086
SP_PROT_TLS1_3 = 0x3000
SP_PROT_TLS1_2 = 0x0C00
ISC_REQ_DELEGATE = 0x1
ISC_REQ_STREAM = 0x8000
ISC_FLAGS = 0x1 | 0x4 | 0x8 | 0x10 | 0x4000 | 0x8000  # the test suite's 0xC11D, without ALLOCATE_MEMORY
ASC_FLAGS = 0x1 | 0x4 | 0x8 | 0x10 | 0x8000 | 0x10000
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TLS = os.path.join(ROOT, "tests", "data", "tls")


class TlsParameters(Structure):
    _fields_ = [("cAlpnIds", c_uint32), ("rgstrAlpnIds", c_void_p), ("grbitDisabledProtocols", c_uint32),
                ("cDisabledCrypto", c_uint32), ("pDisabledCrypto", c_void_p), ("dwFlags", c_uint32)]


class SchCredentials(Structure):
    _fields_ = [("dwVersion", c_uint32), ("dwCredFormat", c_uint32), ("cCreds", c_uint32),
                ("paCred", c_void_p), ("hRootStore", c_void_p), ("cMappers", c_uint32),
                ("aphMappers", c_void_p), ("dwSessionLifespan", c_uint32), ("dwFlags", c_uint32),
                ("cTlsParameters", c_uint32), ("pTlsParameters", POINTER(TlsParameters))]


class CredsspCred(Structure):
    _fields_ = [("Type", c_uint32), ("pSchannelCred", c_void_p), ("pSpnegoCred", c_void_p)]


class StreamSizes(Structure):
    _fields_ = [("cbHeader", c_uint32), ("cbTrailer", c_uint32), ("cbMaximumMessage", c_uint32),
                ("cBuffers", c_uint32), ("cbBlockSize", c_uint32)]


class ClientCreds(Structure):
    _fields_ = [("AuthBufferLen", c_uint32), ("AuthBuffer", c_void_p)]


def certificate(lib, cert="rsa-server.pem", key="rsa-server.key"):
    """A CERT_CONTEXT with its key (OpenSspiCertificateFromFilesW)."""
    ctx = c_void_p()
    status = lib.lib.OpenSspiCertificateFromFilesW(_wide(os.path.join(TLS, cert)), _wide(os.path.join(TLS, key)),
                                                   byref(ctx))
    if status != 0:
        raise SspiError("OpenSspiCertificateFromFilesW", status)
    return ctx


def credentials(lib, use, user=None, domain=None, password=None, cert=None, disabled=0, submit=50):
    """AcquireCredentialsHandleW("CREDSSP") with a CREDSSP_CRED: an
    SCH_CREDENTIALS (the server's certificate, `disabled` protocols) and
    an explicit identity when `user` is given."""
    keep = []
    pa = None
    if cert is not None:
        pa = (c_void_p * 1)(cert)
        keep.append(pa)
    params = TlsParameters(0, None, disabled, 0, None, 0)
    sch = SchCredentials(5, 0, 1 if cert is not None else 0, ctypes.cast(pa, c_void_p) if pa else None,
                         None, 0, None, 0, 0, 1, ctypes.pointer(params))
    ident = None
    if user is not None:
        u, d, p = _wide(user), _wide(domain or ""), _wide(password or "")
        keep += [u, d, p]
        ident = sspi.Identity(ctypes.cast(u, c_void_p), len(user), ctypes.cast(d, c_void_p), len(domain or ""),
                              ctypes.cast(p, c_void_p), len(password or ""), 2)
    cred = CredsspCred(submit, ctypes.cast(ctypes.pointer(sch), c_void_p),
                       ctypes.cast(ctypes.pointer(ident), c_void_p) if ident else None)
    handle = SecHandle()
    status = lib.t.AcquireCredentialsHandleW(None, ctypes.cast(_wide("CREDSSP"), c_void_p), use, None, byref(cred),
                                             None, None, byref(handle), None)
    del keep
    if status != 0:
        raise SspiError("AcquireCredentialsHandleW", status)
    return sspi.Credentials(lib, handle)


class Stream(sspi.Context):
    """One side of a CredSSP exchange through the W table, called the way
    Schannel programs call it: [TOKEN, EMPTY] in, one TOKEN out, EXTRA
    bytes given again at once. Attributes as sspi.Context queries them."""

    def __init__(self, cred, initiator, target="TERMSRV/localhost", flags=None):
        self.cred, self.t, self.lib = cred, cred.lib.t, cred.lib
        self.initiator, self.target = initiator, target
        self.flags = flags if flags is not None else (ISC_FLAGS if initiator else ASC_FLAGS)
        self.handle = SecHandle()
        self.started = self.complete = False
        self.calls = []

    def _call(self, token):
        out_space = ctypes.create_string_buffer(65536)
        out = (SecBuffer * 2)(SecBuffer(len(out_space), sspi.SECBUFFER_TOKEN, ctypes.cast(out_space, c_void_p)),
                              SecBuffer(0, SECBUFFER_ALERT, None))
        out_desc = SecBufferDesc(0, 2, out)
        tb = ctypes.create_string_buffer(token or b"\0", max(len(token or b""), 1))
        ins = (SecBuffer * 2)(SecBuffer(len(token or b""), sspi.SECBUFFER_TOKEN, ctypes.cast(tb, c_void_p)),
                              SecBuffer(0, SECBUFFER_EMPTY, None))
        in_desc = SecBufferDesc(0, 2, ins)
        attrs = c_uint32()
        ctx = byref(self.handle) if self.started else None
        if self.initiator:
            status = self.t.InitializeSecurityContextW(
                byref(self.cred.handle), ctx, ctypes.cast(_wide(self.target), c_void_p), self.flags, 0, 0,
                byref(in_desc) if token is not None else None, 0, byref(self.handle), byref(out_desc),
                byref(attrs), None)
        else:
            status = self.t.AcceptSecurityContext(byref(self.cred.handle), ctx, byref(in_desc), self.flags, 0,
                                                  byref(self.handle), byref(out_desc), byref(attrs), None)
        self.calls.append(status)
        produced = out_space.raw[:out[0].cbBuffer]
        if status not in (0, sspi.SEC_I_CONTINUE_NEEDED):
            # A failure with nothing for the peer leaves the buffer as given.
            if out[0].cbBuffer == len(out_space):
                produced = b""
            raise SspiError("InitializeSecurityContextW" if self.initiator else "AcceptSecurityContext", status,
                            produced)
        self.started = True
        self.attrs = attrs.value
        self.complete = status == 0
        extra = ins[1].cbBuffer if ins[1].BufferType == SECBUFFER_EXTRA else 0
        return produced, (token[len(token) - extra:] if extra else b"")

    def step(self, token=None):
        """Every byte of `token` used; the bytes for the peer. An empty
        token (nothing arrived) is no call: there is nothing to read."""
        if token is not None and not token:
            return b""
        produced, extra = self._call(token)
        while extra:
            more, extra = self._call(extra)
            produced += more
        return produced

    def sizes(self):
        s = StreamSizes()
        status = self.t.QueryContextAttributesW(byref(self.handle), SECPKG_ATTR_STREAM_SIZES, byref(s))
        if status != 0:
            raise SspiError("QueryContextAttributesW", status)
        return s

    def wrap(self, data):
        s = self.sizes()
        out = b""
        for at in range(0, max(len(data), 1), s.cbMaximumMessage):
            chunk = data[at:at + s.cbMaximumMessage]
            buf = ctypes.create_string_buffer(s.cbHeader + len(chunk) + s.cbTrailer)
            ctypes.memmove(ctypes.addressof(buf) + s.cbHeader, chunk, len(chunk))
            base = ctypes.addressof(buf)
            arr = (SecBuffer * 4)(SecBuffer(s.cbHeader, SECBUFFER_STREAM_HEADER, c_void_p(base)),
                                  SecBuffer(len(chunk), sspi.SECBUFFER_DATA, c_void_p(base + s.cbHeader)),
                                  SecBuffer(s.cbTrailer, SECBUFFER_STREAM_TRAILER,
                                            c_void_p(base + s.cbHeader + len(chunk))),
                                  SecBuffer(0, SECBUFFER_EMPTY, None))
            status = self.t.EncryptMessage(byref(self.handle), 0, byref(SecBufferDesc(0, 4, arr)), 0)
            if status != 0:
                raise SspiError("EncryptMessage", status)
            out += buf.raw[:arr[0].cbBuffer + arr[1].cbBuffer + arr[2].cbBuffer]
        return out

    def unwrap(self, data):
        plain = b""
        while data:
            buf = ctypes.create_string_buffer(data, len(data))
            arr = (SecBuffer * 4)(SecBuffer(len(data), sspi.SECBUFFER_DATA, ctypes.cast(buf, c_void_p)),
                                  SecBuffer(0, SECBUFFER_EMPTY, None), SecBuffer(0, SECBUFFER_EMPTY, None),
                                  SecBuffer(0, SECBUFFER_EMPTY, None))
            status = self.t.DecryptMessage(byref(self.handle), byref(SecBufferDesc(0, 4, arr)), 0, None)
            if status != 0:
                raise SspiError("DecryptMessage", status)
            data = b""
            for b in arr:
                if b.BufferType == sspi.SECBUFFER_DATA:
                    plain += ctypes.string_at(b.pvBuffer, b.cbBuffer)
                elif b.BufferType == SECBUFFER_EXTRA:
                    data = ctypes.string_at(b.pvBuffer, b.cbBuffer)
        return plain

    def delegated(self):
        """SECPKG_ATTR_CREDS_2: (domain, user, password) from the packed
        KERB_INTERACTIVE_LOGON."""
        c = ClientCreds()
        status = self.t.QueryContextAttributesW(byref(self.handle), SECPKG_ATTR_CREDS_2, byref(c))
        if status != 0:
            raise SspiError("QueryContextAttributesW", status)
        raw = ctypes.string_at(c.AuthBuffer, c.AuthBufferLen)
        self.t.FreeContextBuffer(c.AuthBuffer)
        (kind,) = struct.unpack_from("<I", raw, 0)
        assert kind == 2, kind
        fields = []
        for at in (8, 24, 40):
            length, maximum, offset = struct.unpack_from("<HH4xQ", raw, at)
            assert maximum == length
            fields.append(raw[offset:offset + length].decode("utf-16-le"))
        return tuple(fields)

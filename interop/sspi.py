"""A small ctypes binding to an SSPI library (opensspi by default), through
InitSecurityInterfaceW's function table, for the interop tests.

The library is $OPENSSPI_LIB, else build/stage/lib/libopensspi.so.
"""

import ctypes
import os
import struct
from ctypes import POINTER, Structure, byref, c_size_t, c_uint16, c_uint32, c_int32, c_void_p

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB_PATH = os.environ.get("OPENSSPI_LIB", os.path.join(ROOT, "build/stage/lib/libopensspi.so"))

SEC_E_OK = 0
SEC_I_CONTINUE_NEEDED = 0x00090312
SEC_E_LOGON_DENIED = 0x8009030C - (1 << 32)
SEC_E_INVALID_TOKEN = 0x80090308 - (1 << 32)
SEC_E_MESSAGE_ALTERED = 0x8009030F - (1 << 32)
SEC_E_BAD_BINDINGS = 0x80090346 - (1 << 32)

SECPKG_CRED_INBOUND = 1
SECPKG_CRED_OUTBOUND = 2
SECBUFFER_DATA = 1
SECBUFFER_TOKEN = 2
SECBUFFER_PADDING = 9
SECBUFFER_STREAM = 10
SECBUFFER_CHANNEL_BINDINGS = 14
SECPKG_ATTR_NAMES = 1
SECPKG_ATTR_KEY_INFO = 5
SECPKG_ATTR_SESSION_KEY = 9
SECPKG_ATTR_NEGOTIATION_INFO = 12
SECPKG_NEGOTIATION_COMPLETE = 0

ISC_REQ_MUTUAL_AUTH = 0x2
ISC_REQ_REPLAY_DETECT = 0x4
ISC_REQ_SEQUENCE_DETECT = 0x8
ISC_REQ_CONFIDENTIALITY = 0x10
ISC_REQ_CONNECTION = 0x800
ISC_REQ_INTEGRITY = 0x10000
ISC_FLAGS = (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT
             | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
ASC_FLAGS = 0x10 | 0x20000 | 0x4 | 0x8 | 0x800


class SecHandle(Structure):
    _fields_ = [("dwLower", c_size_t), ("dwUpper", c_size_t)]


class SecBuffer(Structure):
    _fields_ = [("cbBuffer", c_uint32), ("BufferType", c_uint32), ("pvBuffer", c_void_p)]


class SecBufferDesc(Structure):
    _fields_ = [("ulVersion", c_uint32), ("cBuffers", c_uint32), ("pBuffers", POINTER(SecBuffer))]


class TimeStamp(Structure):
    _fields_ = [("LowPart", c_uint32), ("HighPart", c_int32)]


class Identity(Structure):
    _fields_ = [
        ("User", c_void_p), ("UserLength", c_uint32),
        ("Domain", c_void_p), ("DomainLength", c_uint32),
        ("Password", c_void_p), ("PasswordLength", c_uint32),
        ("Flags", c_uint32),
    ]


class SecPkgContextNamesW(Structure):
    _fields_ = [("sUserName", POINTER(c_uint16))]


class SecPkgContextKeyInfoW(Structure):
    _fields_ = [("sSignatureAlgorithmName", POINTER(c_uint16)), ("sEncryptAlgorithmName", POINTER(c_uint16)),
                ("KeySize", c_uint32), ("SignatureAlgorithm", c_uint32), ("EncryptAlgorithm", c_uint32)]


class SecPkgInfoW(Structure):
    _fields_ = [("fCapabilities", c_uint32), ("wVersion", c_uint16), ("wRPCID", c_uint16),
                ("cbMaxToken", c_uint32), ("Name", POINTER(c_uint16)), ("Comment", POINTER(c_uint16))]


class SecPkgContextNegotiationInfoW(Structure):
    _fields_ = [("PackageInfo", POINTER(SecPkgInfoW)), ("NegotiationState", c_uint32)]


class SecPkgContextSessionKey(Structure):
    _fields_ = [("SessionKeyLength", c_uint32), ("SessionKey", POINTER(ctypes.c_ubyte))]


def _fn(restype, *args):
    return ctypes.CFUNCTYPE(restype, *args)


P = c_void_p
# The W table's slots, in order (sspi.h SecurityFunctionTableW).
_SLOTS = [
    ("dwVersion", c_uint32),
    ("EnumerateSecurityPackagesW", P),
    ("QueryCredentialsAttributesW", _fn(c_int32, POINTER(SecHandle), c_uint32, c_void_p)),
    ("AcquireCredentialsHandleW", _fn(c_int32, c_void_p, c_void_p, c_uint32, c_void_p, c_void_p,
                                      c_void_p, c_void_p, POINTER(SecHandle), POINTER(TimeStamp))),
    ("FreeCredentialsHandle", _fn(c_int32, POINTER(SecHandle))),
    ("Reserved2", P),
    ("InitializeSecurityContextW", _fn(c_int32, POINTER(SecHandle), POINTER(SecHandle), c_void_p,
                                       c_uint32, c_uint32, c_uint32, POINTER(SecBufferDesc), c_uint32,
                                       POINTER(SecHandle), POINTER(SecBufferDesc), POINTER(c_uint32),
                                       POINTER(TimeStamp))),
    ("AcceptSecurityContext", _fn(c_int32, POINTER(SecHandle), POINTER(SecHandle),
                                  POINTER(SecBufferDesc), c_uint32, c_uint32, POINTER(SecHandle),
                                  POINTER(SecBufferDesc), POINTER(c_uint32), POINTER(TimeStamp))),
    ("CompleteAuthToken", P),
    ("DeleteSecurityContext", _fn(c_int32, POINTER(SecHandle))),
    ("ApplyControlToken", P),
    ("QueryContextAttributesW", _fn(c_int32, POINTER(SecHandle), c_uint32, c_void_p)),
    ("ImpersonateSecurityContext", P),
    ("RevertSecurityContext", P),
    ("MakeSignature", _fn(c_int32, POINTER(SecHandle), c_uint32, POINTER(SecBufferDesc), c_uint32)),
    ("VerifySignature", _fn(c_int32, POINTER(SecHandle), POINTER(SecBufferDesc), c_uint32,
                            POINTER(c_uint32))),
    ("FreeContextBuffer", _fn(c_int32, c_void_p)),
    ("QuerySecurityPackageInfoW", P),
    ("EncryptMessage", _fn(c_int32, POINTER(SecHandle), c_uint32, POINTER(SecBufferDesc), c_uint32)),
    ("DecryptMessage", _fn(c_int32, POINTER(SecHandle), POINTER(SecBufferDesc), c_uint32,
                           POINTER(c_uint32))),
    ("ExportSecurityContext", P),
    ("ImportSecurityContextW", P),
    ("AddCredentialsW", P),
    ("Reserved8", P),
    ("QuerySecurityContextToken", P),
    ("EncryptMessage2", P),
    ("DecryptMessage2", P),
    ("SetContextAttributesW", P),
    ("SetCredentialsAttributesW", _fn(c_int32, POINTER(SecHandle), c_uint32, c_void_p, c_uint32)),
]


class FunctionTableW(Structure):
    _fields_ = _SLOTS


class SspiError(Exception):
    """A failed call; `token` is what a failed handshake step still gave
    for the peer (SPNEGO's reject), else empty."""

    def __init__(self, call, status, token=b""):
        super().__init__("%s failed: 0x%08x" % (call, status & 0xFFFFFFFF))
        self.status = status
        self.token = token


def _unwide(p):
    """A NUL-terminated UTF-16 string as str."""
    chars = []
    while p[len(chars)]:
        chars.append(p[len(chars)])
    return "".join(map(chr, chars))


def _wide(s):
    return ctypes.create_string_buffer(s.encode("utf-16-le") + b"\0\0")


class Library:
    """One loaded SSPI library and its W function table."""

    def __init__(self, path=LIB_PATH):
        self.lib = ctypes.CDLL(path)
        self.lib.InitSecurityInterfaceW.restype = POINTER(FunctionTableW)
        self.t = self.lib.InitSecurityInterfaceW().contents

    def credentials(self, package, use, user=None, domain=None, password=None):
        """AcquireCredentialsHandleW; explicit identity when `user` is given."""
        handle = SecHandle()
        ident = None
        keep = []
        if user is not None:
            u, d, p = _wide(user), _wide(domain or ""), _wide(password or "")
            keep = [u, d, p]
            ident = Identity(ctypes.cast(u, c_void_p), len(user), ctypes.cast(d, c_void_p),
                             len(domain or ""), ctypes.cast(p, c_void_p), len(password or ""), 2)
        status = self.t.AcquireCredentialsHandleW(None, ctypes.cast(_wide(package), c_void_p), use, None,
                                                  byref(ident) if ident else None, None, None,
                                                  byref(handle), None)
        del keep
        if status != SEC_E_OK:
            raise SspiError("AcquireCredentialsHandleW", status)
        return Credentials(self, handle)


class Credentials:
    def __init__(self, lib, handle):
        self.lib, self.handle = lib, handle

    def __del__(self):
        self.lib.t.FreeCredentialsHandle(byref(self.handle))

    def set_kdc_proxy(self, server, flags=0):
        """SetCredentialsAttributesW(SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS):
        SecPkgCredentials_KdcProxySettingsW with `server` after it."""
        text = server.encode("utf-16-le")
        value = struct.pack("=IIHHHH", 1, flags, 16, len(text), 0, 0) + text
        buf = ctypes.create_string_buffer(value, len(value))
        status = self.lib.t.SetCredentialsAttributesW(byref(self.handle), 3, ctypes.cast(buf, c_void_p), len(value))
        if status != SEC_E_OK:
            raise SspiError("SetCredentialsAttributesW", status)


class Context:
    """One side of a handshake. `step(token)` returns the token to send,
    and sets `complete` when the context is established."""

    def __init__(self, cred, initiator, target="HTTP/server.example", bindings=None, flags=None):
        self.cred, self.lib, self.t = cred, cred.lib, cred.lib.t
        self.initiator, self.target, self.bindings = initiator, target, bindings
        self.flags = flags if flags is not None else (ISC_FLAGS if initiator else ASC_FLAGS)
        self.handle = SecHandle()
        self.started = False
        self.complete = False
        self.attrs = c_uint32(0)

    def step(self, token=None):
        out_space = ctypes.create_string_buffer(4096)
        out = SecBuffer(len(out_space), SECBUFFER_TOKEN, ctypes.cast(out_space, c_void_p))
        out_desc = SecBufferDesc(0, 1, ctypes.pointer(out))
        ins = []
        keep = []
        if token is not None:
            tb = ctypes.create_string_buffer(token, len(token))
            keep.append(tb)
            ins.append(SecBuffer(len(token), SECBUFFER_TOKEN, ctypes.cast(tb, c_void_p)))
        if self.bindings is not None:
            bb = ctypes.create_string_buffer(self.bindings, len(self.bindings))
            keep.append(bb)
            ins.append(SecBuffer(len(self.bindings), SECBUFFER_CHANNEL_BINDINGS, ctypes.cast(bb, c_void_p)))
        arr = (SecBuffer * max(len(ins), 1))(*ins)
        in_desc = SecBufferDesc(0, len(ins), arr) if ins else None
        ctx = byref(self.handle) if self.started else None
        if self.initiator:
            status = self.t.InitializeSecurityContextW(
                byref(self.cred.handle), ctx, ctypes.cast(_wide(self.target), c_void_p), self.flags, 0, 0x10,
                byref(in_desc) if in_desc else None, 0, byref(self.handle), byref(out_desc),
                byref(self.attrs), None)
        else:
            status = self.t.AcceptSecurityContext(
                byref(self.cred.handle), ctx, byref(in_desc), self.flags, 0x10, byref(self.handle),
                byref(out_desc), byref(self.attrs), None)
        if status not in (SEC_E_OK, SEC_I_CONTINUE_NEEDED):
            if self.started:
                self.t.DeleteSecurityContext(byref(self.handle))
                self.started = False
            raise SspiError("InitializeSecurityContextW" if self.initiator else "AcceptSecurityContext", status,
                            out_space.raw[:out.cbBuffer])
        self.started = True
        self.complete = status == SEC_E_OK
        return out_space.raw[:out.cbBuffer]

    def _message(self, data, sig_len=16):
        sig = ctypes.create_string_buffer(sig_len)
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        tok = SecBuffer(sig_len, SECBUFFER_TOKEN, ctypes.cast(sig, c_void_p))
        dat = SecBuffer(len(data), SECBUFFER_DATA, ctypes.cast(buf, c_void_p))
        arr = (SecBuffer * 2)(tok, dat)
        return sig, buf, arr, SecBufferDesc(0, 2, arr)

    def sizes(self):
        """SECPKG_ATTR_SIZES: (cbMaxToken, cbMaxSignature, cbBlockSize, cbSecurityTrailer)."""
        v = self._query(0, (c_uint32 * 4)())
        return tuple(v)

    def wrap(self, data, padding=False):
        """EncryptMessage: the TOKEN buffer then the ciphertext (pyspnego's
        wrap format for NTLM; the whole RFC 4121 Wrap token for Kerberos).
        With `padding`, over [TOKEN, DATA, PADDING] (cbBlockSize bytes),
        and the PADDING buffer's bytes follow: the whole RFC 4757 token."""
        max_token, _, block, trailer = self.sizes()
        sig, buf, arr, desc = self._message(data, trailer)
        if padding:
            pad = ctypes.create_string_buffer(block)
            arr = (SecBuffer * 3)(arr[0], arr[1], SecBuffer(block, SECBUFFER_PADDING, ctypes.cast(pad, c_void_p)))
            desc = SecBufferDesc(0, 3, arr)
        status = self.t.EncryptMessage(byref(self.handle), 0, byref(desc), 0)
        if status != SEC_E_OK:
            raise SspiError("EncryptMessage", status)
        out = sig.raw[:arr[0].cbBuffer] + buf.raw[:len(data)]
        return out + (pad.raw[:arr[2].cbBuffer] if padding else b"")

    def unwrap_stream(self, wrapped):
        """DecryptMessage over [STREAM, DATA]: the whole token in STREAM;
        DATA comes back pointing at the plaintext."""
        stream = ctypes.create_string_buffer(bytes(wrapped), len(wrapped))
        arr = (SecBuffer * 2)(SecBuffer(len(wrapped), SECBUFFER_STREAM, ctypes.cast(stream, c_void_p)),
                              SecBuffer(0, SECBUFFER_DATA, None))
        desc = SecBufferDesc(0, 2, arr)
        status = self.t.DecryptMessage(byref(self.handle), byref(desc), 0, None)
        if status != SEC_E_OK:
            raise SspiError("DecryptMessage", status)
        return ctypes.string_at(arr[1].pvBuffer, arr[1].cbBuffer)

    def unwrap(self, wrapped):
        sig, buf, arr, desc = self._message(wrapped[16:])
        ctypes.memmove(sig, wrapped[:16], 16)
        status = self.t.DecryptMessage(byref(self.handle), byref(desc), 0, None)
        if status != SEC_E_OK:
            raise SspiError("DecryptMessage", status)
        return buf.raw[:len(wrapped) - 16]

    def sign(self, data):
        sig, buf, arr, desc = self._message(data, self.sizes()[1])
        status = self.t.MakeSignature(byref(self.handle), 0, byref(desc), 0)
        if status != SEC_E_OK:
            raise SspiError("MakeSignature", status)
        return sig.raw[:arr[0].cbBuffer]

    def verify(self, data, signature):
        sig, buf, arr, desc = self._message(data, len(signature))
        ctypes.memmove(sig, signature, len(signature))
        status = self.t.VerifySignature(byref(self.handle), byref(desc), 0, None)
        if status != SEC_E_OK:
            raise SspiError("VerifySignature", status)

    def _query(self, attribute, value):
        status = self.t.QueryContextAttributesW(byref(self.handle), attribute, byref(value))
        if status != SEC_E_OK:
            raise SspiError("QueryContextAttributesW", status)
        return value

    def user_name(self):
        names = self._query(SECPKG_ATTR_NAMES, SecPkgContextNamesW())
        name = _unwide(names.sUserName)
        self.t.FreeContextBuffer(names.sUserName)
        return name

    def encrypt_algorithm(self):
        """SECPKG_ATTR_KEY_INFO's EncryptAlgorithm (Kerberos: the enctype)."""
        info = self._query(SECPKG_ATTR_KEY_INFO, SecPkgContextKeyInfoW())
        self.t.FreeContextBuffer(info.sSignatureAlgorithmName)
        self.t.FreeContextBuffer(info.sEncryptAlgorithmName)
        return info.EncryptAlgorithm

    def negotiation_info(self):
        """(package name, negotiation state) of SECPKG_ATTR_NEGOTIATION_INFO."""
        info = self._query(SECPKG_ATTR_NEGOTIATION_INFO, SecPkgContextNegotiationInfoW())
        name = _unwide(info.PackageInfo.contents.Name)
        self.t.FreeContextBuffer(info.PackageInfo)
        return name, info.NegotiationState

    def session_key(self):
        key = self._query(SECPKG_ATTR_SESSION_KEY, SecPkgContextSessionKey())
        value = bytes(key.SessionKey[:key.SessionKeyLength])
        self.t.FreeContextBuffer(key.SessionKey)
        return value

    def __del__(self):
        if self.started:
            self.t.DeleteSecurityContext(byref(self.handle))


def channel_bindings(application_data):
    """A SEC_CHANNEL_BINDINGS structure with only application data."""
    import struct
    header = struct.pack("<8I", 0, 0, 0, 0, 0, 0, len(application_data), 32)
    return header + application_data

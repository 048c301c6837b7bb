#!/usr/bin/env bash
# Runs a command inside a throwaway MIT Kerberos realm on loopback:
#
#   scripts/krb5-realm.sh COMMAND [ARGS...]
#
# Makes a temp dir with its own krb5.conf, kdc.conf, database, stash and acl
# file (nothing from /etc/krb5.conf or /etc/krb5kdc is read), creates the
# realm OPENSSPI.TEST with these principals
#
#   alice@OPENSSPI.TEST          password Passw0rd!alice  (keytab alice.keytab)
#   bob@OPENSSPI.TEST            password Passw0rd!bob
#   host/localhost@OPENSSPI.TEST random key               (keytab service.keytab)
#   HTTP/localhost@OPENSSPI.TEST random key               (keytab service.keytab)
#
# each with keys of five enctypes: aes256-cts-hmac-sha1-96 (18),
# aes128-cts-hmac-sha1-96 (17), aes128-cts-hmac-sha256-128 (19),
# aes256-cts-hmac-sha384-192 (20) and rc4-hmac (23), all with the default
# salt (realm + name, so alice's is "OPENSSPI.TESTalice"). It starts krb5kdc
# on a free port of 127.0.0.1 (UDP and TCP), runs the command with
#
#   KRB5_CONFIG, KRB5_KDC_PROFILE   the realm's krb5.conf and kdc.conf
#   KRB5CCNAME=FILE:$dir/ccache     (empty until the command runs kinit)
#   KRB5_KTNAME=FILE:$dir/service.keytab
#   KRB5RCACHEDIR=$dir              (acceptors' replay caches stay inside)
#   OPENSSPI_REALM_DIR=$dir  OPENSSPI_REALM=OPENSSPI.TEST
#   OPENSSPI_KDC_PORT  OPENSSPI_KDC_PID  (a test may kill the KDC on purpose)
#
# then stops the KDC by its PID and removes the dir (kept with
# OPENSSPI_KEEP_REALM=1), even when the command fails. It prints nothing but
# errors and exits with the command's status.
#
# rc4-hmac: Debian's krb5 1.20.1-2+deb12u4 and later carry the fix for
# CVE-2025-3576 (upstream 1.21's allow_rc4): the KDC no longer issues
# tickets with rc4-hmac session keys unless [libdefaults] allow_rc4 = true,
# which krb5.conf below sets (a client restricted to rc4-hmac then gets
# KDC_ERR_ETYPE_NOSUPP instead). allow_weak_crypto is not needed: rc4-hmac
# is "deprecated", not "weak".
#
# Checked with (commands as run inside the realm):
#
#   scripts/krb5-realm.sh sh -c 'echo Passw0rd!alice | kinit alice >/dev/null &&
#       klist -e && kvno host/localhost'
#
#   # rc4-hmac only (klist -e shows "Etype (skey, tkt): DEPRECATED:arcfour-hmac,
#   # aes256-cts-hmac-sha1-96": the TGT itself stays under krbtgt's aes256 key)
#   scripts/krb5-realm.sh sh -c 'sed "s/^\[libdefaults\]/&\n default_tkt_enctypes = rc4-hmac\n default_tgs_enctypes = rc4-hmac/" \
#       "$KRB5_CONFIG" > "$OPENSSPI_REALM_DIR/rc4.conf" &&
#       echo Passw0rd!alice | KRB5_CONFIG=$OPENSSPI_REALM_DIR/rc4.conf kinit alice >/dev/null &&
#       KRB5_CONFIG=$OPENSSPI_REALM_DIR/rc4.conf klist -e'
#
#   # MIT's GSS sample programs (gss-client reads the ccache kinit filled;
#   # 40123 stands for any free port; gss-server listens on all addresses,
#   # prints "starting...", then "Accepted connection: "alice@OPENSSPI.TEST""
#   # and "Received message: "hello"", and with -once exits after the one
#   # client; gss-client ends with "Signature verified."):
#   scripts/krb5-realm.sh sh -c '
#       echo Passw0rd!alice | kinit alice >/dev/null
#       gss-server -port 40123 -once -keytab "$OPENSSPI_REALM_DIR/service.keytab" host@localhost & s=$!
#       sleep 0.5
#       gss-client -port 40123 localhost host@localhost hello; rc=$?
#       [ $rc -eq 0 ] || kill $s; wait $s; exit $rc'
#
# Needs krb5-kdc, krb5-admin-server, krb5-user (scripts/install-deps.sh)
# and python3 (to find a free port).
set -euo pipefail

# krb5kdc, kdb5_util and kadmin.local live in /usr/sbin, which is not on a
# non-root user's PATH on Debian.
PATH="$PATH:/usr/sbin:/sbin"
realm=OPENSSPI.TEST
enctypes="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
enctypes+=" aes128-cts-hmac-sha256-128:normal aes256-cts-hmac-sha384-192:normal"
enctypes+=" rc4-hmac:normal"
# The same list for kadmin's -e, which wants it as one word.
enctypes_arg=${enctypes// /,}

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/opensspi-krb5.XXXXXX")
kdc_pid=""
cleanup() {
  local rc=$?
  if [ -n "$kdc_pid" ]; then
    # The command may have stopped the KDC already.
    kill "$kdc_pid" 2>/dev/null || true
    wait "$kdc_pid" 2>/dev/null || true
  fi
  if [ "${OPENSSPI_KEEP_REALM:-0}" = 1 ]; then
    echo "krb5-realm: kept $dir" >&2
  else
    rm -rf "$dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port free for both TCP and UDP on 127.0.0.1 (released again before the
# KDC binds it: a small race, harmless on a test machine).
port=$(python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
EOF
)

cat >"$dir/krb5.conf" <<EOF
[libdefaults]
 default_realm = $realm
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
 allow_rc4 = true
 permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128 aes256-cts-hmac-sha384-192 rc4-hmac

[realms]
 $realm = {
  kdc = 127.0.0.1:$port
 }

[domain_realm]
 localhost = $realm
EOF

# kdc_ports / kdc_tcp_ports (alias of kdc_listen / kdc_tcp_listen) take
# address:port, so the KDC listens on loopback only.
cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
 kdc_ports = 127.0.0.1:$port
 kdc_tcp_ports = 127.0.0.1:$port

[realms]
 $realm = {
  database_name = $dir/principal
  key_stash_file = $dir/stash
  acl_file = $dir/kadm5.acl
  master_key_type = aes256-cts-hmac-sha1-96
  # Principals require pre-authentication (as in Active Directory): the
  # first AS-REQ gets KDC_ERR_PREAUTH_REQUIRED. MIT's default is not to.
  default_principal_flags = +preauth
  supported_enctypes = $enctypes
 }

[logging]
 kdc = FILE:$dir/kdc.log
EOF
echo "*/admin@$realm *" >"$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf"
export KRB5_KDC_PROFILE="$dir/kdc.conf"

# The setup tools are chatty: their output goes to setup.log, shown only on
# failure.
setup() {
  if ! "$@" >>"$dir/setup.log" 2>&1; then
    echo "krb5-realm: failed: $*" >&2
    cat "$dir/setup.log" >&2
    exit 1
  fi
}
# The master password protects only this throwaway database (and is
# stashed): any random string will do.
master=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
setup kdb5_util -r "$realm" create -s -P "$master"
kadmin() { setup kadmin.local -r "$realm" -q "$1"; }
kadmin "addprinc -e $enctypes_arg -pw Passw0rd!alice alice"
kadmin "addprinc -e $enctypes_arg -pw Passw0rd!bob bob"
kadmin "addprinc -e $enctypes_arg -randkey host/localhost"
kadmin "addprinc -e $enctypes_arg -randkey HTTP/localhost"
kadmin "ktadd -k $dir/service.keytab -norandkey host/localhost HTTP/localhost"
kadmin "ktadd -k $dir/alice.keytab -norandkey alice"
# kadmin.local -q exits 0 even when its query fails: check the outcome.
setup_failed() {
  echo "krb5-realm: realm setup failed: $1" >&2
  cat "$dir/setup.log" >&2
  exit 1
}
principals=$(kadmin.local -r "$realm" -q getprincs 2>/dev/null)
for p in alice bob host/localhost HTTP/localhost; do
  grep -qx "$p@$realm" <<<"$principals" || setup_failed "no principal $p"
done
[ "$(klist -k "$dir/service.keytab" | grep -c "@$realm")" -eq 10 ] ||
  setup_failed "service.keytab lacks keys"
[ "$(klist -k "$dir/alice.keytab" | grep -c "@$realm")" -eq 5 ] ||
  setup_failed "alice.keytab lacks keys"

# -n: stay in the foreground (so $! is the KDC itself).
krb5kdc -n -r "$realm" >>"$dir/kdc.log" 2>&1 &
kdc_pid=$!

# Wait (at most 5 s) until the KDC accepts TCP connections.
for _ in $(seq 50); do
  if ! kill -0 "$kdc_pid" 2>/dev/null; then
    echo "krb5-realm: krb5kdc exited early; its log:" >&2
    cat "$dir/kdc.log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "krb5-realm: krb5kdc does not answer on 127.0.0.1:$port; its log:" >&2
  cat "$dir/kdc.log" >&2
  exit 1
fi

export KRB5CCNAME="FILE:$dir/ccache"
export KRB5_KTNAME="FILE:$dir/service.keytab"
export KRB5RCACHEDIR="$dir"
export OPENSSPI_REALM_DIR="$dir"
export OPENSSPI_REALM="$realm"
export OPENSSPI_KDC_PORT="$port"
export OPENSSPI_KDC_PID="$kdc_pid"

set +e
"$@"
status=$?
set -e
exit "$status"

#!/usr/bin/env bash
# A KDC proxy (MS-KKDCP) in front of the throwaway realm, for the duration
# of one command: run it inside scripts/krb5-realm.sh,
#
#   scripts/krb5-realm.sh scripts/kdc-proxy.sh CMD [ARGS...]
#
# It makes a throwaway CA and a certificate for localhost (openssl), and
# serves the kdcproxy WSGI module (PyPI, in build/venv) with gunicorn over
# TLS on a free loopback port, forwarding to the realm's KDC over TCP. CMD
# runs with OPENSSPI_KDC_PROXY (the proxy server as SSPI names it,
# localhost:PORT:KdcProxy) and OPENSSPI_KDC_PROXY_CA (the CA's PEM) set.
# gunicorn is stopped by PID whatever CMD's outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
: "${OPENSSPI_REALM_DIR:?run inside scripts/krb5-realm.sh}"
: "${OPENSSPI_KDC_PORT:?run inside scripts/krb5-realm.sh}"
venv="$here/build/venv"
[ -x "$venv/bin/gunicorn" ] || "$venv/bin/pip" install --quiet --disable-pip-version-check \
  -r "$here/interop/requirements-kdcproxy.txt"

dir="$OPENSSPI_REALM_DIR/kdcproxy"
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=opensspi throwaway CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null

cat >"$dir/kdcproxy.conf" <<CONF
[global]
use_dns = false

[${OPENSSPI_REALM:-OPENSSPI.TEST}]
kerberos = kerberos+tcp://127.0.0.1:$OPENSSPI_KDC_PORT
CONF

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KDCPROXY_CONFIG="$dir/kdcproxy.conf" "$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 \
  --certfile "$dir/server.pem" --keyfile "$dir/server.key" --log-level warning \
  --error-logfile "$dir/gunicorn.log" kdcproxy:application &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || { echo "kdc-proxy.sh: gunicorn did not start:"; cat "$dir/gunicorn.log"; exit 1; }
  sleep 0.1
done
export OPENSSPI_KDC_PROXY="localhost:$port:KdcProxy" OPENSSPI_KDC_PROXY_CA="$dir/ca.pem"
"$@"

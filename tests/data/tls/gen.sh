#!/bin/sh
# Regenerates the throwaway TLS material the unit tests use (never trust it
# anywhere): a CA, a server certificate for localhost and 127.0.0.1, a
# client certificate, an expired server certificate, and a second CA that
# signs nothing the tests trust. ECDSA P-256 keys; valid for 100 years.
set -eu
cd "$(dirname "$0")"
days=36500
openssl ecparam -name prime256v1 -genkey -noout -out ca.key.tmp
openssl pkcs8 -topk8 -nocrypt -in ca.key.tmp -out ca.key && rm ca.key.tmp
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/CN=opensspi test CA" -out ca.pem
mk() { # name subject san days
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key.tmp"
  openssl pkcs8 -topk8 -nocrypt -in "$1.key.tmp" -out "$1.key" && rm "$1.key.tmp"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    $4 -extfile "$1.ext" -out "$1.pem"
  rm "$1.csr" "$1.ext"
}
mk server "/CN=localhost" "DNS:localhost,IP:127.0.0.1" "-days $days"
mk client "/CN=opensspi test client" "DNS:client.test" "-days $days"
# An expired certificate: `openssl ca` sets dates in the past.
openssl ecparam -name prime256v1 -genkey -noout -out expired.key.tmp
openssl pkcs8 -topk8 -nocrypt -in expired.key.tmp -out expired.key && rm expired.key.tmp
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr
tmp=$(mktemp -d)
: > "$tmp/index"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $tmp/index
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
CNF
echo 01 > "$tmp/serial"
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key -in expired.csr \
  -startdate 20200101000000Z -enddate 20200102000000Z -notext -out expired.pem 2>/dev/null
rm -rf "$tmp" expired.csr
openssl ecparam -name prime256v1 -genkey -noout -out other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days $days -subj "/CN=opensspi other CA" -out other-ca.pem
rm -f other-ca.key ca.srl
# PKCS#12: the server's key and chain (PBES2, OpenSSL 3's default), and the
# client's with the legacy encryption (3DES and RC2, as older Windows
# exports); password "opensspi".
openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -passout pass:opensspi -out server.p12
openssl pkcs12 -export -legacy -in client.pem -inkey client.key -passout pass:opensspi -out client-legacy.p12
# An RSA-2048 server certificate (localhost, 127.0.0.1) for CredSSP peers
# that read the key as PKCS#1 RSAPublicKey (pyspnego).
mkrsa() { # name subject san
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days $days -extfile "$1.ext" -out "$1.pem"
  rm "$1.csr" "$1.ext"
}
mkrsa rsa-server "/CN=localhost" "DNS:localhost,IP:127.0.0.1"

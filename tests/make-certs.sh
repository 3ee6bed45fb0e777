#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make-certs.sh DIR: makes the certificates of the TLS tests in DIR, with
# the openssl command. Keys are P-256 and unencrypted; everything is valid
# for two days from now.
#
#   ca.pem                    the test CA
#   server.pem server.key     for localhost and 127.0.0.1, signed by the CA
#   client.pem client.key     a client certificate signed by the CA
#   other-ca.pem              a second CA, unrelated to the first
#   other-server.pem .key     for localhost and 127.0.0.1, signed by it
#   other-client.pem .key     a client certificate signed by it
set -eu

dir=$1
cd "$dir"

# No system configuration: everything the commands need is here
cat > openssl.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no

[dn]

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
export OPENSSL_CONF="$dir/openssl.cnf"

key () {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# ca NAME: a self-signed CA
ca () {
  key "$1.key"
  openssl req -new -x509 -config openssl.cnf -extensions ca -key "$1.key" \
    -subj "/CN=comlink-glib test $1" -days 2 -sha256 -out "$1.pem"
}

# leaf NAME CA SECTION CN: a certificate signed by CA
leaf () {
  key "$1.key"
  openssl req -new -config openssl.cnf -key "$1.key" -subj "/CN=$4" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
    -extfile openssl.cnf -extensions "$3" -days 2 -sha256 -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}

ca ca
leaf server ca server localhost
leaf client ca client "comlink-glib test client"
ca other-ca
leaf other-server other-ca server localhost
leaf other-client other-ca client "comlink-glib test client"

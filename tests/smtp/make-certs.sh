#!/bin/sh
# make-certs.sh OUTDIR
#
# Creates a throw-away test PKI for the SMTP integration tests:
#   OUTDIR/ca.pem      test CA certificate (CA:TRUE, keyCertSign) - the trust anchor
#   OUTDIR/server.pem  server certificate signed by that CA
#                      (SAN DNS:localhost, IP:127.0.0.1, IP:::1; CA:FALSE; EKU serverAuth)
#   OUTDIR/server.key  the server's private key (PKCS#8 PEM, EC P-256)
#
# rustls/webpki refuses a CA certificate used directly as the end-entity
# certificate, hence the two-level chain.  The CA private key is thrown away.
#
# Idempotent: when the three files exist, belong together, verify against each
# other and stay valid for at least another day, nothing is done.  Concurrent
# invocations on the same OUTDIR are serialised with flock(1) when available.
#
# Validity: from 3 days ago (clock skew) to 10 years from now.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

OUT=$1
OPENSSL=${OPENSSL:-openssl}
mkdir -p "$OUT"

# Serialise concurrent runs (e.g. several test binaries starting at once).
if [ -z "${MAKE_CERTS_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    MAKE_CERTS_LOCKED=1 exec flock "$OUT/.make-certs.lock" sh "$0" "$@"
fi

certs_ok() {
    for f in ca.pem server.pem server.key; do
        [ -s "$OUT/$f" ] || return 1
    done
    # chain, purpose, names, current validity window
    "$OPENSSL" verify -CAfile "$OUT/ca.pem" -purpose sslserver \
        -verify_hostname localhost -verify_ip 127.0.0.1 \
        "$OUT/server.pem" >/dev/null 2>&1 || return 1
    # not expiring within a day
    "$OPENSSL" x509 -in "$OUT/ca.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    "$OPENSSL" x509 -in "$OUT/server.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    # the key belongs to the certificate
    k=$("$OPENSSL" pkey -in "$OUT/server.key" -pubout 2>/dev/null) || return 1
    c=$("$OPENSSL" x509 -in "$OUT/server.pem" -noout -pubkey 2>/dev/null) || return 1
    [ -n "$k" ] && [ "$k" = "$c" ] || return 1
    return 0
}

if certs_ok; then
    exit 0
fi

# ASN.1 UTCTime, UTC.  GNU date first, then BSD date.
utc_time() { # $1: GNU relative spec, $2: BSD -v spec
    date -u -d "$1" +%y%m%d%H%M%SZ 2>/dev/null ||
        date -u -v"$2" +%y%m%d%H%M%SZ
}
START=$(utc_time '-3 days' '-3d')
END=$(utc_time '+3650 days' '+3650d')

WORK=$(mktemp -d "$OUT/.make-certs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

mkdir "$WORK/newcerts"
: >"$WORK/index.txt"
# positive serial, 16 bytes
echo "01$("$OPENSSL" rand -hex 15)" >"$WORK/serial"

cat >"$WORK/openssl.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
database        = $WORK/index.txt
new_certs_dir   = $WORK/newcerts
serial          = $WORK/serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no
preserve        = yes

[ policy_any ]
organizationName = optional
commonName       = supplied

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = placeholder

[ v3_ca ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer
EOF

CNF=$WORK/openssl.cnf
q() { # run quietly, show output only on failure
    if ! "$@" >"$WORK/log" 2>&1; then
        cat "$WORK/log" >&2
        echo "make-certs.sh: failed: $*" >&2
        exit 1
    fi
}

# --- CA (self-signed through `openssl ca` so the start date can be backdated)
q "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ca.key"
q "$OPENSSL" req -new -config "$CNF" -key "$WORK/ca.key" \
    -subj "/O=unanswered tests/CN=unanswered test CA" -out "$WORK/ca.csr"
q "$OPENSSL" ca -batch -config "$CNF" -selfsign -keyfile "$WORK/ca.key" \
    -in "$WORK/ca.csr" -extensions v3_ca -startdate "$START" -enddate "$END" \
    -notext -out "$WORK/ca.pem"

# --- server certificate signed by the CA
q "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/server.key"
q "$OPENSSL" req -new -config "$CNF" -key "$WORK/server.key" \
    -subj "/O=unanswered tests/CN=localhost" -out "$WORK/server.csr"
q "$OPENSSL" ca -batch -config "$CNF" -cert "$WORK/ca.pem" -keyfile "$WORK/ca.key" \
    -in "$WORK/server.csr" -extensions v3_server -startdate "$START" -enddate "$END" \
    -notext -out "$WORK/server.pem"

# sanity check before publishing
q "$OPENSSL" verify -CAfile "$WORK/ca.pem" -purpose sslserver \
    -verify_hostname localhost -verify_ip 127.0.0.1 "$WORK/server.pem"

chmod 0644 "$WORK/ca.pem" "$WORK/server.pem"
chmod 0600 "$WORK/server.key"
mv -f "$WORK/server.key" "$OUT/server.key"
mv -f "$WORK/server.pem" "$OUT/server.pem"
mv -f "$WORK/ca.pem" "$OUT/ca.pem"
echo "make-certs.sh: wrote $OUT/ca.pem $OUT/server.pem $OUT/server.key" >&2

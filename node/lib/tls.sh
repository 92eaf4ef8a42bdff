# shellcheck shell=bash
# TLS for clients that ask for sslmode=require. The certificate is self-signed, so clients can encrypt
# but not verify the server (verify-ca / verify-full are not available).
# A pair in PGDATA (made by Citus's CREATE EXTENSION or an earlier image) is kept; otherwise the node
# makes its own next to PGDATA, because on a fresh volume PGDATA must stay empty until initdb.

# Sets TLS_CERT_FILE and TLS_KEY_FILE.
ensure_tls_certificate() {
  if [[ -s $PGDATA/server.crt && -s $PGDATA/server.key ]]; then
    TLS_CERT_FILE=$PGDATA/server.crt
    TLS_KEY_FILE=$PGDATA/server.key
    return 0
  fi
  local dir
  dir="$(dirname "$PGDATA")/citus-node-tls"
  TLS_CERT_FILE=$dir/server.crt
  TLS_KEY_FILE=$dir/server.key
  if [[ -s $TLS_CERT_FILE && -s $TLS_KEY_FILE ]]; then
    return 0
  fi
  mkdir -p "$dir"
  chmod 0700 "$dir"
  if ! openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=citus-node-${CITUS_NODE_ROLE}" \
    -keyout "$TLS_KEY_FILE" -out "$TLS_CERT_FILE" >/dev/null 2>&1; then
    fail 1 '[tls-certificate-failed]' "openssl could not create a self-signed certificate in $dir"
  fi
  chmod 0600 "$TLS_KEY_FILE"
  give_to_postgres "$dir" "$TLS_CERT_FILE" "$TLS_KEY_FILE"
  say "created a self-signed TLS certificate in $dir"
}

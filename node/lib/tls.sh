# shellcheck shell=bash
# TLS for clients that ask for sslmode=require. The certificate is self-signed, so clients can encrypt
# but not verify the server (verify-ca / verify-full are not available).
# A pair in PGDATA (made by Citus's CREATE EXTENSION or an earlier image) is kept; otherwise the node
# makes its own next to PGDATA, because on a fresh volume PGDATA must stay empty until initdb.
# Sets TLS_CERT_FILE and TLS_KEY_FILE; writes citus-node-tls/ next to PGDATA. Reads CITUS_NODE_ROLE and PGDATA.
# Functions whose names start with _ are used only in this file.

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
  # Made in a new directory that is renamed into place, so a SIGKILL never leaves a key without its
  # certificate (or half of either).
  local parent temporary
  parent="$(dirname "$dir")"
  rm -rf "$dir" "$parent"/.citus-node-tls.*
  temporary="$(mktemp -d "$parent/.citus-node-tls.XXXXXX")"
  chmod 0700 "$temporary"
  if ! openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=citus-node-${CITUS_NODE_ROLE}" \
    -keyout "$temporary/server.key" -out "$temporary/server.crt" >/dev/null 2>&1; then
    rm -rf "$temporary"
    fail 1 '[tls-certificate-failed]' "openssl could not create a self-signed certificate in $dir"
  fi
  chmod 0600 "$temporary/server.key"
  give_to_postgres "$temporary" "$temporary/server.crt" "$temporary/server.key"
  mv -T "$temporary" "$dir"
  say "created a self-signed TLS certificate in $dir"
}

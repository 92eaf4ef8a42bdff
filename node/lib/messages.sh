# shellcheck shell=bash
# One place for everything the node scripts tell the operator. Errors and warnings carry a stable id in
# square brackets, which TROUBLESHOOTING.md documents; callers write the bracketed id literally on the
# calling line, so a grep finds every id.

say() {
  printf 'citus-node: %s\n' "$1"
}

# emit_message <error|warning> '[id]' <text>
emit_message() {
  printf 'citus-node: %s %s: %s\n' "$1" "$2" "$3" >&2
}

warn() {
  emit_message warning "$1" "$2"
}

# fail <exit-status> '[id]' <text>: 2 means bad configuration.
fail() {
  emit_message error "$2" "$3"
  exit "$1"
}

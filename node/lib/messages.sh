# shellcheck shell=bash
# One place for everything the node scripts tell the operator. Errors and warnings carry a stable id in
# square brackets, which TROUBLESHOOTING.md documents; callers write the bracketed id literally on the
# calling line, so a grep finds every id.
# Sets nothing; writes to stdout (say) and stderr (warn, fail).
# Functions whose names start with _ are used only in this file.

say() {
  printf 'citus-node: %s\n' "$1"
}

# _emit_message <error|warning> '[id]' <text>
_emit_message() {
  printf 'citus-node: %s %s: %s\n' "$1" "$2" "$3" >&2
}

warn() {
  _emit_message warning "$1" "$2"
}

# fail <exit-status> '[id]' <text>: 2 means bad configuration.
fail() {
  _emit_message error "$2" "$3"
  exit "$1"
}

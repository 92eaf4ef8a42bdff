# shellcheck shell=bash
# The quoting for values the node writes into postgresql.conf and into SQL statements.
# Sets and reads nothing.
# Functions whose names start with _ are used only in this file.

# single_quoted <text>: the text as a single-quoted literal with each ' doubled, which SQL (standard_conforming_strings
# is on by default) and postgresql.conf both read back as the text. Backslashes are kept: literal in SQL, but an
# escape in postgresql.conf, where the values written (paths, commands, point names) have none.
single_quoted() {
  printf "'%s'\n" "${1//\'/\'\'}"
}

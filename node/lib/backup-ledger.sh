# shellcheck shell=bash
# Reading pgBackRest's answers. The restore points the registrar creates are noted on the stanza's newest backup at
# the time, as annotations "<point name>=<UTC time>" (backup-command.sh record-point): the bucket itself then says
# which points exist, when each was made and which backup a restore to it starts from, even when every volume is lost.
# Sets nothing; reads pgBackRest's JSON (`pgbackrest info`) on stdin or from its arguments.
# Functions whose names start with _ are used only in this file.

# The first error pgBackRest printed (without its time stamp), with the S3 error code when there is one.
pgbackrest_error() {
  local output=$1 first code
  first="$(grep -m1 -E '(ERROR|WARN): \[' <<<"$output" | sed -E 's/^([0-9-]+ [0-9:.]+ +)?P[0-9]+ +//' || true)"
  code="$(grep -o -m1 -E '<Code>[^<]+</Code>' <<<"$output" | sed -E 's/<\/?Code>//g' || true)"
  first=${first:-$(head -n1 <<<"$output")}
  printf '%s%s\n' "${first:-no answer from the bucket in time (cut off after 2 x BACKUP_IO_TIMEOUT)}" "${code:+ ($code)}"
}

# stanza_status < info.json: "<code> <message>" of the stanza as pgBackRest's info reports it. info exits 0 even when
# it could not read the bucket at all (code 99, no backups listed), so its answer is only a list of backups when the
# code is 0 (ok) or 2 (no backup yet); 1 and 3 mean the stanza does not exist yet. The message is the repository's
# own (it names the failure; the stanza's says only "other").
stanza_status() {
  local json statuses code message
  json="$(cat)"
  statuses="$(grep -oE '"status":\{"code":[0-9]+,"message":"[^"]*"' <<<"$json" || true)"
  code="$(tail -n 1 <<<"$statuses" | sed -nE 's/.*"code":([0-9]+).*/\1/p')"
  message="$(grep -vE '"code":(0|2),' <<<"$statuses" | head -n 1 | sed -nE 's/.*"message":"([^"]*)"/\1/p')"
  message=${message%%\\n*} # its first line: the retries that follow repeat it
  printf '%s %s\n' "${code:-99}" "${message:-pgBackRest answered no stanza status}"
}

# True for the codes whose info lists the stanza's backups as they are (ok, or no backup yet).
stanza_readable() {
  [[ $1 == 0 || $1 == 2 ]]
}

# restore_point_ledger < info.json: one line "<time> <point> <backup label>" per noted restore point, oldest first.
# pgBackRest writes each backup's keys in alphabetical order, so a backup's "annotation" precedes its "label".
# (No {n} repetitions in the awk program: Debian's mawk does not take them.)
restore_point_ledger() {
  grep -oE '"annotation":\{[^}]*\}|"label":"[^"]+"' |
    awk '
      /^"annotation"/ {
        pending = ""
        rest = $0
        while (match(rest, /"[A-Za-z0-9][A-Za-z0-9_.:-]*":"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"/)) {
          pair = substr(rest, RSTART + 1, RLENGTH - 2)
          split(pair, kv, "\":\"")
          pending = pending kv[2] " " kv[1] "\n"
          rest = substr(rest, RSTART + RLENGTH)
        }
        next
      }
      /^"label"/ {
        label = $0
        sub(/^"label":"/, "", label)
        sub(/"$/, "", label)
        n = split(pending, lines, "\n")
        for (i = 1; i <= n; i++) if (lines[i] != "") print lines[i] " " label
        pending = ""
      }' | sort
}

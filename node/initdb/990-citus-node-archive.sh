#!/usr/bin/env bash
# The last init script of a first boot, run by the official entrypoint while its temporary server is up: the real
# server that follows archives WAL to the bucket (node/lib/backup.sh keeps the temporary one from archiving and sets
# BACKUP_FIRST_BOOT_ARCHIVE_FILE; a node without backups has none).
set -e
if [[ -n $BACKUP_FIRST_BOOT_ARCHIVE_FILE && -f $BACKUP_FIRST_BOOT_ARCHIVE_FILE ]]; then
  : >"$BACKUP_FIRST_BOOT_ARCHIVE_FILE"
fi

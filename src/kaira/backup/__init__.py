"""Portable backups (`kaira db backup` / `kaira db restore`) and the bulk loader they share with `kaira seed`.

`format` is the file (no database), `dump` writes it from a snapshot, `load` loads rows in bulk and
restores a file, `tables` knows the reflected tables and their id sequences on each database.
"""

CRON_EXAMPLE = (
    "Nightly, from cron (`%` must be written `\\%` in a crontab):\n\n"
    "0 3 * * * cd /srv/kaira && .venv/bin/kaira db backup /backups/kaira-$(date +\\%F).jsonl.gz"
)

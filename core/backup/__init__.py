"""Point-in-time recovery: hot backups, reading the binary log, restoring to a moment.

The binary log itself is written by `core.log.binlog` from what `core.sql.binlog_capture`
builds at each COMMIT; this package reads it, backs a database up and restores one.  It
sits above `core.api` (it opens databases the way a client does), beside `core.dump`.
The public call is `core.backup_database(source, dest)`: `core.backup` is this package.
"""

"""Start-up recovery, run by the composition root (`core.kv.Engine.open`) before the engine
serves: `recover` runs the steps `discover`, `scan`, `apply` and `clean_up` and returns a
`RecoveryResult`.

Beside the steps (`redo_apply`): `replay` (the batched second pass), `forced` (the
force_recovery levels, counting what a forced open skips, `discard_damaged_log`),
`spacenames` (table names for the reports), `summary` (the `RecoveryRecord` of an open),
`discovery` (`scan_directories`) and `history` (the recovery history)."""

from core.recovery.redo_apply import (
    RecoveryResult,
    RedoScan,
    apply,
    clean_up,
    discover,
    recover,
    scan,
)

__all__ = ["RecoveryResult", "RedoScan", "apply", "clean_up", "discover", "recover", "scan"]

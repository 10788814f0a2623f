"""Start-up recovery, run by the composition root (`core.kv.Engine.open`) before the engine
serves: `recover` runs the steps `discover`, `scan`, `apply` and `clean_up` and returns a
`RecoveryResult`."""

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

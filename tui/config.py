"""Console settings: defaults < config file < environment < command-line flags.

The config file is TOML at `$KINTSUGI_CONFIG`, else `<user config dir>/kintsugi/config.toml`
(`$XDG_CONFIG_HOME/kintsugi/config.toml` on Linux, usually `~/.config/kintsugi/config.toml`):

    theme = "ansi-dark"          # any Textual theme; "kintsugi" is the default
    max_rows = 1000000           # rows a result keeps (all rows are still counted)
    history_file = "~/my-history.jsonl"
    history_size = 5000          # entries kept in the history file

Environment: KINTSUGI_THEME, KINTSUGI_MAX_ROWS, KINTSUGI_HISTORY_FILE, KINTSUGI_HISTORY_SIZE.
The history file defaults to `<user data dir>/kintsugi/history.jsonl`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from typing import Any

APP_NAME = "kintsugi"
DEFAULT_THEME = "kintsugi"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    theme: str = DEFAULT_THEME
    max_rows: int = 1_000_000
    history_file: str = ""
    history_size: int = 5_000
    config_file: str = ""  # where the file settings came from ("" if none)
    sources: dict = field(default_factory=dict, compare=False)  # setting -> "file"/"env"/"flag"


def config_path() -> str:
    env = os.environ.get("KINTSUGI_CONFIG")
    if env:
        return os.path.expanduser(env)
    from platformdirs import user_config_dir

    return os.path.join(user_config_dir(APP_NAME), "config.toml")


def default_history_file() -> str:
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir(APP_NAME), "history.jsonl")


_ENV = {
    "theme": "KINTSUGI_THEME",
    "max_rows": "KINTSUGI_MAX_ROWS",
    "history_file": "KINTSUGI_HISTORY_FILE",
    "history_size": "KINTSUGI_HISTORY_SIZE",
}
_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any, origin: str) -> Any:
    kind = _TYPES[name]
    try:
        if kind in ("int", int):
            value = int(str(value).replace("_", ""))
            if value < 1:
                raise ValueError
            return value
        if not isinstance(value, str):
            raise ValueError
        return os.path.expanduser(value) if name == "history_file" else value
    except ValueError:
        raise ConfigError(f"{origin}: {name} must be a "
                          f"{'positive integer' if kind in ('int', int) else 'string'}, "
                          f"not {value!r}") from None


def load(flags: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the config file, then the environment, then `flags` (None = not given)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_path()
    used = ""
    if os.path.exists(path):
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read the config file {path}: {err}") from None
        used = path
        for key, value in data.items():
            if key not in _ENV:
                raise ConfigError(f"{path}: unknown setting {key!r} "
                                  f"(known: {', '.join(sorted(_ENV))})")
            values[key] = _coerce(key, value, path)
            sources[key] = "file"
    for key, var in _ENV.items():
        if environ.get(var):
            values[key] = _coerce(key, environ[var], f"${var}")
            sources[key] = "env"
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}")
            sources[key] = "flag"
    settings = replace(Settings(), **values, config_file=used, sources=sources)
    if not settings.history_file:
        settings = replace(settings, history_file=default_history_file())
    return settings

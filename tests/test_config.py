"""Layered settings: defaults < TOML file < AIFACTORIES_* environment < explicit arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifactories.config import load_settings
from aifactories.errors import ConfigError


def test_defaults_bind_loopback_on_8080() -> None:
    settings = load_settings(environ={})
    assert (settings.host, settings.port, settings.query_timeout) == ("127.0.0.1", 8080, 10.0)


def test_file_then_environment_then_arguments(tmp_path: Path) -> None:
    toml = tmp_path / "settings.toml"
    toml.write_text("[aifactories]\nport = 9000\nworkers = 3\nmax_rows = 50\n")
    env = {"AIFACTORIES_CONFIG": str(toml), "AIFACTORIES_WORKERS": "4"}
    settings = load_settings({"max_rows": 7}, environ=env)
    assert (settings.port, settings.workers, settings.max_rows) == (9000, 4, 7)


def test_environment_lists_are_split() -> None:
    env = {"AIFACTORIES_SERVICE_ALLOWLIST": "http://a.example/sparql http://b.example/sparql"}
    assert load_settings(environ=env).service_allowlist == (
        "http://a.example/sparql",
        "http://b.example/sparql",
    )


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(config_file=str(toml), environ={})


def test_base_iri_must_end_with_slash() -> None:
    with pytest.raises(ConfigError, match="end with '/'"):
        load_settings({"base_iri": "https://example.org/kg"}, environ={})


def test_bad_number_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="query_timeout"):
        load_settings(environ={"AIFACTORIES_QUERY_TIMEOUT": "soon"})

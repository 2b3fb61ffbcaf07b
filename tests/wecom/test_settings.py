"""Settings from the environment, a TOML or .env file, with the secret kept secret."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.wecom.settings import DEFAULT_BASE, load_settings

ENV = {"WECOM_CORP_ID": "ww-env", "WECOM_CORP_SECRET": "env-secret-000"}


def test_environment_with_defaults():
    s = load_settings(environ=ENV)
    assert (s.corp_id, s.api_base, s.tz, s.window_seconds) == ("ww-env", DEFAULT_BASE,
                                                               "Asia/Shanghai", 60.0)
    assert s.corp_secret.get_secret_value() == "env-secret-000"
    assert "env-secret-000" not in repr(s) and "env-secret-000" not in str(s)
    assert s.limits["checkin/getcheckin_monthdata"] == 60


def test_toml_file_then_environment_overrides(tmp_path):
    path = tmp_path / "wecom.toml"
    path.write_text('[wecom]\ncorp_id = "ww-file"\ncorp_secret = "file-secret"\n'
                    'agent_id = "1000002"\nwindow_seconds = 2.0\n'
                    '[wecom.limits]\n"checkin/getcheckin_monthdata" = 30\n', "utf-8")
    s = load_settings(path, environ={"WECOM_CORP_ID": "ww-env"})
    assert (s.corp_id, s.agent_id, s.window_seconds) == ("ww-env", "1000002", 2.0)
    assert s.limits["checkin/getcheckin_monthdata"] == 30
    assert s.limits["checkin/getcheckin_daydata"] == 100


def test_dotenv_file_named_by_wecom_config(tmp_path):
    path = tmp_path / "wecom.env"
    path.write_text("WECOM_CORP_ID=ww-dot\nWECOM_CORP_SECRET=dot-secret\n"
                    "WECOM_API_BASE=http://127.0.0.1:9/\n", "utf-8")
    s = load_settings(environ={"WECOM_CONFIG": str(path)})
    assert (s.corp_id, s.api_base) == ("ww-dot", "http://127.0.0.1:9")


def test_limits_from_the_environment_are_json():
    s = load_settings(environ={**ENV, "WECOM_LIMITS": '{"checkin/getcheckin_monthdata": 10}'})
    assert s.limits["checkin/getcheckin_monthdata"] == 10
    with pytest.raises(ConfigError, match="WECOM_LIMITS"):
        load_settings(environ={**ENV, "WECOM_LIMITS": "ten"})


@pytest.mark.parametrize("env, name", [({}, "WECOM_CORP_ID"),
                                       ({"WECOM_CORP_ID": "x", "WECOM_CORP_SECRET": ""},
                                        "WECOM_CORP_SECRET"),
                                       ({**ENV, "WECOM_WINDOW_SECONDS": "0"},
                                        "WECOM_WINDOW_SECONDS")])
def test_bad_settings_name_the_variable(env, name):
    with pytest.raises(ConfigError, match=name):
        load_settings(environ=env)


def test_missing_config_file():
    with pytest.raises(ConfigError, match="not found"):
        load_settings("/nonexistent/wecom.toml", environ={})


def test_os_environ_does_not_leak_behind_an_injected_one(monkeypatch):
    monkeypatch.setenv("WECOM_CORP_ID", "from-os")
    monkeypatch.setenv("WECOM_CORP_SECRET", "os-secret")
    assert load_settings(environ=ENV).corp_id == "ww-env"
    assert load_settings().corp_id == "from-os"


def test_a_mistyped_key_in_the_file_names_the_key_meant(tmp_path):
    path = tmp_path / "payroll.toml"
    path.write_text('[wecom]\ncorp_id = "ww1"\ncorp_secert = "s"\n')
    with pytest.raises(ConfigError, match=r"'corp_secert'.*did you mean 'corp_secret'"):
        load_settings(path, environ={})


def test_a_mistyped_variable_is_named_when_the_real_one_is_missing():
    with pytest.raises(ConfigError, match="WECOM_CORP_SECERT is set instead"):
        load_settings(environ={"WECOM_CORP_ID": "ww1", "WECOM_CORP_SECERT": "s"})


def test_a_company_folder_states_its_time_zone_under_company(tmp_path):
    path = tmp_path / "payroll.toml"
    path.write_text('[company]\nname = "A"\ntz = "Asia/Urumqi"\n[wecom]\ncorp_id = "ww1"\n')
    assert load_settings(path, environ={"WECOM_CORP_SECRET": "s"}).tz == "Asia/Urumqi"

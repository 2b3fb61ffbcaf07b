"""The payslips' company: --company, the run folder's kept identity, the settings file."""

import json

import pytest

from engine.errors import ConfigError
from engine.payslip.identity import KEPT, CompanyIdentity, from_settings_file, resolve


def settings(tmp_path, text):
    path = tmp_path / "payroll.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_company_anywhere_is_refused_with_how_to_set_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        resolve(tmp_path / "run", name=None, settings_file=None)
    assert "--company" in str(caught.value) and "[company]" in str(caught.value)
    assert caught.value.exit_code == 2
    with pytest.raises(ConfigError):
        resolve(tmp_path / "run", name="  ", settings_file=settings(tmp_path, "[company]\nname = ''\n"))


def test_the_settings_file_gives_name_address_and_logo(tmp_path):
    path = settings(tmp_path, '[company]\nname = "青山科技"\naddress = "杭州"\nlogo = "l.png"\n'
                              'city = "杭州"\n[wecom]\ncorp_id = "ww1"\n')
    found = resolve(tmp_path / "run", name=None, settings_file=path)
    assert found == CompanyIdentity(name="青山科技", logo="l.png", address="杭州")
    # the same name on the command line keeps the file's address; another name does not
    assert resolve(tmp_path / "run", name="青山科技", settings_file=path).address == "杭州"
    assert resolve(tmp_path / "run", name="别家", settings_file=path).address is None
    assert from_settings_file(settings(tmp_path, "[wecom]\ncorp_id = 'x'\n")) is None


def test_a_rerun_keeps_the_company_the_folder_kept(tmp_path):
    run = tmp_path / "run"
    (run / "inputs").mkdir(parents=True)
    (run / KEPT).write_bytes(CompanyIdentity(name="青山科技", address="杭州").kept())
    assert resolve(run, name=None).address == "杭州"
    assert resolve(run, name="新名字").name == "新名字"  # the command line wins
    (run / KEPT).unlink()
    (run / "manifest.json").write_text(json.dumps({"company": "旧公司"}), encoding="utf-8")
    assert resolve(run, name=None).name == "旧公司"


def test_a_broken_settings_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        from_settings_file(settings(tmp_path, "[company\nname = 1"))

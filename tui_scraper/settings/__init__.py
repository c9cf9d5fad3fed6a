"""The crawl settings: one schema (`schema.py`), its rules, and adapters per front end.

The engine, the store and the service import `Settings` from here. The schema and its
text form import no front end; the command-line adapter is `tui_scraper.settings.flags`
(argparse and the environment), imported only by the command line and `serve`.
"""

from __future__ import annotations

from tui_scraper.settings.rules import (
    MASKED_CREDENTIALS,
    SettingError,
    check_ca_bundle,
    check_fields,
    check_no_controls,
    flag_name,
    has_masked_credentials,
    mask_credentials,
    parse_cluster_address,
    parse_connect_to,
    parse_header,
)
from tui_scraper.settings.schema import (
    DEFAULT_ACCEPT_LANGUAGE,
    DEFAULT_USER_AGENT,
    MAX_PER_DOMAIN,
    SETTINGS,
    Setting,
    Settings,
    check_value,
    number_text,
    setting,
    setting_help,
    settings_schema,
)
from tui_scraper.settings.text import parse_setting, split_entries, text_of, value_from_text

__all__ = [
    "DEFAULT_ACCEPT_LANGUAGE",
    "DEFAULT_USER_AGENT",
    "MASKED_CREDENTIALS",
    "MAX_PER_DOMAIN",
    "SETTINGS",
    "Setting",
    "SettingError",
    "Settings",
    "check_ca_bundle",
    "check_fields",
    "check_no_controls",
    "check_value",
    "flag_name",
    "has_masked_credentials",
    "mask_credentials",
    "number_text",
    "parse_cluster_address",
    "parse_connect_to",
    "parse_header",
    "parse_setting",
    "setting",
    "setting_help",
    "settings_schema",
    "split_entries",
    "text_of",
    "value_from_text",
]

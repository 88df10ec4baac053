"""Settings come from the environment and fail loudly when they are unsafe.

Each test reads the settings in a fresh Python process whose environment holds only what
the test sets (and what any process needs to start), so neither the shell that runs the
tests nor an earlier test can change what the settings see.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a process needs to start and nothing that lvm_site.settings reads.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {k: os.environ[k] for k in INHERITED if k in os.environ}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "lvm_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _check(env: dict, *args: str) -> subprocess.CompletedProcess:
    return _run(env, "manage.py", "check", *args)


def test_missing_secret_key_with_debug_off_is_a_clear_error():
    result = _check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_bad_boolean_is_a_clear_error():
    result = _check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x7" * 30 + "-production-like-secret",
            "ALLOWED_HOSTS": "lvm.example.com",
            "SITE_URL": "https://lvm.example.com",
            "ORGANISATION_NAME": "Acme Ltd",
            "DEFAULT_FROM_EMAIL": "LVM <lvm@example.com>",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_asks_for_site_url_and_the_mails_sender():
    """Without them, links in invitations would point at a developer's machine, and the
    mails would come from lvm@localhost in the name of "Our organisation"."""
    result = _check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x7" * 30 + "-production-like-secret",
            "ALLOWED_HOSTS": "lvm.example.com",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert "SITE_URL is not set" in output
    assert "ORGANISATION_NAME is not set" in output and "(assessments.W002)" in output
    assert "DEFAULT_FROM_EMAIL is not set" in output and "(assessments.W003)" in output


def test_database_url_switches_to_postgresql():
    code = "from lvm_site import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = _run({"DATABASE_URL": "postgres://u@db.example:5432/lvm"}, "-c", code)
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr

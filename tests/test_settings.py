"""Settings come from the environment and fail loudly when they are unsafe."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


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
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_url_switches_to_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    env = {**os.environ, "DATABASE_URL": "postgres://u@db.example:5432/lvm"}
    env.pop("DEBUG", None)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'lvm_site.settings');"
            f"django.setup(); {code}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "django.db.backends.postgresql"

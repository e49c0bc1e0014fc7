"""The operator's files (Dockerfile, compose.yaml, .env.example) agree with the settings and with each other.

Docker itself is not needed: the files are read as text and YAML, and the health check's own
command is run against the bot's web app on loopback.
"""

import asyncio
import fnmatch
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import make_url

from bot.settings import REPOSITORY, Settings
from bot.web import create_web_app
from fakes.loopback import LoopbackServer

ROOT = REPOSITORY
RUN_REQUIRES = {"TELEGRAM_BOT_TOKEN"}
"""Settings with a default in the model that `outreach-bot run` still refuses to start without (require_telegram_token)."""
NOT_SETTINGS = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
"""What the image's last stage sets for Python itself rather than for the bot."""
_ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")
_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?\}")


def setting_names() -> set[str]:
    """The environment variables Settings reads: its fields' names, upper-cased, after the prefix (none today)."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        names.add((alias or prefix + name).upper())
    return names


def example_lines() -> list[tuple[str, str, bool]]:
    """(name, value, active) for each `NAME=value` line of .env.example, `# NAME=value` ones too (active False)."""
    found = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            found.append((match[1], match[2], not line.lstrip().startswith("#")))
    return found


def example_values() -> dict[str, str]:
    return {name: value for name, value, active in example_lines() if active}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, as `docker compose` fills them from .env."""

    def value(match: re.Match) -> str:
        name, kind, rest = match[1], match[2], match[3]
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise AssertionError(f"compose.yaml needs {name}: {rest}")
        return rest if kind == "-" else ""

    return _VARIABLE.sub(value, text)


def compose_required_variables() -> set[str]:
    return {match[1] for match in _VARIABLE.finditer((ROOT / "compose.yaml").read_text()) if match[2] == "?"}


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, (INSTRUCTION, arguments), continued lines joined, one list per FROM."""
    stages: list[list[tuple[str, str]]] = [[]]
    logical = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        instruction, _, arguments = (logical + line).strip().partition(" ")
        logical = ""
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def last_stage() -> list[tuple[str, str]]:
    return dockerfile_stages()[-1]


def instructions(name: str, stage: list[tuple[str, str]] | None = None) -> list[str]:
    everything = [pair for each in dockerfile_stages() for pair in each] if stage is None else stage
    return [arguments for instruction, arguments in everything if instruction == name]


def image_environment() -> dict[str, str]:
    """The ENV of the image's last stage (`ENV A=1 B=2`)."""
    environment = {}
    for arguments in instructions("ENV", last_stage()):
        for pair in arguments.split():
            name, _, value = pair.partition("=")
            environment[name] = value
    return environment


def healthcheck_command() -> list[str]:
    (arguments,) = instructions("HEALTHCHECK", last_stage())
    return json.loads(arguments[arguments.index("CMD") + len("CMD") :])


def ignored_by_docker(path: str) -> bool:
    """Whether a .dockerignore line (not an exception, `!`) matches the path or a folder above it."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith(("#", "!"))]
    parts = Path(path).parts
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    return any(fnmatch.fnmatch(candidate, pattern.removeprefix("**/")) or fnmatch.fnmatch(candidate, pattern) for pattern in patterns for candidate in candidates)


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_has_a_bot_and_a_postgres_service():
    services = compose()["services"]
    assert {"bot", "postgres"} <= set(services)
    assert services["bot"]["build"] == "."
    assert services["postgres"]["image"].startswith("postgres:")


def test_bot_reads_the_operators_dotenv():
    env_file = compose()["services"]["bot"]["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)


def test_bot_database_is_the_postgres_service_through_asyncpg():
    services = compose()["services"]
    postgres = {name: interpolate(str(value), example_values()) for name, value in services["postgres"]["environment"].items()}
    url = make_url(interpolate(services["bot"]["environment"]["DATABASE_URL"], example_values()))
    assert url.drivername == "postgresql+asyncpg"
    assert url.host == "postgres" and url.port in (None, 5432)
    assert (url.username, url.password, url.database) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"])


def test_bot_starts_once_postgres_is_healthy():
    services = compose()["services"]
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_both_services_restart_unless_stopped():
    assert {service["restart"] for service in compose()["services"].values()} == {"unless-stopped"}


def test_database_files_live_in_a_named_volume():
    document = compose()
    source, _, target = document["services"]["postgres"]["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data" and source in document["volumes"]


def test_sent_journal_lives_in_the_bots_named_volume():
    document = compose()
    bot = document["services"]["bot"]
    journal = Path(bot["environment"]["SENT_JOURNAL"])
    mounts = [volume.split(":") for volume in bot["volumes"]]
    assert any(source in document["volumes"] and journal.is_relative_to(target) for source, target, *_ in mounts)


def test_image_keeps_its_own_state_in_the_data_folder_too():
    environment = image_environment()
    assert Path(environment["SENT_JOURNAL"]).is_relative_to("/data")
    assert make_url(environment["DATABASE_URL"]).database.startswith("/data/")
    assert instructions("WORKDIR", last_stage())[-1] == "/data"


def test_web_server_is_published_on_loopback_at_the_settings_default_port():
    default = Settings.model_fields["http_port"].default
    (published,) = compose()["services"]["bot"]["ports"]
    assert interpolate(published, {}) == f"127.0.0.1:{default}:{default}"
    assert instructions("EXPOSE", last_stage()) == [str(default)]
    assert image_environment()["HTTP_PORT"] == str(default)


def test_web_server_listens_beyond_the_container_loopback():
    assert compose()["services"]["bot"]["environment"]["HTTP_HOST"] == "0.0.0.0"
    assert image_environment()["HTTP_HOST"] == "0.0.0.0"


# --- .env.example ---------------------------------------------------------------------------


def test_every_name_in_the_env_example_is_a_setting_or_a_compose_variable():
    unknown = {name for name, _value, _active in example_lines()} - setting_names() - compose_required_variables()
    assert not unknown, f"not settings of bot.settings.Settings nor variables of compose.yaml: {sorted(unknown)}"


def test_every_required_value_is_an_active_line_of_the_env_example():
    without_default = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    missing = (without_default | RUN_REQUIRES | compose_required_variables()) - set(example_values())
    assert not missing


def test_env_example_gives_obvious_placeholders_for_every_secret():
    secrets = {name.upper() for name, field in Settings.model_fields.items() if SecretStr in getattr(field.annotation, "__args__", (field.annotation,))}
    secrets |= {"POSTGRES_PASSWORD"}
    for name, value, _active in example_lines():
        if name in secrets:
            assert value.startswith("replace-with-"), name


def test_env_example_holds_nothing_shaped_like_a_real_token():
    text = (ROOT / ".env.example").read_text()
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", text)  # a Telegram bot token
    assert not re.search(r"EAA[A-Za-z0-9]{20,}", text)  # a Meta access token


def test_settings_the_image_and_compose_set_are_real_settings():
    named = set(image_environment()) - NOT_SETTINGS
    named |= set(compose()["services"]["bot"]["environment"])
    assert named <= setting_names()


def test_dotenv_reaches_neither_git_nor_the_image():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ignored_by_docker(".env")


# --- Dockerfile -----------------------------------------------------------------------------


def test_image_starts_outreach_bot_run():
    assert json.loads(instructions("ENTRYPOINT", last_stage())[-1]) == ["outreach-bot"]
    assert json.loads(instructions("CMD", last_stage())[-1]) == ["run"]


def test_image_is_built_on_python_311_slim():
    assert "python:3.11-slim" in " ".join(instructions("ARG", dockerfile_stages()[0]) + instructions("FROM"))


def test_image_installs_the_postgres_extra_not_editable():
    installs = [arguments for arguments in instructions("RUN") if "pip install" in arguments]
    assert any("'.[postgres]'" in arguments or '".[postgres]"' in arguments for arguments in installs)
    assert not any(re.search(r"(^|\s)(-e|--editable)(\s|=)", arguments) for arguments in installs)


def test_image_runs_as_a_user_other_than_root():
    user = instructions("USER", last_stage())[-1]
    assert user.split(":")[0] not in ("root", "0")


def test_build_context_keeps_what_the_package_is_built_from():
    copied = {source for arguments in instructions("COPY", dockerfile_stages()[1]) for source in arguments.split()[:-1]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = ["pyproject.toml", project["project"]["readme"]]
    for package, patterns in project["tool"]["setuptools"]["package-data"].items():
        needed += [str(path.relative_to(ROOT)) for pattern in patterns for path in ROOT.glob(f"{package.replace('.', '/')}/{pattern}")]
    for patterns in project["tool"]["setuptools"]["data-files"].values():
        needed += [str(path.relative_to(ROOT)) for pattern in patterns for path in ROOT.glob(pattern)]
    for package in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        needed += [str(path.relative_to(ROOT)) for path in ROOT.glob(f"{package.rstrip('*')}/**/*.py")]
    assert len(needed) > 50
    for path in needed:
        assert Path(path).parts[0] in copied, f"{path} is not copied into the build stage"
        assert not ignored_by_docker(path), f"{path} is left out by .dockerignore"


@pytest.mark.parametrize(("running", "passes"), [(True, True), (False, False)])
async def test_healthcheck_passes_while_the_bot_runs_and_fails_when_it_stopped(running, passes):
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    web = create_web_app([], lambda: running)
    server = LoopbackServer(list(web.routes))
    await server.start()
    try:
        check = await asyncio.create_subprocess_exec(sys.executable, "-c", command[2], env={"HTTP_PORT": str(server.port)}, stderr=asyncio.subprocess.DEVNULL)
        assert await check.wait() == (0 if passes else 1)
    finally:
        await server.stop()

"""Setting up, training and running the Rasa server, in a Python 3.10 environment of its own.

Rasa Open Source 3.6 cannot share the bot's environment (it needs Python < 3.11, SQLAlchemy < 1.5
and pydantic < 1.10.10), so it gets a virtual environment in the user's cache folder, built once
per set of requirements (a few minutes and 2-3 GB) and reused afterwards. Models are cached by a
hash of what they are trained from, so the server restarts in seconds when nothing changed.
Nothing here downloads model weights: the pipeline (nlu/rasa/config.yml) learns from the bot's
own examples only.
"""

import fcntl
import hashlib
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import httpx

from bot.errors import RasaSetupError
from nlu.rasa_backend import keep_token_out_of_logs
from nlu.rasa_data import write_training_data

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).with_name("rasa")
CONFIG = PROJECT_DIR / "config.yml"
DOMAIN = PROJECT_DIR / "domain.yml"
REQUIREMENTS = PROJECT_DIR / "requirements.txt"
CONSTRAINTS = PROJECT_DIR / "constraints.txt"
"""The versions of every package of the environment; requirements.txt uses it (`-c`)."""
TRAINING_DATA = PROJECT_DIR / "data" / "nlu.yml"
MODELS_KEPT = 3
"""Older models in the cache are deleted, keeping this many: each is tens of megabytes."""
READY_TIMEOUT_SECONDS = 300.0
"""Loading TensorFlow and the model takes 20-60 s on two cores; more on a busy machine."""


def find_python(configured: str | None = None) -> Path:
    """The Python 3.10 that runs Rasa: RASA_PYTHON, else `python3.10` on PATH, else pyenv's newest 3.10.

    Each candidate is run to check it, since a pyenv shim on PATH exists even when it refuses
    to run a version that is not selected.
    """
    if configured:
        if _is_python_310(configured):
            return Path(shutil.which(configured) or configured)
        raise RasaSetupError(f"The setting RASA_PYTHON is wrong: {configured} is not a working Python 3.10.")
    for candidate in _python_candidates():
        if _is_python_310(candidate):
            return Path(candidate)
    raise RasaSetupError(
        "Rasa needs Python 3.10 and none was found: install one (for example `pyenv install 3.10`) "
        "and put it on PATH, or set RASA_PYTHON to its path."
    )


def _python_candidates() -> list[str]:
    on_path = shutil.which("python3.10")
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    pyenv = sorted(pyenv_root.glob("versions/3.10.*/bin/python3.10"), key=_patch_level, reverse=True)
    return ([on_path] if on_path else []) + [str(p) for p in pyenv]


def _patch_level(python: Path) -> int:
    match = re.fullmatch(r"3\.10\.(\d+)", python.parent.parent.name)
    return int(match.group(1)) if match else -1


def _is_python_310(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "True"


def rasa_environ(cache_dir: Path) -> dict[str, str]:
    """The environment of every Rasa process: no telemetry, and Rasa's caches outside the repository."""
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_CACHE_DIRECTORY": str(cache_dir / "rasa-training-cache"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


@dataclass(frozen=True)
class RasaEnvironment:
    """A virtual environment with Rasa installed, named after what it was built from."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def rasa(self) -> Path:
        return self.path / "bin" / "rasa"

    @property
    def marker(self) -> Path:
        """Written last: an environment without it is an interrupted install, to be rebuilt."""
        return self.path / ".outreach-bot-complete"

    @property
    def ready(self) -> bool:
        return self.marker.is_file()


def environment_for(python: Path, cache_dir: Path) -> RasaEnvironment:
    """Where the environment of these requirements and this interpreter lives (built or not)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + CONSTRAINTS.read_bytes())
    digest.update(str(python.resolve()).encode())
    return RasaEnvironment(cache_dir / f"rasa-venv-{digest.hexdigest()[:12]}")


def ensure_environment(python: Path, cache_dir: Path) -> RasaEnvironment:
    """Build the environment unless it is already there; several processes may ask at once."""
    environment = environment_for(python, cache_dir)
    if environment.ready:
        return environment
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f"{environment.path.name}.lock"):
        if environment.ready:
            return environment
        shutil.rmtree(environment.path, ignore_errors=True)
        log.info("Installing Rasa in %s: a few minutes, once", environment.path)
        started = time.perf_counter()
        _run([str(python), "-m", "venv", str(environment.path)], "creating the Rasa environment")
        _run(
            [str(environment.python), "-m", "pip", "install", "--quiet", "--progress-bar", "off",
             "--requirement", str(REQUIREMENTS)],
            "installing Rasa (see pip's messages above)",
        )
        environment.marker.write_text(REQUIREMENTS.read_text(encoding="utf-8"), encoding="utf-8")
        log.info("Rasa installed in %.0f s", time.perf_counter() - started)
    return environment


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    training_seconds: float
    """0.0 when the model came from the cache."""
    example_count: int


def model_key(environment: RasaEnvironment) -> str:
    """A hash of everything a model depends on: pipeline, domain, training data and Rasa environment."""
    digest = hashlib.sha256(environment.path.name.encode())
    for path in (CONFIG, DOMAIN, TRAINING_DATA):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def train(environment: RasaEnvironment, cache_dir: Path, example_count: int, retrain: bool = False) -> TrainedModel:
    """Train on TRAINING_DATA, or reuse the cached model of the same inputs.

    `retrain` trains from scratch, past this cache and Rasa's own cache of trained components
    (which would otherwise restore an unchanged pipeline in seconds): a benchmark times a real run.
    """
    models = cache_dir / "rasa-models"
    models.mkdir(parents=True, exist_ok=True)
    name = f"nlu-{model_key(environment)}"
    target = models / f"{name}.tar.gz"
    if target.is_file() and not retrain:
        log.info("Rasa model %s is up to date", target.name)
        return TrainedModel(target, 0.0, example_count)
    log.info("Training the Rasa model on %d examples: a few minutes", example_count)
    environ = rasa_environ(cache_dir) | ({"RASA_MAX_CACHE_SIZE": "0"} if retrain else {})
    with tempfile.TemporaryDirectory(dir=models, prefix=".training-") as out:
        started = time.perf_counter()
        _run(
            [str(environment.rasa), "train", "nlu", "--config", str(CONFIG), "--domain", str(DOMAIN),
             "--nlu", str(TRAINING_DATA), "--out", out, "--fixed-model-name", name],
            "training the Rasa model",
            cwd=PROJECT_DIR,
            env=environ,
        )
        seconds = time.perf_counter() - started
        os.replace(Path(out) / f"{name}.tar.gz", target)
    log.info("Rasa model trained in %.0f s", seconds)
    _prune(models, keep=target)
    return TrainedModel(target, seconds, example_count)


def _prune(models: Path, keep: Path) -> None:
    older = sorted((m for m in models.glob("nlu-*.tar.gz") if m != keep), key=lambda m: m.stat().st_mtime, reverse=True)
    for stale in older[MODELS_KEPT - 1 :]:
        stale.unlink(missing_ok=True)


def prepare(
    examples: Iterable[tuple[str, str, str]], python: Path, cache_dir: Path, retrain: bool = False
) -> tuple[RasaEnvironment, TrainedModel]:
    """Everything before serving: export the training data, build the environment, train."""
    count = write_training_data(examples, TRAINING_DATA)
    environment = ensure_environment(python, cache_dir)
    return environment, train(environment, cache_dir, count, retrain)


def server_command(environment: RasaEnvironment, model: Path, url: str, token: str) -> list[str]:
    """`rasa run` with the HTTP API, on the loopback interface, at the port of RASA_URL.

    The token goes in one argument with its option: one that starts with "-" (one in 64 of
    `secrets.token_urlsafe`) would otherwise be read by argparse as an option, and Rasa exits
    with status 2 at start.
    """
    port = urlsplit(url).port or 5005
    return [
        str(environment.rasa), "run", "--enable-api", f"--auth-token={token}",
        "--interface", "127.0.0.1", "--port", str(port), "--model", str(model),
    ]


class RasaServer:
    """A `rasa run` process started by this program; `stop` (or leaving the `with`) ends it."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, token: str):
        self.process = process
        self.url = url.rstrip("/")
        self.token = token

    @classmethod
    def start(
        cls, environment: RasaEnvironment, model: Path, url: str, token: str, cache_dir: Path, log_file: Path | None = None
    ) -> "RasaServer":
        output = log_file.open("ab") if log_file else subprocess.DEVNULL
        try:
            process = subprocess.Popen(
                server_command(environment, model, url, token),
                cwd=PROJECT_DIR, env=rasa_environ(cache_dir), stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        finally:
            if log_file:
                output.close()  # type: ignore[union-attr]
        return cls(process, url, token)

    def wait_until_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Return once /status shows a loaded model and a first parse is done; raise RasaSetupError if the server exits or is too slow."""
        keep_token_out_of_logs()
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RasaSetupError(f"The Rasa server stopped at start (exit code {self.process.returncode}).")
                try:
                    status = client.get("/status", params={"token": self.token})
                    if status.status_code == 200 and status.json().get("model_file"):
                        # The first parse builds TensorFlow's graph (seconds): pay it here, not on a person's message.
                        client.post("/model/parse", params={"token": self.token}, json={"text": "bonjour"}, timeout=60.0)
                        return
                except (httpx.HTTPError, ValueError):
                    pass
                time.sleep(1.0)
        raise RasaSetupError(f"The Rasa server did not answer at {self.url} within {timeout:.0f} s.")

    def resident_bytes(self) -> int | None:
        """Resident memory of the server and its child processes (Linux; None elsewhere)."""
        return resident_bytes(self.process.pid)

    def stop(self, grace_seconds: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextmanager
def running_rasa(
    examples: Iterable[tuple[str, str, str]],
    *,
    python: Path,
    cache_dir: Path,
    url: str | None = None,
    token: str | None = None,
    retrain: bool = False,
    log_file: Path | None = None,
) -> Iterator[tuple[RasaServer, TrainedModel]]:
    """Prepare, start and wait for a Rasa server on these examples; stop it on leaving.

    For tests and benchmarks: `model.training_seconds` and `server.resident_bytes()` are the
    figures to compare with the embedded NLU (pass retrain=True to time a real training run).
    Without `url` and `token`, the server gets a free loopback port and a fresh token of its
    own, so that a Rasa server already running for the bot is neither used nor disturbed.
    """
    url = url or f"http://127.0.0.1:{free_port()}"
    token = token or secrets.token_urlsafe(24)
    environment, model = prepare(examples, python, cache_dir, retrain)
    with RasaServer.start(environment, model.path, url, token, cache_dir, log_file) as server:
        server.wait_until_ready()
        yield server, model


def free_port() -> int:
    """A free loopback port for a server that another process binds later (Rasa some 15 s after; the
    tests' bot processes too): below the kernel's ephemeral range (32768 up), where a port can
    meanwhile become the local end of any outgoing connection on the machine, and the server would
    stop at start with "address already in use"."""
    for port in random.sample(range(20_000, 32_000), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RasaSetupError("No free port between 20000 and 32000 on 127.0.0.1.")


def resident_bytes(pid: int) -> int | None:
    """VmRSS of a process and its descendants, from /proc."""
    total, pending = 0, [pid]
    try:
        while pending:
            current = pending.pop()
            status = Path(f"/proc/{current}/status").read_text()
            kilobytes = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(kilobytes.group(1)) * 1024 if kilobytes else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        return total or None
    return total


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], doing: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a step, its output going to our standard error; raise RasaSetupError if it fails."""
    try:
        subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=2, stderr=2, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise RasaSetupError(f"Rasa setup failed while {doing}: {error}.") from None

"""A class on one server: the nbgitpuller links (tools/hub.py), and a real JupyterHub end to end.

The end-to-end test starts JupyterHub (PyPI) behind configurable-http-proxy (npm) on loopback ports,
with the DummyAuthenticator and SimpleLocalProcessSpawner (homes in a temporary directory). Three
students log in through the login form, open the course's nbgitpuller link, which clones the course
from a local git repository into their home, and run a quick-mode notebook at the same time through
their servers' REST API and kernel websocket. It prints each user server's peak memory (the server's
process tree, kernel included, sampled with psutil) and stops everything it started, also on failure.
Skipped, saying why, where jupyterhub, nbgitpuller, configurable-http-proxy or git is missing.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from course_utils.errors import CourseValueError
from tools import hub
from tools.notebooks import repo_settings, source_notebooks

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the links


def parse_link(link):
    """(scheme://netloc, path, {parameter: value}) of a link, each parameter present exactly once."""
    parts = urlsplit(link)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in query.values()), f"a parameter appears twice in {link}"
    return f"{parts.scheme}://{parts.netloc}", parts.path, {k: v[0] for k, v in query.items()}


@pytest.mark.parametrize("given, base", [
    ("https://hub.example.edu", "https://hub.example.edu"),
    ("https://hub.example.edu/", "https://hub.example.edu"),
    ("http://10.0.0.5:8000/jupyter/", "http://10.0.0.5:8000/jupyter"),
])
def test_a_link_carries_nbgitpullers_parameters(given, base):
    repo, branch = "https://github.com/my-school/cnn-course", "spring-2027"
    link = hub.hub_link(given, repo, branch, "notebooks/student/03_pooling.ipynb")
    origin, path, query = parse_link(link)
    assert origin + path == base + "/hub/user-redirect/git-pull"
    # nbgitpuller clones into the repository's last path part unless targetpath says otherwise.
    assert query == {"repo": repo, "branch": branch,
                     "urlpath": "lab/tree/cnn-course/notebooks/student/03_pooling.ipynb"}


def test_a_link_encodes_what_a_query_string_cannot_hold():
    repo = "https://git.example.edu/teach/cnn course?x=1&y=2"
    branch = "term/2027 #1&more"
    link = hub.hub_link("https://hub.example.edu", repo, branch, "notebooks", targetpath="CNN course")
    assert " " not in link and "#" not in link and link.count("&") == 3  # four parameters, no stray '&'
    _, _, query = parse_link(link)
    assert query == {"repo": repo, "branch": branch, "targetpath": "CNN course",
                     "urlpath": "lab/tree/CNN course/notebooks"}


def test_the_links_cover_every_notebook_of_every_edition_and_the_whole_course(tmp_path):
    for folder in ("notebooks", "notebooks/student", "notebooks/ko", "notebooks/ko/student"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        for name in ("00_setup.ipynb", "03_pooling.ipynb"):
            (tmp_path / folder / name).write_text("{}")
    (tmp_path / "notebooks" / "scratch.ipynb").write_text("{}")  # not a course notebook: no link
    rows = hub.course_links("https://hub.example.edu", "https://github.com/o/n", "main", root=tmp_path)
    paths = [rel for _, rel, _ in rows]
    assert paths[0] == "notebooks" and rows[0][0] == "whole course"
    folders = ("notebooks", "notebooks/student", "notebooks/ko", "notebooks/ko/student")
    expected = {f"{folder}/{name}" for folder in folders
                for name in ("00_setup.ipynb", "03_pooling.ipynb")}
    assert set(paths[1:]) == expected and len(paths) == 1 + len(expected)
    for _, rel, link in rows:
        assert parse_link(link)[2]["urlpath"] == f"lab/tree/n/{rel}"


def test_the_command_defaults_to_the_courses_repository_and_covers_this_course(capsys, monkeypatch):
    assert hub.main(["links", "--hub", "https://hub.example.edu"]) == 0
    links = re.findall(r"https://hub\.example\.edu/\S+", capsys.readouterr().out)
    repository, branch = repo_settings(ROOT)
    queries = [parse_link(link)[2] for link in links]
    assert {q["repo"] for q in queries} == {f"https://github.com/{repository}"}
    assert {q["branch"] for q in queries} == {branch}
    opened = {q["urlpath"].split("/", 3)[3] for q in queries}  # lab/tree/<clone dir>/<path>
    assert "notebooks" in opened
    for notebook in source_notebooks(ROOT):
        assert {f"notebooks/{notebook.name}", f"notebooks/student/{notebook.name}"} <= opened


@pytest.mark.parametrize("bad, says", [
    ("hub.example.edu", "not a web address"),
    ("ftp://hub.example.edu", "not a web address"),
    ("https://", "not a web address"),
    ("https://hub.example.edu/hub/home", "leave out '/hub/...'"),
    ("https://hub.example.edu/user/ada/lab", "e.g. --hub https://hub.example.edu"),
    ("https://hub.example.edu/?next=x", "'?' or '#'"),
])
def test_a_bad_hub_address_is_a_one_line_error(bad, says, capsys):
    with pytest.raises(CourseValueError, match=re.escape(says)):
        hub.hub_base(bad)
    assert hub.main(["links", "--hub", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ") and captured.err.count("\n") == 1


@pytest.mark.parametrize("option", ["--repo", "--branch"])
def test_an_empty_repository_or_branch_is_a_one_line_error(option, capsys):
    assert hub.main(["links", "--hub", "https://hub.example.edu", option, " "]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"error: {option} is empty") and captured.err.count("\n") == 1


# --------------------------------------------------------------------------- a real hub

STUDENTS = ("ada", "grace", "alan")
NOTEBOOK = "notebooks/02_padding_and_stride.ipynb"
TIMEOUT = 300  # seconds for any one step (start, login, pull, a quiet stretch of a cell); CI may be loaded


def _find_proxy():
    found = shutil.which("configurable-http-proxy")
    local = ROOT / "build" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"
    return found or (str(local) if local.exists() else None)


def _missing():
    """Why the real-hub test cannot run here, or None."""
    for module in ("jupyterhub", "nbgitpuller", "websocket", "requests", "psutil"):
        try:
            __import__(module)
        except ImportError:
            return f"Python package {module} is missing: ./course installs requirements.txt"
    if not (Path(sys.executable).parent / "jupyterhub").exists():
        return "the jupyterhub command is not next to this Python: ./course installs requirements.txt"
    if shutil.which("git") is None:
        return "git is not installed (nbgitpuller needs it)"
    if _find_proxy() is None:
        if shutil.which("npm") is None:
            return "npm is missing, so configurable-http-proxy cannot be installed (apt-get install nodejs npm)"
        return "configurable-http-proxy is not installed: npm install -g configurable-http-proxy"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                   env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})


def _course_repository(tmp: Path) -> Path:
    """A bare git repository holding this working tree's notebooks (both editions), on branch main."""
    work = tmp / "course-src"
    for notebook in sorted((ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb")):
        rel = notebook.relative_to(ROOT)
        if any(part in ("course_work", ".ipynb_checkpoints") for part in rel.parts):
            continue
        (work / rel.parent).mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook, work / rel)
    _git("init", "-q", "-b", "main", ".", cwd=work)
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=Course test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "course",
         cwd=work)
    bare = tmp / "repos" / hub.clone_dir(f"https://github.com/{repo_settings(ROOT)[0]}")
    bare.parent.mkdir()
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp)
    return bare


HUB_CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
# The test starts the proxy itself: the hub gives a proxy it starts only 10 s, too short on a loaded machine.
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.db_url = "sqlite:///" + {tmp!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {tmp!r} + "/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set({students!r})
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {tmp!r} + "/home/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {timeout}
c.Spawner.http_timeout = {timeout}
c.Spawner.environment = {environment!r}
c.JupyterHub.services = [{{"name": "course-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "course-test", "services": ["course-test"],
    "scopes": ["list:users", "read:users", "admin:users", "admin:servers", "tokens"]}}]
"""


class Hub:
    """A JupyterHub process with its proxy and user servers; ``stop`` ends every process it saw."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.seen: dict[int, float] = {}  # pid -> create time, of every process the hub started
        self.peak: dict[str, int] = {}  # user -> peak resident bytes of their server's process tree
        self.peak_server: dict[str, int] = {}  # user -> peak resident bytes of the server process alone
        self.peak_hub = 0  # peak resident bytes of the hub and the proxy together
        self._sampling = threading.Event()
        bindir = Path(sys.executable).parent
        args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        environment = {
            "COURSE_QUICK": "1", "COURSE_OFFLINE": "1", "COURSE_ALLOW_SYNTHETIC": "1", "COURSE_STRICT_CHECKS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1",
        }
        hub_port, proxy_api_port, proxy_token = _free_port(), _free_port(), secrets.token_hex(32)
        config = HUB_CONFIG.format(
            port=self.port, hub_port=hub_port, proxy_api_port=proxy_api_port, proxy_token=proxy_token, tmp=str(tmp),
            students=list(STUDENTS), singleuser=str(bindir / "jupyterhub-singleuser"), args=args, timeout=TIMEOUT,
            environment=environment, token=self.token,
        )
        (tmp / "jupyterhub_config.py").write_text(config)
        self.log_path = tmp / "jupyterhub.log"
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
        for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTER_CONFIG_DIR"):
            env.pop(name, None)
        self.processes = []
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._commands = (
            ([_find_proxy(), "--ip", "127.0.0.1", "--port", str(self.port), "--api-ip", "127.0.0.1",
              "--api-port", str(proxy_api_port), "--error-target", f"http://127.0.0.1:{hub_port}/hub/error"],
             {**env, "CONFIGPROXY_AUTH_TOKEN": proxy_token}, f"http://127.0.0.1:{proxy_api_port}/api/routes",
             {"Authorization": f"token {proxy_token}"}),
            ([str(bindir / "jupyterhub"), "-f", str(tmp / "jupyterhub_config.py")], env, f"{self.url}/hub/api", None),
        )

    def start(self):
        """Start the proxy, then the hub; return when the hub answers through the proxy."""
        self._sampling.set()
        self._sampler.start()
        for command, env, url, headers in self._commands:
            with open(self.log_path, "ab") as log:
                process = subprocess.Popen(command, cwd=self.tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            self.processes.append(process)
            self._wait_for(url, Path(command[0]).name, process, headers)

    # ---- processes and memory

    def _tree(self):
        import psutil

        tree = []
        for process in list(self.processes):
            try:
                root = psutil.Process(process.pid)
                tree += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
        return tree

    def _sample(self):
        import psutil

        while self._sampling.is_set():
            try:
                core = sum(psutil.Process(p.pid).memory_info().rss for p in list(self.processes))
                self.peak_hub = max(self.peak_hub, core)
            except psutil.Error:
                pass
            for proc in self._tree():
                try:
                    self.seen.setdefault(proc.pid, proc.create_time())
                    if "jupyterhub-singleuser" not in " ".join(proc.cmdline()):
                        continue
                    user = proc.environ().get("JUPYTERHUB_USER")
                    total = server = proc.memory_info().rss
                    for child in proc.children(recursive=True):
                        self.seen.setdefault(child.pid, child.create_time())
                        total += child.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                if user:
                    self.peak[user] = max(self.peak.get(user, 0), total)
                    self.peak_server[user] = max(self.peak_server.get(user, 0), server)
            time.sleep(0.25)

    def log_tail(self, lines=40):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self):
        import psutil

        self._sampling.clear()
        if self._sampler.is_alive():
            self._sampler.join(timeout=10)
        for proc in self._tree():  # the last look, in case one started since the last sample
            try:
                self.seen.setdefault(proc.pid, proc.create_time())
            except psutil.NoSuchProcess:
                pass
        for process in reversed(self.processes):  # the hub first: it stops the user servers
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
        survivors = []
        for pid, created in self.seen.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created:
                    survivors.append(proc)
            except psutil.NoSuchProcess:
                pass
        for proc in survivors:
            try:
                proc.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(survivors, timeout=15)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        return survivors

    # ---- the hub's REST API, as an administrator (the test's service token)

    def api(self, method, path, **kwargs):
        import requests

        response = requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                    headers={"Authorization": f"token {self.token}"}, **kwargs)
        assert response.ok, f"hub API {method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else None

    def _wait_for(self, url, what, process, headers=None):
        import requests

        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{what} exited ({process.returncode}):\n{self.log_tail()}"
            try:
                if requests.get(url, headers=headers, timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{what} did not answer at {url} within {TIMEOUT} s:\n{self.log_tail()}")

    def wait_for_server(self, user):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            server = self.api("GET", f"/users/{user}").get("servers", {}).get("")
            if server and server.get("ready"):
                return
            assert server, f"{user}'s server is not starting:\n{self.log_tail()}"
            time.sleep(1)
        raise AssertionError(f"{user}'s server was not ready within {TIMEOUT} s:\n{self.log_tail()}")


def _alive(pid, created):
    import psutil

    try:
        proc = psutil.Process(pid)
        return proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _body_data(page: str) -> dict:
    """The data-* attributes nbgitpuller's status page hands to its JavaScript (URL-encoded there)."""
    return {k: unquote(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', page)}


def _student(hub_: Hub, user: str, link: str, barrier: threading.Barrier) -> dict:
    """One student: log in, open the link, check the pull, run the notebook. Returns what happened."""
    import requests
    import websocket

    result = {"user": user}
    web = requests.Session()
    # Log in through the form, as a browser does (DummyAuthenticator takes any password).
    web.get(f"{hub_.url}/hub/login", timeout=60).raise_for_status()
    login = web.post(f"{hub_.url}/hub/login", timeout=TIMEOUT,
                     data={"username": user, "password": "any", "_xsrf": web.cookies.get("_xsrf", "")})
    assert login.ok and "jupyterhub-session-id" in web.cookies, f"{user} could not log in: {login.status_code}"

    # Open the nbgitpuller link: the hub starts the server, OAuth hands the student over to it.
    page = web.get(link, timeout=TIMEOUT)
    if "spawn-pending" in page.url:  # a slow start: the hub shows its progress page, then the student retries
        hub_.wait_for_server(user)
        page = web.get(link, timeout=TIMEOUT)
    assert page.ok and urlsplit(page.url).path == f"/user/{user}/git-pull", (
        f"{user}: the link led to {page.url} ({page.status_code}), not nbgitpuller's page:\n{hub_.log_tail()}")
    data = _body_data(page.text)
    query = parse_link(link)[2]
    assert data.get("repo") == query["repo"] and data.get("branch") == query["branch"], data
    assert data.get("path") == query["urlpath"], f"nbgitpuller would open {data.get('path')}, not {query['urlpath']}"

    # What the page's script (gitsync.js) does next: stream the pull from git-pull/api until it finishes.
    params = {"_xsrf": data["xsrf"], "repo": data["repo"], "targetpath": data["targetpath"], "branch": data["branch"]}
    server = f"{hub_.url}/user/{user}"
    events = []
    with web.get(f"{server}/git-pull/api", params=params, stream=True, timeout=TIMEOUT) as stream:
        assert stream.ok, f"{user}: git-pull/api answered {stream.status_code}"
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
                if events[-1].get("phase") in ("finished", "error"):
                    break
    assert events and events[-1]["phase"] == "finished", f"{user}: the pull did not finish: {events[-3:]}"

    # From here on the student's notebook client: the server's REST API and kernel websocket, with a token.
    token = hub_.api("POST", f"/users/{user}/tokens", json={"note": "course test"})["token"]
    auth = {"Authorization": f"token {token}"}
    clone = data["targetpath"]
    home = hub_.tmp / "home" / user
    for folder in ("notebooks", "notebooks/student"):
        listing = requests.get(f"{server}/api/contents/{quote(clone)}/{folder}", headers=auth, timeout=60)
        assert listing.ok, f"{user}: no {clone}/{folder} after the pull ({listing.status_code})"
        got = {item["name"] for item in listing.json()["content"] if re.match(r"\d\d_.*\.ipynb$", item["name"])}
        want = {p.name for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb")}
        assert got == want, f"{user}: {folder} after the pull holds {sorted(got)}, the course {sorted(want)}"
    assert (home / clone / ".git").is_dir(), f"{user}: the course is not a git clone in the home directory"

    notebook = requests.get(f"{server}/api/contents/{quote(clone)}/{NOTEBOOK}", headers=auth, timeout=60)
    assert notebook.ok, f"{user}: cannot read {NOTEBOOK}: {notebook.status_code}"
    cells = [c for c in notebook.json()["content"]["cells"] if c["cell_type"] == "code"]
    session = requests.post(f"{server}/api/sessions", headers=auth, timeout=TIMEOUT, json={
        "path": f"{clone}/{NOTEBOOK}", "type": "notebook", "name": Path(NOTEBOOK).name, "kernel": {"name": "python3"}})
    assert session.ok, f"{user}: could not start a kernel: {session.status_code} {session.text[:300]}"
    kernel_id = session.json()["kernel"]["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{hub_.port}/user/{user}/api/kernels/{kernel_id}/channels",
        header=[f"Authorization: token {token}"], timeout=TIMEOUT)
    session_id = uuid.uuid4().hex

    def request(msg_type, content):
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "username": user, "session": session_id,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}))
        reply, idle, errors = None, False, []
        while reply is None or not idle:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg["content"]
            elif msg["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return reply, errors

    try:
        request("kernel_info_request", {})  # the kernel is up
        barrier.wait(timeout=TIMEOUT)  # the three students run their notebooks at the same time
        start = time.monotonic()
        for index, cell in enumerate(cells):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            reply, errors = request("execute_request", {
                "code": source, "silent": False, "store_history": True, "user_expressions": {},
                "allow_stdin": False, "stop_on_error": True})
            assert reply["status"] == "ok" and not errors, (
                f"{user}: code cell {index} of {NOTEBOOK} failed on the hub: {errors or reply}")
        result["seconds"] = time.monotonic() - start
        result["cells"] = len(cells)
    finally:
        ws.close()
        requests.delete(f"{server}/api/sessions/{session.json()['id']}", headers=auth, timeout=60)
    return result


@pytest.mark.slow
def test_three_students_pull_the_course_and_run_a_notebook_on_a_real_hub(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(f"no real JupyterHub here: {reason}")
    tmp = Path(tmp_path_factory.mktemp("hub"))
    repo = _course_repository(tmp)
    wall = time.monotonic()
    the_hub = Hub(tmp)
    try:
        the_hub.start()
        link = hub.hub_link(the_hub.url, str(repo), "main", NOTEBOOK)
        barrier = threading.Barrier(len(STUDENTS))

        def student(user):
            try:
                return _student(the_hub, user, link, barrier)
            except BaseException:
                barrier.abort()  # the others stop waiting for this student
                raise

        with ThreadPoolExecutor(len(STUDENTS)) as pool:
            futures = {user: pool.submit(student, user) for user in STUDENTS}
            failures, results = [], []
            for user, future in futures.items():
                try:
                    results.append(future.result(timeout=TIMEOUT * 6))
                except Exception as exc:  # noqa: BLE001 - report every student's failure, not the first
                    failures.append(f"{user}: {type(exc).__name__}: {exc}")
        assert not failures, "\n".join(failures) + f"\n--- hub log (last lines):\n{the_hub.log_tail()}"
    finally:
        survivors = the_hub.stop()
        left = [pid for pid in the_hub.seen if _alive(pid, the_hub.seen[pid])]
    assert not left, f"processes the hub started are still running after the test stopped them: {left}"
    wall = time.monotonic() - wall
    for result in results:
        peak = the_hub.peak.get(result["user"], 0)
        print(f"{result['user']}: {result['cells']} cells of {NOTEBOOK} in {result['seconds']:.1f} s; peak resident "
              f"memory {peak / 2**20:,.1f} MiB (user server + kernel), of which the server alone "
              f"{the_hub.peak_server.get(result['user'], 0) / 2**20:,.1f} MiB")
    print(f"hub and proxy together: peak resident memory {the_hub.peak_hub / 2**20:,.1f} MiB")
    print(f"hub test wall time {wall:.1f} s; {len(the_hub.seen)} processes started, "
          f"{len(survivors)} left after the hub stopped (ended by the test)")
    # Sanity only (the figures are printed, not judged): every server was seen running TensorFlow.
    assert set(the_hub.peak) == set(STUDENTS), f"memory sampled for {sorted(the_hub.peak)} only"
    assert all(peak > 200 * 2**20 for peak in the_hub.peak.values()), the_hub.peak

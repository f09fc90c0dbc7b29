"""nbgitpuller links that hand the course out on a JupyterHub.

    python -m tools.hub links --hub https://hub.example.edu [--repo URL] [--branch B] [--targetpath DIR]
    ./course hub-links --hub https://hub.example.edu          # the same

A link has nbgitpuller's documented form::

    {hub}/hub/user-redirect/git-pull?repo=REPO&branch=BRANCH&urlpath=lab/tree/DIR/notebooks/NN_name.ipynb

A student who opens it logs in to the hub (their server starts if it is not running), nbgitpuller
clones the repository into ``~/DIR`` on the first click (later clicks pull new commits and merge
them with the student's edits, by nbgitpuller's rules), then JupyterLab opens the notebook. ``DIR`` is the clone
directory: nbgitpuller's default, the last part of the repository URL, unless ``--targetpath``
names another (the link then carries ``targetpath`` too). The repository and branch default to
``[tool.course]`` in pyproject.toml, the one place they are set (``./course fork`` changes them).

The links cover every notebook in the instructor edition (``notebooks/NN_*.ipynb``, with the
solutions), the student edition (``notebooks/student/``) and, where they exist, the Korean
editions (``notebooks/ko/``, ``notebooks/ko/student/``), plus one link that opens the whole course
(the ``notebooks`` folder).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from course_utils.errors import CourseValueError
from tools.notebooks import ROOT, repo_settings

# (label, folder under the repository): the editions a hub link can open, in this order.
EDITIONS = (
    ("instructor edition (solutions)", "notebooks"),
    ("student edition", "notebooks/student"),
    ("Korean instructor edition", "notebooks/ko"),
    ("Korean student edition", "notebooks/ko/student"),
)


def hub_base(hub: str) -> str:
    """The hub's base URL, checked, without a trailing slash (``https://hub.example.edu[/prefix]``)."""
    text = (hub or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CourseValueError(
            f"--hub {hub!r} is not a web address: give the hub's address with http:// or https://, "
            "e.g. --hub https://hub.example.edu"
        )
    if parts.query or parts.fragment:
        raise CourseValueError(
            f"--hub {hub!r} has a '?' or '#' part: give only the hub's address, e.g. --hub https://hub.example.edu"
        )
    path = parts.path.rstrip("/")
    segments = path.split("/")
    if "hub" in segments or "user" in segments:
        base = "/".join(segments[: min(segments.index(s) for s in ("hub", "user") if s in segments)])
        raise CourseValueError(
            f"--hub {hub!r} is a page of the hub, not its address: leave out '/hub/...' or '/user/...', "
            f"e.g. --hub {parts.scheme}://{parts.netloc}{base}"
        )
    return f"{parts.scheme}://{parts.netloc}{path}"


def clone_dir(repo: str) -> str:
    """The directory nbgitpuller clones ``repo`` into by default: the last part of its URL."""
    name = repo.rstrip("/").split("/")[-1]
    if not name:
        raise CourseValueError(f"--repo {repo!r} has no name at its end: give the repository's clone URL")
    return name


def hub_link(hub: str, repo: str, branch: str, path: str, targetpath: str | None = None) -> str:
    """The nbgitpuller link that pulls ``repo`` at ``branch`` and opens ``path`` (a file or folder
    inside the repository) in JupyterLab."""
    if not repo or not repo.strip():
        raise CourseValueError("--repo is empty: give the repository's clone URL, e.g. https://github.com/OWNER/NAME")
    if not branch or not branch.strip():
        raise CourseValueError("--branch is empty: give the branch students pull, e.g. --branch main")
    folder = targetpath or clone_dir(repo)
    query = {"repo": repo, "branch": branch}
    if targetpath:
        query["targetpath"] = targetpath
    query["urlpath"] = f"lab/tree/{folder}/{path.strip('/')}"
    return f"{hub_base(hub)}/hub/user-redirect/git-pull?{urlencode(query)}"


def course_links(hub: str, repo: str, branch: str, targetpath: str | None = None,
                 root: Path = ROOT) -> list[tuple[str, str, str]]:
    """Every link as (edition label, path inside the repository, link): the whole course first."""
    links = [("whole course", "notebooks", hub_link(hub, repo, branch, "notebooks", targetpath))]
    for label, folder in EDITIONS:
        directory = root / folder
        if not directory.is_dir():
            continue
        for notebook in sorted(directory.glob("[0-9][0-9]_*.ipynb")):
            rel = f"{folder}/{notebook.name}"
            links.append((label, rel, hub_link(hub, repo, branch, rel, targetpath)))
    return links


def default_repo(root: Path = ROOT) -> tuple[str, str]:
    """(clone URL, branch) of the course's GitHub repository, from ``[tool.course]``."""
    repository, branch = repo_settings(root)
    return f"https://github.com/{repository}", branch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hub", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    links = sub.add_parser("links", help="print the nbgitpuller link of every notebook and of the whole course")
    links.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    links.add_argument("--repo", help="clone URL of the course (default: the GitHub repository in pyproject.toml)")
    links.add_argument("--branch", help="branch to pull (default: the one in pyproject.toml)")
    links.add_argument("--targetpath", help="folder in each student's home to clone into (default: the repo's name)")
    args = parser.parse_args(argv)
    repo, branch = default_repo()
    try:
        rows = course_links(args.hub, repo if args.repo is None else args.repo,
                            branch if args.branch is None else args.branch, args.targetpath)
    except CourseValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(rel) for _, rel, _ in rows)
    current = None
    for label, rel, link in rows:
        if label != current:
            print(f"# {label}" if current is None else f"\n# {label}")
            current = label
        print(f"{rel:<{width}}  {link}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A loopback STAND-IN for the Hugging Face Hub's HTTP API — not the real Hub.

It exists so the real ``huggingface_hub`` and ``datasets`` client code can be
exercised offline: point a client at it with ``HF_ENDPOINT=<standin.endpoint>``
(set before ``huggingface_hub`` is imported; it reads the variable at import)
and ``HF_HUB_DISABLE_XET=1`` (the stand-in speaks only the legacy LFS
protocol, not Xet). It implements just the routes those clients call for a
dataset push and a download, with the shapes of the real responses as read
from ``huggingface_hub``'s source:

=====================================================  =========================
route                                                  client call
=====================================================  =========================
GET  /api/whoami-v2                                    HfApi.whoami
GET  /api/agent-harnesses                              user-agent detection (empty registry)
POST /api/repos/create                                 HfApi.create_repo
GET  /api/datasets/NS/NAME[/revision/REV]              HfApi.repo_info
GET  /api/datasets/NS/NAME/tree/REV[/PATH]             HfApi.list_repo_tree
POST /api/datasets/NS/NAME/paths-info/REV              HfApi.get_paths_info
POST /api/datasets/NS/NAME/preupload/REV               create_commit (upload modes)
POST /datasets/NS/NAME.git/info/lfs/objects/batch      create_commit (LFS batch)
PUT /_lfs/TYPE/NS/NAME/OID, POST /_lfs_verify/...      create_commit (LFS upload, verify)
POST /api/datasets/NS/NAME/commit/REV                  create_commit (ndjson)
POST /api/datasets/NS/NAME/branch/BRANCH               HfApi.create_branch
POST /api/validate-yaml                                create_commit (README.md)
GET|HEAD /datasets/NS/NAME/resolve/REV/PATH            hf_hub_download, HfFileSystem
=====================================================  =========================

What it models: users, organisations and token roles (``read`` tokens get 403
on writes; a namespace you are not in gets 403), private repos (404 to
others), branches pointing at commits, each commit a full tree snapshot,
``parentCommit`` checked against the branch head (412 when stale, as on the
Hub), LFS objects stored by sha256 (an ``lfsFile`` naming an object that was
never uploaded is refused), a ``.gitattributes`` initial commit on repo
creation.

What it does not model: Xet, pull requests, pagination, rate limits other than
injected ones, git wire protocol, anything else.

Every request is appended to :attr:`HubStandin.ledger` (method, path, status;
never a header, so the token is never recorded) and every accepted commit and
LFS upload is recorded in :attr:`commits` and :attr:`uploads`, for tests to
assert on. :meth:`inject` makes chosen routes fail with 429, 500 or a TCP
connection reset, a number of times or until :meth:`clear_faults`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass
class Blob:
    data: bytes | None          # regular file content (None for LFS)
    size: int
    lfs_sha256: str | None = None

    def entry(self, path: str) -> dict[str, Any]:
        if self.lfs_sha256:
            ptr = lfs_pointer(self.lfs_sha256, self.size)
            return {"type": "file", "path": path, "size": self.size, "oid": git_blob_sha1(ptr),
                    "lfs": {"oid": self.lfs_sha256, "size": self.size, "pointerSize": len(ptr)}}
        return {"type": "file", "path": path, "size": self.size, "oid": git_blob_sha1(self.data or b"")}

    def etag(self) -> str:
        return self.lfs_sha256 or git_blob_sha1(self.data or b"")


@dataclass
class Commit:
    oid: str
    parent: str | None
    message: str
    tree: dict[str, Blob]
    branch: str
    repo_id: str


@dataclass
class Repo:
    repo_id: str
    repo_type: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    route: str          # "upload" | "commit" | "lfs_batch" | "preupload" | "any"
    kind: str           # "429" | "500" | "reset"
    times: int | None   # None = until cleared
    after: bool = False  # commit only: apply the commit, then fail (the response is lost)


class HubStandin:
    """Threaded loopback server; ``with HubStandin(users) as hub: hub.endpoint``.

    ``users`` maps a token to ``{"name": ..., "orgs": [...], "role": "write"|"read"}``.
    """

    def __init__(self, users: dict[str, dict[str, Any]]):
        self.users = users
        self.repos: dict[tuple[str, str], Repo] = {}
        self.commit_store: dict[str, Commit] = {}
        self.lfs: dict[tuple[str, str], bytes] = {}   # (repo key "type/ns/name", sha256) -> bytes
        self.ledger: list[dict[str, Any]] = []
        self.commits: list[Commit] = []       # accepted commits, oldest first (incl. repo creation)
        self.uploads: list[tuple[str, str]] = []   # (repo_id, sha256) of each completed LFS upload
        self.faults: list[Fault] = []
        self.fired: list[tuple[str, str]] = []
        self.hooks: dict[str, list] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "HubStandin":
        hub = self

        class Handler(_Handler):
            standin = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "HubStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------------ test helpers
    def inject(self, route: str, kind: str, times: int | None = None, *, after: bool = False) -> None:
        with self._lock:
            self.faults.append(Fault(route, kind, times, after))

    def once(self, route: str, fn) -> None:
        """Call ``fn(self)`` the next time ``route`` is hit, before it is handled (e.g. to race a push)."""
        with self._lock:
            self.hooks.setdefault(route, []).append(fn)

    def external_commit(self, repo_id: str, message: str = "someone else", branch: str = "main",
                        repo_type: str = "dataset") -> Commit:
        """Move ``branch`` by a commit that changes nothing, as another client would."""
        with self._lock:
            repo = self.repos[(repo_type, repo_id)]
            head = self.commit_store[repo.branches[branch]]
            return self._new_commit(repo, branch, head.oid, message, dict(head.tree))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def branch_commits(self, repo_id: str, branch: str = "main", repo_type: str = "dataset") -> list[Commit]:
        """Commits reachable from the branch head, newest first."""
        repo = self.repos[(repo_type, repo_id)]
        out, oid = [], repo.branches.get(branch)
        while oid:
            c = self.commit_store[oid]
            out.append(c)
            oid = c.parent
        return out

    def tree(self, repo_id: str, branch: str = "main", repo_type: str = "dataset") -> dict[str, dict[str, Any]]:
        """``{path: {"size", "sha256"}}`` of the branch head (sha256 of the file content)."""
        head = self.commit_store[self.repos[(repo_type, repo_id)].branches[branch]]
        out = {}
        for path, b in head.tree.items():
            sha = b.lfs_sha256 or hashlib.sha256(b.data or b"").hexdigest()
            out[path] = {"size": b.size, "sha256": sha, "lfs": bool(b.lfs_sha256)}
        return out

    def add_repo(self, repo_id: str, *, private: bool = False, repo_type: str = "dataset") -> Repo:
        with self._lock:
            repo = Repo(repo_id, repo_type, private)
            self.repos[(repo_type, repo_id)] = repo
            self._new_commit(repo, "main", None, "initial commit",
                             {".gitattributes": Blob(GITATTRIBUTES, len(GITATTRIBUTES))})
            return repo

    # ------------------------------------------------------------------ internals
    def _new_commit(self, repo: Repo, branch: str, parent: str | None, message: str, tree: dict[str, Blob]) -> Commit:
        self._counter += 1
        oid = hashlib.sha1(f"{repo.repo_id}:{branch}:{self._counter}:{message}".encode()).hexdigest()
        c = Commit(oid, parent, message, tree, branch, repo.repo_id)
        self.commit_store[oid] = c
        self.commits.append(c)
        repo.branches[branch] = oid
        return c

    def _take_fault(self, route: str, after: bool = False) -> Fault | None:
        with self._lock:
            if not after:
                for fn in self.hooks.pop(route, []):
                    fn(self)
            for f in self.faults:
                if f.route in (route, "any") and f.after == after and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    self.fired.append((route, f.kind))
                    return f
        return None


class _Reset(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    standin: HubStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep the test output quiet; never logs headers
        pass

    # ----------------------------------------------------------------- plumbing
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None, *, head: bool = False) -> None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            ctype = "application/json"
        elif isinstance(body, str):
            data, ctype = body.encode(), "text/plain"
        else:
            data, ctype = body or b"", "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head and self.command != "HEAD":   # a HEAD response never has a body
            self.wfile.write(data)
        self._status = status

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        h = {"X-Error-Message": message}
        if code:
            h["X-Error-Code"] = code
        self._send(status, {"error": message}, h)

    def _reset(self) -> None:
        # an RST instead of a response: SO_LINGER with a zero timeout, then close
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self._status = 0
        raise _Reset()

    def _fault(self, route: str, *, after: bool = False) -> None:
        f = self.standin._take_fault(route, after)
        if f is None:
            return
        if f.kind == "reset":
            self._reset()
        status = int(f.kind)
        self._send(status, {"error": f"injected {status}"}, {"X-Error-Message": f"injected {status}"})
        raise _Reset()   # response sent; stop handling

    def _user(self) -> dict[str, Any] | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return self.standin.users.get(auth[7:])
        return None

    def _can_read(self, repo: Repo, user) -> bool:
        if not repo.private:
            return True
        return user is not None and repo.repo_id.split("/")[0] in [user["name"], *user.get("orgs", [])]

    def _can_write(self, repo_id: str, user) -> bool:
        return (user is not None and user.get("role") == "write"
                and repo_id.split("/")[0] in [user["name"], *user.get("orgs", [])])

    def _dispatch(self, method: str) -> None:
        self._status = 0
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        try:
            body = self._body() if method in ("POST", "PUT") else b""
            self._route(method, path, query, body)
        except _Reset:
            pass
        except Exception as e:  # a bug in the stand-in: answer 500 so the test sees it
            self._send(599, {"error": f"stand-in failure: {type(e).__name__}: {e}"})
        finally:
            with self.standin._lock:
                self.standin.ledger.append({"method": method, "path": path, "status": self._status,
                                            "time": time.time()})

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    # ----------------------------------------------------------------- routes
    def _route(self, method: str, path: str, query: dict, body: bytes) -> None:
        hub = self.standin
        user = self._user()
        parts = [unquote(p) for p in path.strip("/").split("/")]

        if path == "/api/whoami-v2":
            if user is None:
                return self._error(401, "Invalid credentials in Authorization header")
            return self._send(200, {
                "type": "user", "id": "0" * 24, "name": user["name"], "fullname": user["name"],
                "orgs": [{"type": "org", "name": o, "roleInOrg": "write"} for o in user.get("orgs", [])],
                "auth": {"type": "access_token", "accessToken": {"displayName": "standin", "role": user["role"]}},
            })
        if path == "/api/agent-harnesses":   # huggingface_hub's user-agent registry: serve an empty one
            return self._send(200, {"standardEnvVars": [], "harnesses": {}})
        if path == "/api/validate-yaml":
            doc = json.loads(body or b"{}").get("content", "")
            errors = []
            if doc.startswith("---"):
                try:
                    meta = yaml.safe_load(doc.split("---", 2)[1])
                    if not isinstance(meta, dict):
                        errors.append({"message": "metadata is not a mapping"})
                except yaml.YAMLError as e:
                    errors.append({"message": f"invalid YAML: {e}"})
            return self._send(400 if errors else 200, {"errors": errors, "warnings": []})
        if path == "/api/repos/create" and method == "POST":
            if user is None:
                return self._error(401, "Invalid credentials in Authorization header")
            p = json.loads(body)
            ns = p.get("organization") or user["name"]
            repo_id = f"{ns}/{p['name']}"
            rtype = p.get("type") or "model"
            if not self._can_write(repo_id, user):
                return self._error(403, "You don't have the rights to create a repo under this namespace")
            if (rtype, repo_id) in hub.repos:   # the Hub's 409 body carries the url; create_repo(exist_ok) reads it
                return self._send(409, {"error": "You already created this dataset repo",
                                        "url": f"{hub.endpoint}/{rtype}s/{repo_id}"},
                                  {"X-Error-Message": "You already created this dataset repo"})
            hub.add_repo(repo_id, private=p.get("visibility") == "private" or bool(p.get("private")), repo_type=rtype)
            return self._send(200, {"url": f"{hub.endpoint}/{rtype}s/{repo_id}", "name": repo_id})
        # /_lfs/TYPE/NS/NAME/OID (upload, PUT) and /_lfs_verify/TYPE/NS/NAME/OID (POST)
        if len(parts) == 5 and parts[0] == "_lfs" and method == "PUT":
            key, oid = "/".join(parts[1:4]), parts[4]
            self._fault("upload")
            if hashlib.sha256(body).hexdigest() != oid:
                return self._error(400, "sha256 of the uploaded body does not match the object id")
            with hub._lock:
                hub.lfs[(key, oid)] = body
                hub.uploads.append((f"{parts[2]}/{parts[3]}", oid))
            return self._send(200, b"")
        if len(parts) == 5 and parts[0] == "_lfs_verify" and method == "POST":
            info = json.loads(body)
            blob = hub.lfs.get(("/".join(parts[1:4]), info.get("oid")))
            ok = blob is not None and len(blob) == info.get("size")
            return self._send(200, {}) if ok else self._error(404, "object not found")

        # /{type}s/NS/NAME.git/info/lfs/objects/batch
        if len(parts) == 7 and parts[2].endswith(".git") and parts[3:] == ["info", "lfs", "objects", "batch"]:
            rtype = parts[0][:-1]
            repo_id = f"{parts[1]}/{parts[2][:-4]}"
            repo = hub.repos.get((rtype, repo_id))
            if repo is None or not self._can_read(repo, user):
                return self._error(404, "Repository not found", "RepoNotFound")
            if not self._can_write(repo_id, user):
                return self._error(403, "You don't have write access to this repository")
            self._fault("lfs_batch")
            req = json.loads(body)
            objs = []
            key = f"{rtype}/{repo_id}"
            for o in req["objects"]:
                entry: dict[str, Any] = {"oid": o["oid"], "size": o["size"], "authenticated": True}
                if (key, o["oid"]) not in hub.lfs:
                    entry["actions"] = {
                        "upload": {"href": f"{hub.endpoint}/_lfs/{key}/{o['oid']}"},
                        "verify": {"href": f"{hub.endpoint}/_lfs_verify/{key}/{o['oid']}"},
                    }
                objs.append(entry)
            return self._send(200, {"transfer": "basic", "objects": objs})

        # /{type}s/NS/NAME/resolve/REV/PATH
        if len(parts) >= 6 and parts[0] in ("datasets", "models") and parts[3] == "resolve":
            return self._resolve(method, parts[0][:-1], f"{parts[1]}/{parts[2]}", parts[4], "/".join(parts[5:]), user)
        if len(parts) >= 5 and parts[0] not in ("api", "datasets") and parts[2] == "resolve":
            return self._resolve(method, "model", f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), user)

        if len(parts) >= 4 and parts[0] == "api" and parts[1] in ("datasets", "models", "spaces"):
            return self._repo_api(method, parts[1][:-1], f"{parts[2]}/{parts[3]}", parts[4:], query, body, user)
        return self._error(404, f"stand-in has no route for {method} {path}")

    def _repo_api(self, method, rtype, repo_id, rest, query, body, user) -> None:
        hub = self.standin
        repo = hub.repos.get((rtype, repo_id))
        if repo is None or not self._can_read(repo, user):
            return self._error(404, "Repository not found", "RepoNotFound")
        op = rest[0] if rest else "revision"
        rev = unquote(rest[1]) if len(rest) > 1 else "main"
        sub = "/".join(rest[2:])
        if op not in ("branch",):
            oid = repo.branches.get(rev) or (rev if rev in hub.commit_store else None)
            if oid is None:
                return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            commit = hub.commit_store[oid]

        if op == "revision" and method == "GET":
            siblings = [{"rfilename": p, "size": b.size, "blobId": b.entry(p)["oid"],
                         **({"lfs": {"sha256": b.lfs_sha256, "size": b.size, "pointerSize": b.entry(p)["lfs"]["pointerSize"]}}
                            if b.lfs_sha256 else {})}
                        for p, b in sorted(commit.tree.items())]
            return self._send(200, {"id": repo_id, "_id": "0" * 24, "author": repo_id.split("/")[0], "sha": oid,
                                    "private": repo.private, "disabled": False, "gated": False,
                                    "lastModified": "2024-01-01T00:00:00.000Z", "tags": [], "siblings": siblings,
                                    "cardData": {}})
        if op == "tree" and method == "GET":
            recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
            return self._send(200, _list_tree(commit.tree, sub, recursive))
        if op == "paths-info" and method == "POST":
            form = parse_qs(body.decode())
            out = []
            dirs = _dirs(commit.tree)
            for p in form.get("paths", []):
                p = p.strip("/")
                if p in commit.tree:
                    out.append(commit.tree[p].entry(p))
                elif p in dirs:
                    out.append({"type": "directory", "path": p, "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0})
            return self._send(200, out)
        if op == "preupload" and method == "POST":
            if not self._can_write(repo_id, user):
                return self._error(403, "You don't have write access to this repository")
            self._fault("preupload")
            files = json.loads(body)["files"]
            out = []
            for f in files:
                sample = base64.b64decode(f["sample"])
                lfs = f["path"].endswith((".parquet", ".arrow")) or f["size"] > 10 * 2**20 or b"\0" in sample
                existing = commit.tree.get(f["path"])
                out.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                            "oid": existing.etag() if existing else None})
            return self._send(200, {"files": out, "commitOid": oid})
        if op == "commit" and method == "POST":
            if not self._can_write(repo_id, user):
                return self._error(403, "You don't have write access to this repository")
            self._fault("commit")
            lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
            header = next(x["value"] for x in lines if x["key"] == "header")
            with hub._lock:
                head = repo.branches.get(rev)
                if rev not in repo.branches:
                    return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
                parent = header.get("parentCommit")
                if parent is not None and parent != head:
                    return self._error(412, "A commit has happened since. Please refresh and try again.")
                tree = dict(hub.commit_store[head].tree)
                for x in lines:
                    v = x["value"]
                    if x["key"] == "file":
                        data = base64.b64decode(v["content"])
                        tree[v["path"]] = Blob(data, len(data))
                    elif x["key"] == "lfsFile":
                        obj = hub.lfs.get((f"{rtype}/{repo_id}", v["oid"]))
                        if obj is None:
                            return self._error(422, f"LFS object {v['oid']} for {v['path']} was never uploaded")
                        tree[v["path"]] = Blob(None, len(obj), v["oid"])
                    elif x["key"] == "deletedFile":
                        if v["path"] not in tree:
                            return self._error(404, "A file with this name doesn't exist", "EntryNotFound")
                        del tree[v["path"]]
                    elif x["key"] == "deletedFolder":
                        for p in [p for p in tree if p.startswith(v["path"].rstrip("/") + "/")]:
                            del tree[p]
                c = hub._new_commit(repo, rev, head, header.get("summary", ""), tree)
            self._fault("commit", after=True)
            return self._send(200, {"commitUrl": f"{hub.endpoint}/{rtype}s/{repo_id}/commit/{c.oid}",
                                    "commitOid": c.oid, "success": True})
        if op == "branch" and method == "POST":
            if not self._can_write(repo_id, user):
                return self._error(403, "You don't have write access to this repository")
            branch = unquote("/".join(rest[1:]))
            if branch in repo.branches:
                return self._error(409, "Branch already exists")
            start = (json.loads(body or b"{}") or {}).get("startingPoint") or "main"
            start_oid = repo.branches.get(start) or (start if start in hub.commit_store else None)
            if start_oid is None:
                return self._error(404, f"Invalid rev id: {start}", "RevisionNotFound")
            with hub._lock:
                repo.branches[branch] = start_oid
            return self._send(200, {})
        return self._error(404, f"stand-in has no route for {method} /api/{rtype}s/{repo_id}/{'/'.join(rest)}")

    def _resolve(self, method, rtype, repo_id, rev, fpath, user) -> None:
        hub = self.standin
        repo = hub.repos.get((rtype, repo_id))
        if repo is None or not self._can_read(repo, user):
            return self._error(404, "Repository not found", "RepoNotFound")
        rev = unquote(rev)
        oid = repo.branches.get(rev) or (rev if rev in hub.commit_store else None)
        if oid is None:
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        blob = hub.commit_store[oid].tree.get(fpath)
        if blob is None:
            return self._error(404, "Entry not found", "EntryNotFound")
        data = hub.lfs[(f"{rtype}/{repo_id}", blob.lfs_sha256)] if blob.lfs_sha256 else (blob.data or b"")
        headers = {"X-Repo-Commit": oid, "ETag": f'"{blob.etag()}"', "Accept-Ranges": "bytes"}
        if blob.lfs_sha256:
            headers["X-Linked-Etag"] = f'"{blob.lfs_sha256}"'
            headers["X-Linked-Size"] = str(blob.size)
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            if a == "":
                start, end = max(0, len(data) - int(b)), len(data) - 1
            else:
                start, end = int(a), (int(b) if b else len(data) - 1)
            end = min(end, len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data = data[start:end + 1]
            status = 206
        return self._send(status, data, headers, head=(method == "HEAD"))


def _dirs(tree: dict[str, Blob]) -> set[str]:
    out = set()
    for p in tree:
        parts = p.split("/")
        for i in range(1, len(parts)):
            out.add("/".join(parts[:i]))
    return out


def _list_tree(tree: dict[str, Blob], sub: str, recursive: bool) -> list[dict[str, Any]]:
    prefix = sub.strip("/") + "/" if sub.strip("/") else ""
    out, seen = [], set()
    for d in sorted(_dirs(tree)):
        if d.startswith(prefix) and (recursive or "/" not in d[len(prefix):]) and d != sub.strip("/"):
            out.append({"type": "directory", "path": d, "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0})
            seen.add(d)
    for p, b in sorted(tree.items()):
        if p.startswith(prefix) and (recursive or "/" not in p[len(prefix):]):
            out.append(b.entry(p))
    return out


__all__ = ["HubStandin", "git_blob_sha1", "lfs_pointer"]

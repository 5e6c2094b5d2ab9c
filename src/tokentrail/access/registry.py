"""The projects and keys in the store, kept in memory for the per-request check and refreshed from the
store every :data:`REFRESH_SECONDS` (so a key created or revoked on another server counts there within
seconds; on this one at once).

Authentication is on (``enforced``) once a key has ever been created in the store, or
``TOKENTRAIL_ADMIN_KEY`` is set: revoking every key then locks the server rather than opening it.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tokentrail.access.keys import ADMIN_ENV_KEY_ID, RIGHTS, Principal, digest, key_id, mint_key
from tokentrail.errors import BadRequest, Conflict, NotFound
from tokentrail.projects import valid_project
from tokentrail.store.access import key_rows, project_rows, save_key, save_project
from tokentrail.store.database import Store

__all__ = ["REFRESH_SECONDS", "Access", "KeyRecord", "ProjectRecord"]

REFRESH_SECONDS = 2.0
_ENV_ADMIN = Principal(ADMIN_ENV_KEY_ID, None, frozenset(RIGHTS), admin=True, name="TOKENTRAIL_ADMIN_KEY")


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    name: str
    description: str
    created_ns: int
    archived_ns: int = 0

    @property
    def active(self) -> bool:
        return not self.archived_ns


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: str
    name: str
    project: str
    admin: bool
    rights: tuple[str, ...]
    digest: str
    created_ns: int
    revoked_ns: int = 0

    @property
    def active(self) -> bool:
        return not self.revoked_ns

    @property
    def principal(self) -> Principal:
        return Principal(
            key_id=self.id,
            project=None if self.admin else self.project,
            rights=frozenset(RIGHTS if self.admin else self.rights),
            admin=self.admin,
            name=self.name,
        )


class Access:
    """Projects and keys: authenticate a key, and create, list and revoke them."""

    def __init__(self, store: Store, secret: bytes, admin_key: str = "") -> None:
        self._store = store
        self.secret = secret
        self._admin_digest = digest(secret, admin_key) if admin_key else ""
        self._lock = threading.Lock()
        self._keys: dict[str, KeyRecord] = {}
        self._projects: dict[str, ProjectRecord] = {}
        self._loaded_at = 0.0
        self.refresh()

    @property
    def enforced(self) -> bool:
        """Whether every request must present a key (or a UI session)."""
        return bool(self._admin_digest or self._keys)

    @property
    def stale(self) -> bool:
        return time.monotonic() - self._loaded_at > REFRESH_SECONDS

    def refresh(self) -> None:
        """Read the projects and keys again (one refresh at a time; others keep the current view)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._load()
        finally:
            self._lock.release()

    def authenticate(self, key: str) -> Principal | None:
        """The principal of an active key, else None."""
        presented = digest(self.secret, key)
        if self._admin_digest and hmac.compare_digest(presented, self._admin_digest):
            return _ENV_ADMIN
        record = self._keys.get(key_id(key) or "")
        if record is None or not hmac.compare_digest(presented, record.digest) or not record.active:
            return None
        return record.principal

    def principal(self, key_id_: str) -> Principal | None:
        """The principal of the active key with this id (a UI session names its key by id)."""
        if key_id_ == ADMIN_ENV_KEY_ID and self._admin_digest:
            return _ENV_ADMIN
        record = self._keys.get(key_id_)
        return record.principal if record is not None and record.active else None

    def session_binding(self, key_id_: str) -> str:
        """What a UI session is signed over besides its key id: the key's digest, so a session outlives
        neither its key nor a change of the server secret."""
        if key_id_ == ADMIN_ENV_KEY_ID:
            return self._admin_digest
        record = self._keys.get(key_id_)
        return record.digest if record is not None else ""

    # Management (admin routes and commands).

    def projects(self) -> list[ProjectRecord]:
        return sorted(self._projects.values(), key=lambda project: project.name)

    def project(self, name: str) -> ProjectRecord:
        found = self._projects.get(name)
        if found is None:
            raise NotFound(f"no project {name!r}")
        return found

    def create_project(self, name: str, description: str = "") -> ProjectRecord:
        with self._lock:
            self._load()
            existing = self._projects.get(valid_project(name))
            if existing is not None and existing.active:
                raise Conflict(f"project {name!r} exists")
            record = ProjectRecord(name, description, time.time_ns())
            save_project(self._store, _row(record))
            self._load()
        return record

    def archive_project(self, name: str) -> ProjectRecord:
        """Archive a project and revoke its keys (its spans stay until purged or expired)."""
        with self._lock:
            self._load()
            record = replace(self.project(name), archived_ns=time.time_ns())
            save_project(self._store, _row(record))
            for key in self._keys.values():
                if key.project == name and key.active:
                    save_key(self._store, _row(replace(key, revoked_ns=record.archived_ns)))
            self._load()
        return record

    def keys(self, project: str | None = None) -> list[KeyRecord]:
        chosen = (key for key in self._keys.values() if project is None or key.project == project)
        return sorted(chosen, key=lambda key: (key.created_ns, key.id))

    def create_key(
        self, name: str, *, project: str | None, rights: Iterable[str] = (), admin: bool = False
    ) -> tuple[str, KeyRecord]:
        """A new key (returned once, in clear) and its record."""
        granted = tuple(dict.fromkeys(rights))
        unknown = [right for right in granted if right not in RIGHTS]
        if unknown:
            raise BadRequest(f"unknown rights {unknown}; a key may have {', '.join(RIGHTS)}")
        if admin == (project is not None):
            raise BadRequest("a key is either an admin key or a key of one project")
        if not admin and not granted:
            raise BadRequest(f"a project key needs one or more rights: {', '.join(RIGHTS)}")
        if admin and granted:
            raise BadRequest("an admin key has every right; give it none")
        with self._lock:
            self._load()
            if project is not None and not self.project(project).active:
                raise Conflict(f"project {project!r} is archived")
            key, new_id = mint_key()
            kept = digest(self.secret, key)
            record = KeyRecord(new_id, name, project or "", admin, granted, kept, time.time_ns())
            save_key(self._store, _row(record))
            self._load()
        return key, record

    def revoke_key(self, key_id_: str) -> KeyRecord:
        with self._lock:
            self._load()
            record = self._keys.get(key_id_)
            if record is None:
                raise NotFound(f"no key {key_id_!r}")
            if record.active:
                record = replace(record, revoked_ns=time.time_ns())
                save_key(self._store, _row(record))
                self._load()
        return record

    def _load(self) -> None:
        self._projects = {row["name"]: ProjectRecord(**row) for row in project_rows(self._store)}
        self._keys = {
            row["id"]: KeyRecord(**{**row, "admin": bool(row["admin"]), "rights": tuple(row["rights"])})
            for row in key_rows(self._store)
        }
        self._loaded_at = time.monotonic()


def _row(record: ProjectRecord | KeyRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in record.__dataclass_fields__}
    if isinstance(record, KeyRecord):
        row.update(admin=int(record.admin), rights=list(record.rights))
    return row

"""Model objects whose reads are recorded, and values derived from them read as one key.

Reading a public attribute of an agency or page notes its file (file:<path>, with the hash of
its bytes) in the frame being recorded (kcrecord/engine/deps.py). An incident's fields note its
front matter (front:<path>, kcrecord/content/assemble.py); its rendered body and its source note
its file, the body also the base path its links point at; an agency's incidents note which files
name it. Site values worked out from many objects (`derived`) are computed once in their own
frame and read as derived:<name> with a fingerprint of the value by identity, so a page that
reads the timeline's years depends on which incidents each year holds, not on their every word.
"""

from __future__ import annotations

from collections.abc import Callable
from sys import intern
from typing import Any, ClassVar, Generic, TypeVar

from kcrecord.engine.deps import FRAMES, digest, identity, note, unrecorded

T = TypeVar("T")


class Recorded:
    """Notes what each read of a public attribute depends on: `_reads[name]`, or `_reads['']` for the rest."""

    _reads: ClassVar[dict[str, dict[str, str]]] = {"": {}}

    def __getattribute__(self, name: str) -> Any:
        if FRAMES and name[0] != "_":
            reads = object.__getattribute__(self, "_reads")
            found = reads.get(name)
            FRAMES[-1].update(reads[""] if found is None else found)
        return object.__getattribute__(self, name)

    def identity_key(self) -> str:
        """Return the key naming this object's file (call it on the type: Incident.identity_key(x) notes nothing).

        Interned, as the file keys the model's reads note are (file_key): one object for each file
        however many tables and frames hold it.
        """
        source = object.__getattribute__(self, "__dict__").get("source")  # not through __getattribute__ above
        return file_key(source.rel) if source is not None else f"{type(self).__name__}:{id(self)}"


def file_key(rel: str, kind: str = "file:") -> str:
    """Return kind + rel (file:<path>, front:<path>) interned: the one object for that key."""
    return intern(kind + rel)


def slug_of(item: Recorded) -> str:
    """Return item's slug without noting a read of its file.

    Only for items taken from a list whose read noted which files it holds (coll:<name>,
    agency-incidents:<slug>): the slug is the file's name, so that key covers it.
    """
    return object.__getattribute__(item, "slug")  # type: ignore[no-any-return]


def file_of(item: Recorded) -> str:
    """Return the path of item's file (as the project names it) without noting a read of the file.

    The path is what names the item: whatever handed the item over recorded which one it is (a
    piece's key names its file; a list's coll:<name> which files it holds), so the path read here
    depends on nothing more. Only what the file holds is a read of it.
    """
    return object.__getattribute__(item, "source").rel  # type: ignore[no-any-return]


def set_reads(item: Recorded, default: dict[str, str], **special: dict[str, str]) -> None:
    """Say what reading item records: default for most attributes, special ones by name."""
    object.__setattr__(item, "_reads", {"": default, **special})


class _Computed(Generic[T]):
    """A property worked out by func (a method of the object), under the name it is given in its class."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class derived(_Computed[T]):  # noqa: N801 - used like cached_property
    """A site value worked out once from many objects, read as one key: derived:<name>.

    Reading it records derived:<name> with a fingerprint of the value by identity (which
    incidents, in which order; plain values as they are), not everything it was made from: a
    page that reads the years depends on which incidents each year holds, and on what it then
    reads of them, not on every word of every incident (early cutoff, as in Salsa).
    """

    def __get__(self, obj: object, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        store = obj.__dict__.setdefault("_derived", {})
        kept = store.get(self.name)
        if kept is None:
            with unrecorded():  # what it reads is summed up by the value's fingerprint
                value = self.func(obj)
            kept = store[self.name] = (value, digest(identity(value)))
        note(f"derived:{self.name}", kept[1])
        return kept[0]  # type: ignore[no-any-return]


class once(_Computed[T]):  # noqa: N801 - used like cached_property
    """A property worked out at its first read and kept in the object's __dict__ (later reads find it there).

    functools.cached_property without its lock: Python 3.11's takes one at every first read,
    40,000 of them for 10,000 incidents in each build.
    """

    def __get__(self, obj: object, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.func(obj)
        return value


def derived_fingerprint(obj: object, name: str) -> str:
    """Return what derived:<name> is now on obj ('' when obj has no such value)."""
    if not isinstance(getattr(type(obj), name, None), derived):
        return ""
    with unrecorded():
        getattr(obj, name)
    return obj.__dict__["_derived"][name][1]  # type: ignore[no-any-return]

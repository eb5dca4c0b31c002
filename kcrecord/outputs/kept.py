"""A kept value: what made it (its frame), its fingerprint, and the revision it was last found current in.

Fragments (kcrecord/outputs/fragments.py) keeps one for each piece and memo. One loaded from
the cache folder (kcrecord/engine/kept_pieces.py) may hold its value and its frame still
pickled, with others: each is unpickled when first used.
"""

from __future__ import annotations

import pickle
from typing import Any, Protocol


class CacheDamagedError(Exception):
    """A kept value could not be unpickled (the cache folder's bytes changed): the engine runs again from nothing."""


UNREADABLE = (
    OSError,
    pickle.PickleError,
    EOFError,
    AttributeError,
    ImportError,
    TypeError,
    ValueError,
    MemoryError,  # a damaged length: pickle asks for gigabytes
    OverflowError,  # a damaged length past what an index holds
)
"""What loading a pickle the cache folder holds raises when its bytes are damaged (1 in 200 single-byte damages
raised MemoryError or OverflowError, which once made every build fail until .cache/ was deleted)."""


class Packed(Protocol):
    """Values, or frames, kept pickled until one of them is used (kcrecord/engine/kept_pieces.py)."""

    def unpack(self) -> None:
        """Give each Kept it holds its own (Kept.fill, Kept.fill_frame)."""


class Group(Protocol):
    """Pieces loaded together, with what they read from outside the group (kcrecord/engine/kept_pieces.py)."""

    owners: dict[str, Kept]
    summary: dict[str, str] | None


class Framed:
    """Something made with a frame of reads, which may still be pickled with others (a Kept, a Record).

    The subclass's slots hold _frame (None while pickled) and frames (what unpickles it).
    """

    __slots__ = ()
    _frame: dict[str, str] | None
    frames: Packed | None

    @property
    def frame(self) -> dict[str, str]:
        """Return what it read, by key (unpickled first, with the others packed with it, when still pickled)."""
        if self._frame is None:
            self.frames.unpack()  # type: ignore[union-attr] - made with a frame or with frames
        return self._frame  # type: ignore[return-value]

    def fill_frame(self, frame: dict[str, str]) -> None:
        """Set the frame that was still pickled."""
        self._frame, self.frames = frame, None


class Kept(Framed):
    """A value with the reads that made it, and the revision it was last found current in.

    A Kept loaded from the cache folder may hold its value still pickled, with others of its
    name, and its frame with the others of its part (kcrecord/engine/kept_pieces.py): each is
    unpickled when first used. A build after an edit to one incident uses few of the 100,000
    pieces' values, and reads the frames of the part it changed (most parts are found current by
    a summary of what they read).
    """

    __slots__ = ("_value", "_frame", "checked", "fingerprint", "dropped", "heavy", "packed", "frames")

    def __init__(
        self,
        value: Any,
        frame: dict[str, str] | None,  # None: still pickled (frames)
        checked: int = 0,
        fingerprint: str = "",  # what its readers record (memo:<name>, piece:<name>\0<file>): a token of its value
        dropped: bool = False,  # a memo kept without its value (made again when used; its fingerprint still holds)
        heavy: bool = False,  # a memo fingerprinted by its reads (memo(by_reads=True)): its value is not saved
    ) -> None:
        self._value = value
        self._frame = frame
        self.checked = checked
        self.fingerprint = fingerprint
        self.dropped = dropped
        self.heavy = heavy
        self.packed: Packed | None = None  # where its value is while still pickled
        self.frames: Packed | None = None  # where its frame is while still pickled (_frame is None until then)

    @classmethod
    def loaded(cls, fingerprint: str, dropped: bool, heavy: bool, packed: Packed, frames: Packed) -> Kept:
        """Return a piece loaded from the cache folder: its value in packed, its frame in frames, both still pickled."""
        kept = cls(None, None, 0, fingerprint, dropped, heavy)
        kept.packed, kept.frames = packed, frames
        return kept

    @property
    def value(self) -> Any:
        """Return the value (unpickled first, with the others packed with it, when still pickled)."""
        if self.packed is not None:
            self.packed.unpack()
        return self._value

    def fill(self, value: Any) -> None:
        """Set the value that was still pickled."""
        self._value, self.packed = value, None

    def pack(self, packed: Packed) -> None:
        """Let go of the value, now pickled in packed with others (kcrecord/engine/spill.py)."""
        self._value, self.packed = None, packed

    def __reduce__(self) -> tuple:
        """Pickle as a plain tuple, with its value; checked starts at 0."""
        return (Kept, (self.value, self.frame, 0, self.fingerprint, self.dropped, self.heavy))

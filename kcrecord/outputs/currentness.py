"""Whether a kept piece or memo is current in this revision (a part of Fragments, kcrecord/outputs/fragments.py).

A kept value is current while every key its frame read has the fingerprint recorded there; in
the preview, one that the read index does not name a suspect is current without its frame being
read (Fragments.suspect). One found out of date is marked so for the rest of the revision
(checked = -revision), and its key noted in _out_of_date until a value is kept for that key
again: a list of 10,000 pieces with none of its keys there holds no such mark, known without
looking at each piece (Fragments._each_suspect).
"""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.outputs.kept import Kept


class Currentness:
    """The currentness checks of Fragments, which holds what they use."""

    revision: int
    _now: Callable[[str], str] | None
    _known: dict[str, str]
    suspects: set[str] | None
    _direct: set[str] | None
    _outdated: bool
    _out_of_date: set[str]

    def _current(self, kept: Kept, key: str) -> bool:
        """Return True when every key kept's frame read has its fingerprint still (key: kept's own, for suspects)."""
        if kept.checked == self.revision:
            return True
        now = self._now
        if now is None or kept.checked == -self.revision:  # found out of date in this revision already
            return False
        suspects = self.suspects
        if key and suspects is not None and kept.fingerprint:
            if key not in suspects:
                kept.checked = self.revision  # none of its reads changed, nor of what they read
                return True
            direct = self._direct
            if direct is not None and key not in direct and len(suspects) < len(kept.frame):
                return self._current_but(kept, key, suspects)
        if kept.frame.items() <= self._known.items():  # every read known, as recorded: one C loop
            kept.checked = self.revision
            return True
        known = self._known.get
        for read, fingerprint in kept.frame.items():
            found = known(read)
            if found != fingerprint and (found is not None or now(read) != fingerprint):
                kept.checked = -self.revision  # a value made again replaces this Kept: the mark goes with it
                self._outdated = True
                self._out_of_date.add(key)
                return False
        kept.checked = self.revision
        return True

    def _current_but(self, kept: Kept, key: str, suspects: set[str]) -> bool:
        """Return _current(kept) for a suspect only as a reader of suspects: each suspect's key it read as recorded."""
        frame, now = kept.frame, self._now
        assert now is not None
        for unit in suspects:
            recorded = frame.get(unit)
            if recorded is not None and now(unit) != recorded:
                kept.checked = -self.revision
                self._outdated = True
                self._out_of_date.add(key)
                return False
        kept.checked = self.revision
        return True

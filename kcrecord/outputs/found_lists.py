"""A list's kept pieces as last found, brought up to date from the pieces kept since (a part of Fragments).

In the preview, after an edit, each list and download looks up its 10,000 pieces' keys among the
140,000 kept pieces and memos (Fragments._each_suspect): about 2 ms a list, for 18 lists, most
of it waiting on memory. Between two updates only the pieces made again replace what is kept
for their key, and Fragments.adopt notes each one here: a list asked for again with the same keys
copies what it found last time and replaces the places of the keys noted since. What it gives is
what looking every key up gives: anything else that changes which object is kept for a key
(a piece dropped, a heavy memo let go) forgets every list found.
"""

from __future__ import annotations

from kcrecord.outputs.kept import Kept

MAX_NOTED = 4096
"""Keys noted before every list found is forgotten (an edit to a template makes 10,000 pieces again)."""
MAX_LISTS = 64
"""Lists kept found (one by name and length: each agency's, each year's, the whole timeline's)."""

Found = tuple[list[str], list[Kept], list[str], dict[str, int], int]
"""A list's keys, the pieces found for them and their fingerprints, each key's place, and how many keys were noted."""


class FoundLists:
    """The found-lists methods of Fragments (kcrecord/outputs/fragments.py), which holds what they use."""

    kept: dict[str, Kept]
    _found: dict[tuple[str, int], Found]
    _noted: list[str]

    def note_kept(self, key: str) -> None:
        """Note that key's kept piece (or memo) was replaced or added; nothing to note while no list is kept found."""
        if self._found:
            self._noted.append(key)
            if len(self._noted) > MAX_NOTED:
                self.forget_found()

    def forget_found(self) -> None:
        """Forget every list found (a kept value was dropped or replaced without note_kept)."""
        self._found, self._noted = {}, []

    def found_again(self, name: str, keys: list[str]) -> tuple[list[Kept], list[str], dict[str, int]] | None:
        """Return [kept.get(key) for key in keys], their fingerprints and each key's place; None: not found before.

        The lists returned are the caller's own. Found from the list last found for these very
        keys (compared object by object, in C: the keys are interned), with the places of the
        keys noted since looked up again.
        """
        seen = self._found.get((name, len(keys)))
        if seen is None or seen[0] != keys:
            return None
        _keys, found, fingerprints, places, at = seen
        found, fingerprints = found[:], fingerprints[:]
        kept = self.kept
        for key in self._noted[at:]:
            place = places.get(key)
            if place is not None:
                item = kept.get(key)
                if item is None:  # dropped without a note: looked up again
                    return None
                found[place], fingerprints[place] = item, item.fingerprint
        return found, fingerprints, places

    def keep_found(
        self, name: str, keys: list[str], found: list[Kept], fingerprints: list[str], places: dict[str, int] | None
    ) -> None:
        """Keep what was found for keys, for found_again (not when a key is there twice: an incident listed twice)."""
        if places is None:
            places = dict(zip(keys, range(len(keys)), strict=True))
            if len(places) != len(keys):
                return
        if len(self._found) >= MAX_LISTS:
            self.forget_found()
        self._found[(name, len(keys))] = (keys[:], found[:], fingerprints[:], places, len(self._noted))

"""How make site finds most kept pieces current at once, before planning (a part of Fragments).

After an edit to one incident, nearly all of the 110,000 kept pieces are current. settle_groups
finds them a group at a time, from a summary of what each group read (kcrecord/engine/kept_pieces.py),
without reading their frames; settle() then notes the rest as current when their frames say so,
so the outputs' frames are found unchanged in C (kcrecord/engine/read_index.py, changed_reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter, methodcaller

from kcrecord.outputs.kept import Group, Kept

_fingerprint = attrgetter("fingerprint")


class Settling:
    """The settling methods of Fragments (kcrecord/outputs/fragments.py), which holds what they use."""

    kept: dict[str, Kept]
    revision: int
    _known: dict[str, str]
    _now: Callable[[str], str] | None
    _settled: set[str]
    _outdated: bool
    _current: Callable[[Kept, str], bool]  # Currentness._current

    def settle_groups(self, groups: Iterable[Group]) -> None:
        """Note each piece of a current group as current, and its fingerprint as known (make site, before planning).

        groups: the pieces of one name and part as loaded, each with a summary of what they read
        from outside the group (kcrecord/engine/kept_pieces.py). A group still holding those very
        pieces, whose summary is current, has every piece current, found without reading their
        frames. Memos read pieces, and pieces memos: memos found current from what is known are
        known too while this runs, until nothing more is found. Nothing is asked of a piece or a
        memo here (the makers are registered by the planners, after this): what is not found
        current is left to settle().
        """
        known, revision, kept_now = self._known, self.revision, self.kept
        memos = {key: kept_now[key] for key in filter(methodcaller("startswith", "memo:"), kept_now)}
        waiting = [  # the very pieces loaded (a Kept equals itself alone: compared in C), none found out of date
            group
            for group in groups
            if group.summary is not None
            and group.owners.items() <= kept_now.items()
            and (not self._outdated or all(kept.checked != -revision for kept in group.owners.values()))
        ]
        added: list[str] = []
        settled = self._settled = set()
        try:
            progress = True
            while progress and waiting:
                progress = False
                for key, kept in list(memos.items()):
                    if kept.checked == revision or self._known_now(kept.frame):
                        kept.checked, known[key] = revision, kept.fingerprint
                        added.append(key)
                        del memos[key]
                        progress = True  # a memo may read another found after it
                for group in list(waiting):
                    if self._known_now(group.summary):  # type: ignore[arg-type] - waiting only with one
                        owners = group.owners
                        for kept in owners.values():
                            kept.checked = revision
                        known.update(zip(owners, map(_fingerprint, owners.values()), strict=True))
                        settled.update(owners)
                        waiting.remove(group)
                        progress = True
        finally:
            for key in added:
                del known[key]  # a memo made again changes its own: asked for each time

    def settle(self) -> None:
        """Note in the revision's known fingerprints each kept piece found current (make site, before the frames).

        A list's frame holds 10,000 pieces and each incident page its own: with them known, most
        frames are found unchanged in one C comparison (kcrecord/engine/read_index.py) instead of
        asking for each piece in turn. A piece not current is left out: asked for, it is made again.
        While this runs, the memos current now are among the known fingerprints too (then taken
        out: a memo made again changes its own), so most pieces are found current in C as well.
        The pieces settle_groups found current are known already, and left out.
        """
        known, current, revision, settled = self._known, self._current, self.revision, self._settled
        every = [(key, kept) for key, kept in self.kept.items() if key not in settled]  # a copy: asking may keep more
        memos = {key: kept.fingerprint for key, kept in every if key.startswith("memo:") and current(kept, key)}
        known.update(memos)
        try:
            for key, kept in every:
                if key.startswith("memo:"):
                    continue
                if kept.checked == revision or kept.frame.items() <= known.items():
                    kept.checked = revision
                    known[key] = kept.fingerprint
                elif current(kept, key):  # asks for the keys not known yet: known from then on
                    known[key] = kept.fingerprint
        finally:
            for key in memos:
                del known[key]

    def _known_now(self, frame: dict[str, str]) -> bool:
        """Return True when each read in frame is as recorded, asking only for keys that are not units'."""
        known = self._known
        if frame.items() <= known.items():
            return True
        now = self._now
        get = known.get
        for key, fingerprint in frame.items():  # out at the first unit not known yet (settle_groups asks again)
            found = get(key)
            if found == fingerprint:
                continue
            if not isinstance(key, str):
                return False  # not a key: a summary from a cache file rewritten by hand, say
            if found is None and now is not None and not key.startswith(("piece:", "memo:")):
                found = now(key)
            if found != fingerprint:
                return False
        return True

"""How the pieces and memos of files gone, and memos not used lately, are dropped (a part of Fragments).

A long preview session makes a new incident object at each edit and a new memo variant for each
list of incidents it is used with (an agency's chart and map): what is no longer published, or
no longer used, is dropped after each whole update so the kept pieces stay those of the record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from kcrecord.outputs.kept import Kept

KEPT_ITEMS = 256
"""Keys of items no longer published kept at most (about) this many a name, then dropped (Fragments._keys)."""
MEMO_VARIANTS = 64
"""A memo's variants (its name with other inputs) kept unused in a revision, those last found current (forget_gone)."""


class Forgetting:
    """The forgetting methods of Fragments (kcrecord/outputs/fragments.py), which holds what they use."""

    kept: dict[str, Kept]
    revision: int
    files: set[str] | None
    _memos: set[str]
    _fresh: set[str]
    _named: dict[str, dict[int, tuple[Any, str]]]
    _lists: dict[int, Any]
    _last: dict[str, Any]
    _incidents: list[Any]
    forget_found: Callable[[], None]  # FoundLists.forget_found

    def forget_gone(self, files: Collection[str]) -> None:
        """Drop the pieces of files that are gone (call after a whole update; files: every content file now).

        Only the files there at the last call (make site: at the build that kept the pieces,
        State.piece_files), or whose pieces were made since, are looked for: 100,000 pieces are a long
        walk. (A piece kept by a build killed before saving its state stays unused until the code changes.)
        Pieces are checked when used, so one of a file not used in this revision may well be current:
        it is kept (an update that makes nothing must not throw away what the next one needs).
        A piece that is not current is made again when next used, whatever is kept. A memo kept
        for other inputs than those its name was used with in this revision (an agency's old list
        of incidents) is dropped too, past the MEMO_VARIANTS of them last found current (a heavy
        one at once): a long preview session would otherwise keep one for each, while one unused
        now may well be another page's (each agency's chart, when one agency's page is made).
        """
        revision, kept = self.revision, self.kept
        self._memos &= kept.keys()
        memos = list(self._memos)  # not a walk of 100,000 keys at each update
        used = {key.partition("\0")[0] for key in memos if kept[key].checked == revision}
        drop: list[str] = []
        light: dict[str, list[str]] = {}  # each used name's unused light variants
        for key in memos:
            if kept[key].checked != revision and key.partition("\0")[0] in used:
                if kept[key].heavy:
                    drop.append(key)
                else:
                    light.setdefault(key.partition("\0")[0], []).append(key)
        for keys in light.values():  # past the MEMO_VARIANTS found current last
            keys.sort(key=lambda key: abs(kept[key].checked), reverse=True)
            drop += keys[MEMO_VARIANTS:]
        files = set(files)
        # Pieces of other files went at earlier calls: only those of files there then, or with
        # pieces made since (a quick pass, an update that failed), can be of files gone.
        gone = None if self.files is None else (self.files | self._fresh) - files
        if gone is None or gone:
            there = files.__contains__ if gone is None else lambda file: file not in gone
            drop += [key for key in kept if not key.startswith("memo:") and not there(key.partition("\0file:")[2])]
        self._memos.difference_update(drop)
        for key in drop:
            del kept[key]
        if drop:
            self.forget_found()
        self.files, self._fresh = files, set()
        self._forget_items()

    def let_go_heavy(self) -> None:
        """Keep each heavy memo without its value, as the cache folder keeps it: made again if used.

        make site calls this before it makes a heavy memo (Fragments.memo: one held at a time) and
        as the outputs it makes in its own process leave a folder (kcrecord/engine/parallel.py),
        so the downloads and the database (about 45 MB each at 10,000 incidents) are held only
        while their own files below data/ are made.
        """
        kept = self.kept
        for key in self._memos:
            item = kept.get(key)
            if item is not None and item.heavy and not item.dropped:
                kept[key] = Kept(None, item.frame, item.checked, item.fingerprint, dropped=True, heavy=True)
                self.forget_found()

    def let_go_keys(self) -> None:
        """Drop the keys gathered for the lists (Fragments._keys), made again when a list next asks.

        make site calls this once every output is made, before it saves the state: at 10,000
        incidents the engine's memory at the save is some 30 MB smaller (tracemalloc). Each piece's
        own key stays, in kept and in the frames that recorded it.
        """
        self.let_go_lists()

    def let_go_lists(self) -> None:
        """Drop the keys gathered for the lists (the keys are interned: the lists made later share them).

        make site calls this as the outputs it makes in its own process leave a folder
        (kcrecord/engine/parallel.py): a list gathers the keys of the pieces it joins again, once.
        """
        self._named, self._lists, self._last = {}, {}, {}

    def _forget_items(self) -> None:
        """Drop the keys kept for items no longer published (each edit makes a new incident object)."""
        alive: set[int] | None = None
        for name, named in self._named.items():
            if len(named) > 2 * len(self._incidents) + KEPT_ITEMS:
                if alive is None:
                    alive = {id(item) for item in self._incidents}
                self._named[name] = {ident: entry for ident, entry in named.items() if ident in alive}

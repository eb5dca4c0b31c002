"""Memos kept in the cache folder: small ones with their values, the heavy downloads without (fragments.py)."""

from __future__ import annotations

import pickle

from kcrecord.engine.deps import note
from kcrecord.engine.kept_pieces import without_memo_values
from kcrecord.outputs.fragments import Fragments


def test_only_a_memo_fingerprinted_by_its_reads_is_saved_without_its_value() -> None:
    fragments = Fragments()
    fragments.begin(lambda key: "1")
    made = []

    def make(name: str) -> dict:
        made.append(name)
        note("file:content/a.md", "1")
        return {"value of": name}

    fragments.memo("geography", (), lambda: make("geography"))
    fragments.memo("downloads", (), lambda: make("downloads"), by_reads=True)
    saved = pickle.loads(pickle.dumps(without_memo_values(fragments.kept)))
    again = Fragments(saved)  # the next build, in another process
    again.begin(lambda key: "1")
    assert again.memo("geography", (), lambda: make("geography again")) == {"value of": "geography"}
    assert again.memo("downloads", (), lambda: make("downloads again")) == {"value of": "downloads again"}
    assert made == ["geography", "downloads", "downloads again"]
    again.begin(lambda key: "2")  # the file it read changed: made again, kept value or not
    again.memo("geography", (), lambda: make("geography, new"))
    assert made[-1] == "geography, new"

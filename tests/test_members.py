"""The incidents a chart or map shows, once each, and the digest its memo is named by (kcrecord/outputs/members.py)."""

from __future__ import annotations

import random

import pytest

from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.members import members
from tests.test_plan_keys import Model


@pytest.mark.parametrize("seed", range(30))
def test_members_are_each_file_once_in_order_and_their_digest_names_those_files(seed: int) -> None:
    rng = random.Random(seed)
    fragments = Fragments()
    fragments.begin(lambda key: "")
    files = [f"content/incidents/{n}.md" for n in range(8)]
    objects = {file: Model(file) for file in files}
    digests: dict[tuple[str, ...], str] = {}
    for _ in range(20):
        if rng.random() < 0.3:  # an edit: a new object for a file
            file = rng.choice(files)
            objects[file] = Model(file)
        if rng.random() < 0.2:
            fragments.begin(lambda key: "")
        chosen = [rng.choice(files) for _ in range(rng.randint(0, 10))]
        items = [objects[file] if rng.random() < 0.8 else Model(file) for file in chosen]  # some a second object
        once, named = members(fragments, items)
        expected = list(dict.fromkeys(chosen))
        assert [item.source.rel for item in once] == expected
        assert all(item is next(i for i in items if i.source.rel == item.source.rel) for item in once)  # the first
        assert digests.setdefault(tuple(expected), named) == named  # the same files: the same name
        assert list(digests.values()).count(named) == 1  # other files: another name

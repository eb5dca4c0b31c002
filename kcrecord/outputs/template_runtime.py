"""Shorter paths through three of Jinja's runtime calls, giving what Jinja's own give.

An incident page makes about 150 calls from its template (`m.get('time')`, `label(...)`) and
reads about 300 attributes of plain dicts (`m.title`). Jinja's `Context.call` asks every
callable whether it wants the context passed in, through three attribute lookups; its
`Environment.getattr` tries the attribute first, so each `m.title` raises and catches an
AttributeError before it looks the key up. The two took 7 % of a cold build's samples (py-spy, their own time).

- `FastContext.call` calls a built-in function or method (which cannot carry Jinja's
  pass_context mark) and a plain function without the mark straight away; anything else goes
  through Jinja's own `call`.
- `fast_getattr` looks a name up in a plain dict's keys first when the name is not one of
  dict's own attributes (then getattr could only have raised); anything else goes to Jinja.
- `fast_escape` writes out a Markup as it is, where Jinja's escape copies it (FastTemplate
  gives it to each template's compiled code).

FastTemplate also records what a template's module reads. Jinja runs an imported template's
top-level code once (`{% from %}`, `{% import %}` and `{% include %}` without context, and
`.module` from Python) and hands every later user the module it made. Its reads are recorded in a
frame of their own while it is made, and added to the frame of each unit that uses it, so every
page that shows `{% set n = site.incidents|length %}` from `_macros.html` is made again when an
incident is added, not only the first page that imported it (kcrecord/engine/deps.py).

tests/test_template_runtime.py checks each against Jinja's own on every kind of callable and
on random names.
"""

from __future__ import annotations

import types
from collections.abc import Callable, MutableMapping
from typing import Any

import jinja2
import markupsafe
from jinja2.runtime import Context
from jinja2.utils import internalcode

from kcrecord.engine.deps import FRAMES, recording

_STRAIGHT = frozenset(
    (
        types.BuiltinFunctionType,  # also bound methods of built-in types: dict.get
        types.MethodWrapperType,
        types.WrapperDescriptorType,
        types.MethodDescriptorType,
    )
)
_DICT_NAMES = frozenset(dir(dict))  # every name getattr finds on a plain dict


class FastContext(Context):
    """Jinja's context, calling plain callables without asking what they want passed in."""

    @internalcode  # hidden from template tracebacks, as Jinja's own call is
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's own signature
        kind = type(__obj)
        if kind in _STRAIGHT or (kind is types.FunctionType and not hasattr(__obj, "jinja_pass_arg")):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(__obj, *args, **kwargs)


@internalcode  # hidden from template tracebacks: an error shows Jinja's own frames
def fast_getattr(environment: jinja2.Environment, obj: Any, attribute: str) -> Any:
    """Return environment.getattr(obj, attribute) as Jinja would, a plain dict's keys looked up without an exception."""
    if type(obj) is dict and attribute not in _DICT_NAMES:
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):  # what Jinja catches (a key whose __eq__ raises)
            return environment.undefined(obj=obj, name=attribute)
    return jinja2.Environment.getattr(environment, obj, attribute)


def fast_escape(value: Any) -> Any:
    """Return markupsafe.escape(value), but a Markup as it is: escape would copy it into a new, equal Markup.

    A list of 10,000 incidents is one Markup of about 3 million characters, written out by
    `{{ incident_items(...) }}`: each copy took 5-8 ms.
    """
    if type(value) is markupsafe.Markup:
        return value
    return markupsafe.escape(value)


class FastTemplate(jinja2.Template):
    """Jinja's template, its output escaped by fast_escape (the name its compiled code looks up when it runs)."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: types.CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        template.root_render_func.__globals__["escape"] = fast_escape  # the module the template's code runs in
        return template

    _module_reads: dict[str, str] | None = None  # what the module read while it was made

    @internalcode
    def _get_default_module(self, ctx: Context | None = None) -> Any:
        """Return Jinja's module of the template, its reads added to the frame of the unit using it."""
        if ctx is not None and ctx.globals_keys - self.globals.keys():
            return super()._get_default_module(ctx)  # made afresh inside the reader's own frame
        if self._module is None or self._module_reads is None:
            with recording() as reads:
                module = super()._get_default_module(ctx)
            self._module_reads = reads
        else:
            module = self._module
        if FRAMES:
            FRAMES[-1].update(self._module_reads)
        return module

"""The shorter Jinja runtime paths give what Jinja's own give (kcrecord/outputs/template_runtime.py)."""

from __future__ import annotations

import random
import traceback
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest
from jinja2.utils import internalcode

from kcrecord.outputs.render import RecordingEnvironment
from kcrecord.outputs.template_runtime import FastContext, FastTemplate, fast_escape, fast_getattr


class Fast(jinja2.Environment):
    context_class = FastContext
    template_class = FastTemplate
    getattr = internalcode(lambda self, obj, attribute: fast_getattr(self, obj, attribute))  # as render.py's


def _stops() -> None:
    raise StopIteration


@jinja2.pass_context
def _with_context(context: Any, value: str) -> str:
    return f"{value}:{context.get('who')}"


@jinja2.pass_environment
def _with_environment(environment: Any, value: str) -> str:
    return f"{value}:{type(environment).__name__ == 'Fast' or type(environment).__name__ == 'Environment'}"


@jinja2.pass_eval_context
def _with_eval_context(eval_ctx: Any, value: str) -> str:
    return f"{value}:{eval_ctx.autoescape}"


class _CallableWithContext:
    @jinja2.pass_context
    def __call__(self, context: Any) -> str:
        return f"called:{context.get('who')}"


class _Plain:
    def method(self, value: str = "m") -> str:
        return value * 2

    @jinja2.pass_context
    def marked(self, context: Any) -> str:
        return f"marked:{context.get('who')}"


class _OtherHtml(markupsafe.Markup):
    """A Markup whose __html__ gives other text: escape writes that, so fast_escape must too."""

    def __html__(self) -> str:
        return "<other & html>"


class _HasHtml:
    def __html__(self) -> str:
        return "<obj>"

    def __str__(self) -> str:
        return "<not this>"


GLOBALS = {
    "safe": markupsafe.Markup("<b>safe & sound</b>"),
    "other_html": _OtherHtml("<b>ignored</b>"),
    "has_html": _HasHtml(),
    "raw": "<i>a & 'b'</i>",
    "stops": _stops,
    "with_context": _with_context,
    "with_environment": _with_environment,
    "with_eval_context": _with_eval_context,
    "callable_with_context": _CallableWithContext(),
    "plain": _Plain(),
    "plain_function": lambda value="x", **more: f"{value}{sorted(more)}",
    "upper": str.upper,
    "length": len,
    "add": (1).__add__,
    "who": "reader",
    "meta": {"title": "T", "items": "an items key", "get": "a get key", "nested": {"keys": 3, "name": "n"}},
}

TEMPLATES = [
    "{{ stops() }}",
    "{{ with_context('a') }}",
    "{{ with_environment('b') }}",
    "{{ with_eval_context('c') }}",
    "{{ callable_with_context() }}",
    "{{ plain.method() }} {{ plain.method('z') }} {{ plain.marked() }}",
    "{{ plain_function() }} {{ plain_function('y', k=1) }}",
    "{{ upper('abc') }} {{ length([1, 2]) }} {{ add(2) }}",
    "{{ meta.title }} {{ meta.get('title') }} {{ meta.get('missing', 'none') }}",
    "{{ meta.items }} {{ meta['items'] }} {{ meta.nested.keys }} {{ meta.nested.name }}",
    "{{ meta.items() | list | length }} {{ meta.keys() | list | length }}",
    "{% for k in meta.nested.keys() %}{{ k }}{% endfor %}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(meta.title) }}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{% for i in [1, 2] %}{{ m(i) }}{{ loop.index }}{% endfor %}",
    "{% for i in [1, 2] %}{{ with_context(i) }}{% endfor %}",
    "{% for i in [1, 2] %}{{ plain_function(i) }} {{ length([i]) }} {{ meta.get('title') }}{% endfor %}",
    "{% block b %}{% set x = 1 %}{{ plain_function(x) }} {{ upper('b') }}{% endblock %}",
    "{{ meta.missing }}",
    "{{ meta.nested.missing.deeper }}",
    "{{ meta.missing is defined }}",
    "{{ safe }} {{ other_html }} {{ has_html }} {{ raw }} {{ 5 }} {{ none }} {{ 1.5 }} {{ true }}",
    "{{ safe ~ raw }} {{ raw | safe }} {{ safe | upper }} {{ [safe, raw] | join(', ') }} {{ safe + raw }}",
    "{% macro m(x) %}<{{ x }}>{{ safe }}{% endmacro %}{{ m(raw) }}{{ m(safe) }}{% set c %}{{ raw }}{% endset %}{{ c }}",
    "{% autoescape false %}{{ raw }} {{ safe }}{% endautoescape %} {{ raw }}",
]


def _render(environment_class: type[jinja2.Environment], source: str, undefined: type) -> str:
    environment = environment_class(undefined=undefined, autoescape=True)
    environment.globals.update(GLOBALS)
    try:
        return environment.from_string(source).render()
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("undefined", [jinja2.StrictUndefined, jinja2.Undefined, jinja2.ChainableUndefined])
@pytest.mark.parametrize("source", TEMPLATES)
def test_templates_render_as_with_jinjas_own_runtime(source: str, undefined: type) -> None:
    assert _render(Fast, source, undefined) == _render(jinja2.Environment, source, undefined)


NAMES = [*dir(dict), "title", "get", "items", "nested", "missing", "", "__dict__", "__weakref__", "mro", "__name__"]


@pytest.mark.parametrize("seed", range(10))
def test_getattr_matches_jinja_on_random_dicts_and_names(seed: int) -> None:
    rng = random.Random(seed)
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for _ in range(300):
        obj: Any = {name: rng.randrange(9) for name in rng.sample(NAMES, rng.randrange(6))}
        if rng.random() < 0.2:
            obj = rng.choice([[1, 2], "text", 5, None, type("Sub", (dict,), {})(obj)])
        name = rng.choice(NAMES)
        ours = fast_getattr(environment, obj, name)
        theirs = jinja2.Environment.getattr(environment, obj, name)
        if isinstance(theirs, jinja2.Undefined):
            assert isinstance(ours, jinja2.StrictUndefined)
            assert (ours._undefined_obj, ours._undefined_name) == (theirs._undefined_obj, theirs._undefined_name)
        else:
            assert ours == theirs


def _error_frames(environment_class: type[jinja2.Environment]) -> list[tuple[str, int]]:
    environment = environment_class(undefined=jinja2.StrictUndefined)
    environment.globals["fails"] = lambda: 1 / 0
    with pytest.raises(ZeroDivisionError) as caught:
        environment.from_string("line one\n{{ fails() }}\n").render()
    frames = traceback.extract_tb(caught.value.__traceback__)
    return [(Path(frame.filename).name, frame.lineno or 0) for frame in frames]


class _RaisingKey:
    """A dict key with the hash of "title" whose comparison raises: Jinja's getattr gives Undefined."""

    def __hash__(self) -> int:
        return hash("title")

    def __eq__(self, other: object) -> bool:
        raise TypeError("cannot compare")


def test_getattr_on_a_dict_whose_key_comparison_raises_is_undefined_as_in_jinja() -> None:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    obj = {_RaisingKey(): 1}
    ours, theirs = fast_getattr(environment, obj, "title"), jinja2.Environment.getattr(environment, obj, "title")
    assert isinstance(ours, jinja2.StrictUndefined) and isinstance(theirs, jinja2.StrictUndefined)


class _Failing:
    @property
    def x(self) -> str:
        raise ValueError("no x")


def test_an_attribute_that_raises_shows_jinjas_own_frames() -> None:
    def frames(environment_class: type[jinja2.Environment]) -> list[str]:
        environment = environment_class(undefined=jinja2.StrictUndefined)
        with pytest.raises(ValueError) as caught:
            environment.from_string("{{ item.x }}").render(item=_Failing())
        return [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)][-3:]

    assert frames(Fast) == frames(jinja2.Environment)


def test_template_errors_keep_their_template_line() -> None:
    """kcrecord/engine/template_errors.py reads the template's line from the traceback: the shorter call keeps it."""
    ours, theirs = _error_frames(Fast), _error_frames(jinja2.Environment)
    assert ("<template>", 2) in ours
    assert [frame for frame in ours if frame[0] != "template_runtime.py"] == theirs
    assert not any(name == "template_runtime.py" for name, _line in ours)


HTML_BITS = ["<", ">", "&", "'", '"', "a", "é", "”", " ", "&amp;", "<b>"]


@pytest.mark.parametrize("seed", range(10))
def test_escaped_output_matches_jinja_on_random_values(seed: int) -> None:
    """Random texts, as str, Markup, a Markup subclass or an object with __html__: Fast writes what Jinja writes."""
    rng = random.Random(seed)
    kinds = [str, markupsafe.Markup, _OtherHtml, lambda text: type("H", (), {"__html__": lambda self: text})()]
    values = {f"v{index}": rng.choice(kinds)("".join(rng.choices(HTML_BITS, k=rng.randrange(8)))) for index in range(6)}
    source = " ".join("{{ " + name + " }}" for name in values) + "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(v0) }}"

    def rendered(environment_class: type[jinja2.Environment]) -> str:
        return environment_class(autoescape=True).from_string(source).render(**values)

    assert rendered(Fast) == rendered(jinja2.Environment)


def test_fast_escape_gives_a_markup_as_it_is_and_escapes_the_rest_as_markupsafe_does() -> None:
    text = markupsafe.Markup("<b>x</b>")
    assert fast_escape(text) is text  # not copied
    for value in ["<a & b>", _OtherHtml("x"), _HasHtml(), 3, None]:
        assert fast_escape(value) == markupsafe.escape(value)
        assert type(fast_escape(value)) is markupsafe.Markup


def test_templates_from_the_bytecode_cache_escape_with_fast_escape(tmp_path: Path) -> None:
    """A template loaded from compiled bytecode runs with fast_escape too (the preview's and make site's path)."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("{{ safe }}{{ raw }}", encoding="utf-8")
    (tmp_path / "cache").mkdir()
    cache = jinja2.FileSystemBytecodeCache(str(tmp_path / "cache"))
    loader = jinja2.FileSystemLoader(str(tmp_path / "templates"))
    for _ in range(2):  # compiled, then loaded from the cache
        environment = Fast(loader=loader, bytecode_cache=cache, autoescape=True)
        template = environment.get_template("page.html")
        assert template.root_render_func.__globals__["escape"] is fast_escape
        assert template.render(safe=GLOBALS["safe"], raw="<i>") == "<b>safe & sound</b>&lt;i&gt;"
    assert list((tmp_path / "cache").iterdir())


def test_the_build_renders_with_fast_template() -> None:
    """The build's environment (kcrecord/outputs/render.py) makes its templates with FastTemplate."""
    assert issubclass(RecordingEnvironment.template_class, FastTemplate)

"""The resolved-ruleset cache: a hit returns what a fresh load returns; any change misses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checker.api import default_rules_path, load_rules
from checker.resolve import load_ruleset
from checker.rulecache import load_ruleset_cached


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RULECHECK_CACHE_DIR", str(folder))
    return folder


def _rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(default_rules_path(), target)
    return target


def test_hit_equals_fresh_load(cache: Path, tmp_path: Path) -> None:
    folder = _rules(tmp_path)
    template = load_rules().template
    fresh = load_ruleset([folder], template)
    first = load_ruleset_cached([folder], template)
    assert list(cache.glob("rulesets/*.pickle")), "a clean load is stored"
    second = load_ruleset_cached([folder], template)
    assert first == fresh
    assert second == fresh


def test_an_edited_or_added_file_misses(cache: Path, tmp_path: Path) -> None:
    folder = _rules(tmp_path)
    template = load_rules().template
    before, _ = load_ruleset_cached([folder], template)
    included = folder / "三公经费表.rules"  # reached through ruleset.rules' includes
    rule = next(r for r in before.rules if r.span.file.endswith("三公经费表.rules"))
    lines = included.read_text(encoding="utf-8").split("\n")
    lines.insert(0, "# a new first line moves every rule down")
    included.write_text("\n".join(lines), encoding="utf-8")
    after, _ = load_ruleset_cached([folder], template)
    moved = next(r for r in after.rules if r.meta.id == rule.meta.id)
    assert moved.span.line == rule.span.line + 1


def test_a_corrupt_entry_is_ignored(cache: Path, tmp_path: Path) -> None:
    folder = _rules(tmp_path)
    template = load_rules().template
    expected, _ = load_ruleset_cached([folder], template)
    for entry in cache.glob("rulesets/*.pickle"):
        entry.write_bytes(b"not a pickle")
    again, _ = load_ruleset_cached([folder], template)
    assert again == expected


def test_errors_are_not_stored(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rules"
    bad.write_text('rule X-1 "t":\n    收支表[不存在的行] = 1\n', encoding="utf-8")
    template = load_rules().template  # stores the default ruleset's entry
    stored = set(cache.glob("rulesets/*.pickle"))
    _, diags = load_ruleset_cached([bad], template)
    assert any(d.severity == "error" for d in diags)
    assert set(cache.glob("rulesets/*.pickle")) == stored


def test_a_cached_engine_gives_the_fresh_engines_results(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checker.documents import load_documents
    from checker.evaluate import Engine

    rules = load_rules()
    batch = load_documents([str(Path(__file__).parent.parent / "examples")])
    fresh = Engine(rules.ruleset, rules.template)
    Engine.cached(rules.ruleset, rules.template)  # compiles and stores
    assert len(list(cache.glob("engines/*.pickle"))) == 1

    def no_compiling(*args: object) -> None:
        raise AssertionError("compiled again instead of loading the cached engine")

    monkeypatch.setattr(Engine, "__init__", no_compiling)
    loaded = Engine.cached(rules.ruleset, rules.template)
    monkeypatch.undo()

    def run(engine: Engine) -> object:
        return engine.run(batch.documents, batch.tables, batch.statements).frame

    assert run(loaded).equals(run(fresh))  # type: ignore[attr-defined]


def test_temporary_columns_are_named_by_rule_not_by_compile_order() -> None:
    """A cached engine compiles the rules a report lists cells for in a later process,
    into the same plans as its cached rules: their temporary and correlated-aggregate
    columns must be named after the rule, not after how many rules the process has
    compiled, or the names collide (a duplicate-column error from Polars)."""
    from checker.evaluate import Engine

    rules = load_rules()
    first, second = Engine(rules.ruleset, rules.template), Engine(rules.ruleset, rules.template)
    ids = [r.meta.id for r in rules.ruleset.rules if r.meta.id in first._by_id]

    def names(engine: Engine, rule_id: str) -> list[str]:
        compiled = engine.compiled(rule_id)
        return [n for n, _ in compiled.lets] + [c.name for c in compiled.correlated]

    # every rule compiled, in opposite orders in the two engines
    one = {i: names(first, i) for i in ids}
    two = {i: names(second, i) for i in reversed(ids)}
    assert one == two
    every = [n for found in one.values() for n in found]
    assert len(every) == len(set(every)) > 100


def test_stored_expressions_come_back_in_place(cache: Path) -> None:
    """Polars expressions are stored apart from the rest of a value (as one container):
    each comes back where it was, shared ones shared, and an entry of another format
    reads as a miss."""
    import pickle

    import polars as pl

    from checker import diskcache

    shared = (pl.col("a") + 1).alias("b")
    value = {
        "plain": [1, "二", None],
        "exprs": [shared, pl.lit(None, pl.Utf8), pl.struct(pl.col("x"), pl.col("y"))],
        "again": (shared, {"k": pl.col("z").sum()}),
    }
    entry = diskcache.entry("test", "k")
    diskcache.write(entry, value)
    back = diskcache.read(entry)
    assert back["plain"] == value["plain"]
    for before, after in zip(
        [*value["exprs"], *value["again"][:1], value["again"][1]["k"]],
        [*back["exprs"], *back["again"][:1], back["again"][1]["k"]],
        strict=True,
    ):
        assert after.meta.eq(before)
    assert back["again"][0] is back["exprs"][0]
    assert entry is not None
    entry.write_bytes(pickle.dumps(value))  # the format before expressions were set apart
    assert diskcache.read(entry) is None


def test_rules_compiled_on_demand_are_stored_apart(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule compiled in a later process (to list a report's cells) is stored with the
    engine, serialised on its own: the next process unpickles it only when asked for, so
    a cache grown by many reports does not slow every cold start; asked for, it comes
    back as compiled, without compiling it again."""
    from checker import compile as compile_module
    from checker import evaluate
    from checker.evaluate import Engine

    rules = load_rules()
    engine = Engine.cached(rules.ruleset, rules.template)
    running = {c.rule_id for c in engine.expression_rules}
    extra = [r for r in engine._by_id if r not in running][:5]
    assert len(extra) == 5
    made = {r: engine.compiled(r) for r in extra}
    engine._store_grown()

    loaded = Engine.cached(rules.ruleset, rules.template)
    assert set(loaded._stored) == set(extra)
    assert set(loaded._compiled) == running

    def no_compiling(*args: object) -> None:
        raise AssertionError("compiled again instead of reading the stored rule")

    monkeypatch.setattr(evaluate, "compile_rule", no_compiling)
    for rule_id, before in made.items():
        after = loaded.compiled(rule_id)
        assert isinstance(after, compile_module.CompiledRule)
        assert [n for n, _ in after.lets] == [n for n, _ in before.lets]
        for a, b in zip(
            [*after.select, *(e for _, e in after.lets), after.cells],
            [*before.select, *(e for _, e in before.lets), before.cells],
            strict=True,
        ):
            assert a.meta.eq(b)
    assert not loaded._stored


def test_the_cache_keeps_its_most_recently_used_entries(cache: Path) -> None:
    """Each kind keeps ``KEEP`` entries: the least recently read or written go first."""
    import os

    from checker import diskcache

    def put(name: str, when: int) -> Path:
        entry = diskcache.entry("test", name)
        assert entry is not None
        diskcache.write(entry, name)
        os.utime(entry, (when, when))
        return entry

    old = [put(f"old{i}", 1_000_000 + i) for i in range(diskcache.KEEP)]
    assert diskcache.read(old[0]) == "old0"  # read again: now the most recent
    new = [put(f"new{i}", 2_000_000 + i) for i in range(3)]
    kept = set(cache.glob("test/*.pickle"))
    assert kept == {old[0], *old[4:], *new}

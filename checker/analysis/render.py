"""The ``rulecheck analyze`` report: text (zh by default, en) and JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from checker.analysis.findings import Analysis, ConditionVerdict, Member
from checker.analysis.model import REASONS, RuleInfo
from checker.diagnostics import ExitCode, Lang, message, register
from checker.display import inert

register(
    {
        "analyze.header": (
            "{paths}：{rules} 条规则，{analysed} 条按线性约束分析（{instances} 个实例，"
            "{variables} 个数值），{skipped} 条未分析",
            "{paths}: {rules} rules, {analysed} analysed as linear constraints ({instances} "
            "instances, {variables} figures), {skipped} not analysed",
        ),
        "analyze.contradictions.none": (
            "矛盾：无（分析的规则可以同时通过）",
            "contradictions: none (the rules analysed can all pass together)",
        ),
        "analyze.contradiction.rounding": (
            "矛盾 {n}：没有文档能同时通过这 {count} 条规则，计入尾差也不能；"
            "去掉其中任何一条，其余的就能同时成立",
            "contradiction {n}: no document can pass these {count} rules together, not even "
            "by rounding; without any one of them the others can hold",
        ),
        "analyze.contradiction.exact": (
            "矛盾 {n}：这 {count} 条规则作为恒等式不能同时成立，文档只能靠尾差同时通过；"
            "去掉其中任何一条，其余的就能同时成立",
            "contradiction {n}: these {count} rules cannot all hold as identities: a document "
            "passes them together only by rounding; without any one of them the others can hold",
        ),
        "analyze.on-row": ("，在 {row}", ", on {row}"),
        "analyze.unchecked": (
            "未检查冗余（属于矛盾，或所在的一组规则去掉矛盾后仍不能同时成立）：{ids}",
            "redundancy not checked (in a contradiction, or in a group of rules that cannot all "
            "hold even without it): {ids}",
        ),
        "analyze.redundant.none": ("冗余：无", "redundant rules: none"),
        "analyze.redundant.head": (
            "冗余：{count} 条规则可由其他规则作为恒等式推出，其中 {rounding} 条计入尾差也成立"
            "（其余的仍能报出其他规则容许的累积尾差）；标 * 的 {removable} 条可以同时删去",
            "redundant rules: {count} follow from other rules as identities, {rounding} of them "
            "with rounding too (the others can still report rounding the others let "
            "accumulate); the {removable} marked * can be dropped together",
        ),
        "analyze.redundant.by": ("由 {ids} 推出", "follows from {ids}"),
        "analyze.redundant.always": (
            "恒成立，不依赖其他规则（数值本身的范围，如行数不为负）",
            "always holds, whatever the other rules (what the figures can be: a count is ≥ 0)",
        ),
        "analyze.redundant.rounding": ("计入尾差也成立", "with rounding too"),
        "analyze.redundant.rounding-by": (
            "计入尾差时由 {ids} 推出",
            "with rounding: follows from {ids}",
        ),
        "analyze.redundant.own": ("（在它自己的 when 条件下）", " (under its own when)"),
        "analyze.when.head": (
            "when 条件：{total} 条，{analysed} 条已分析（其中 {partly} 条只能分析一部分）："
            "{never} 条永不成立，{blocked} 条只在其他规则不通过时成立；"
            "{unknown} 条没有可判定的部分，未分析",
            "when conditions: {total}, {analysed} analysed ({partly} of them in part): "
            "{never} can never hold, {blocked} hold only where other rules fail; "
            "{unknown} have no decidable part, not analysed",
        ),
        "analyze.when.never": ("永不成立", "can never hold"),
        "analyze.when.blocked": (
            "只在 {ids} 不通过时成立",
            "holds only where {ids} fail",
        ),
        "analyze.when.unknown": ("未分析：{ids}", "not analysed: {ids}"),
        "analyze.tests.none": (
            "测试用例：没有找到用例文件（*.cases.json）：{rules} 条规则都没有测试",
            "rule tests: no case file (*.cases.json): none of the {rules} rules is tested",
        ),
        "analyze.tests.head": (
            "测试用例：{files} 个用例文件，{cases} 个用例；{rules} 条规则中 {with_pass} 条有"
            "期望通过的用例，{with_fail} 条有期望失败的用例（是否成立由 rulecheck test 检查）",
            "rule tests: {files} case files, {cases} cases; of {rules} rules, {with_pass} have "
            "a case expecting them to pass, {with_fail} one expecting them to fail (whether "
            "the cases hold is what rulecheck test checks)",
        ),
        "analyze.tests.no-pass": (
            "  没有期望通过的用例：{ids}",
            "  no case expects to pass: {ids}",
        ),
        "analyze.tests.no-fail": (
            "  没有期望失败的用例：{ids}",
            "  no case expects to fail: {ids}",
        ),
        "analyze.skipped.head": (
            "未分析的规则（{count} 条，不是线性比较）：",
            "rules not analysed ({count}, not linear comparisons):",
        ),
        "analyze.skipped.reason": ("  {reason}：{count} 条：{ids}", "  {reason}: {count}: {ids}"),
    }
)

_SEP = {"zh": "、", "en": ", "}
_SHOWN = 12  # ids listed in a text line before "… (+n)"


def exit_code(analysis: Analysis) -> ExitCode:
    """1 when a contradiction was found, else 0."""
    return ExitCode.FINDINGS if analysis.contradictions else ExitCode.CLEAN


def _ids(ids: Sequence[str], lang: Lang, limit: int | None = _SHOWN) -> str:
    shown = list(ids if limit is None else ids[:limit])
    text = _SEP[lang].join(inert(i) for i in shown)
    return text + (f" … (+{len(ids) - len(shown)})" if len(shown) < len(ids) else "")


def _member(m: Member, lang: Lang) -> str:
    return inert(m.rule) + (f" @ {inert(m.row)}" if m.row else "")


def _members(ms: Iterable[Member], lang: Lang) -> str:
    return _SEP[lang].join(_member(m, lang) for m in ms)


def _rule_line(info: RuleInfo | None, rule: str, lang: Lang, row: str | None = None) -> str:
    if info is None:
        return inert(rule)
    where = f"{info.file}:{info.line}"
    if row:
        where += message("analyze.on-row", lang, row=row)
    open_, close = ("（", "）") if lang == "zh" else ("(", ")")
    return f"{inert(rule)}  “{inert(info.title)}”  {open_}{inert(where)}{close}"


def render_text(analysis: Analysis, lang: Lang = "zh") -> str:
    """The report for people: contradictions, redundant rules, conditions, rule tests,
    and what was not analysed."""
    model = analysis.model
    skipped = [r for r in model.rules if r.reason is not None]
    out = [
        message(
            "analyze.header",
            lang,
            paths=inert(" ".join(analysis.paths)),
            rules=len(model.rules),
            analysed=len(model.rules) - len(skipped),
            instances=len(model.instances),
            variables=len(model.variables),
            skipped=len(skipped),
        ),
        "",
    ]
    if not analysis.contradictions:
        out.append(message("analyze.contradictions.none", lang))
    for n, c in enumerate(analysis.contradictions, 1):
        code = "analyze.contradiction." + ("rounding" if c.rounding else "exact")
        out.append(message(code, lang, n=n, count=len({m.rule for m in c.members})))
        for m in c.members:
            out.append("  " + _rule_line(model.by_id.get(m.rule), m.rule, lang, m.row))
    if analysis.unchecked:
        out.append(message("analyze.unchecked", lang, ids=_ids(analysis.unchecked, lang)))
    out.append("")
    out += _redundancy_lines(analysis, lang)
    out.append("")
    out += _condition_lines(analysis, lang)
    out.append("")
    out += _test_lines(analysis, lang)
    if skipped:
        out.append("")
        out.append(message("analyze.skipped.head", lang, count=len(skipped)))
        for code, (zh, en) in REASONS.items():
            ids = [r.id for r in skipped if r.reason == code]
            if ids:
                reason = zh if lang == "zh" else en
                out.append(
                    message(
                        "analyze.skipped.reason",
                        lang,
                        reason=reason,
                        count=len(ids),
                        ids=_ids(ids, lang),
                    )
                )
    return "\n".join(out) + "\n"


def _redundancy_lines(analysis: Analysis, lang: Lang) -> list[str]:
    found = analysis.redundancies
    if not found:
        return [message("analyze.redundant.none", lang)]
    out = [
        message(
            "analyze.redundant.head",
            lang,
            count=len(found),
            rounding=sum(r.rounding_by is not None for r in found),
            removable=sum(r.removable for r in found),
        )
    ]
    for r in found:
        info = analysis.model.by_id.get(r.rule)
        out.append(("* " if r.removable else "  ") + _rule_line(info, r.rule, lang, r.row))
        if r.implied_by:
            by = message("analyze.redundant.by", lang, ids=_members(r.implied_by, lang))
        else:
            by = message("analyze.redundant.always", lang)
        if r.own_condition:
            by += message("analyze.redundant.own", lang)
        out.append("      " + by)
        if r.rounding_by is not None:
            if r.rounding_by == r.implied_by:
                out.append("      " + message("analyze.redundant.rounding", lang))
            else:
                ids = _members(r.rounding_by, lang)
                out.append("      " + message("analyze.redundant.rounding-by", lang, ids=ids))
    return out


def _condition_lines(analysis: Analysis, lang: Lang) -> list[str]:
    verdicts = analysis.conditions
    never = [v for v in verdicts if v.verdict == "never"]
    blocked = [v for v in verdicts if v.verdict == "never-passing"]
    unknown = [v for v in verdicts if v.verdict == "not-analysed"]
    out = [
        message(
            "analyze.when.head",
            lang,
            total=len(analysis.model.conditions),
            analysed=analysis.conditions_analysed,
            partly=analysis.conditions_partly,
            never=len(never),
            blocked=len(blocked),
            unknown=len(unknown),
        )
    ]
    for v in [*never, *blocked]:
        info = analysis.model.by_id.get(v.rule)
        out.append("  " + _rule_line(info, v.rule, lang))
        out.append(f"      when {inert(v.condition)}: " + _verdict_text(v, lang))
    if unknown:
        ids = _ids([v.rule for v in unknown], lang)
        out.append("  " + message("analyze.when.unknown", lang, ids=ids))
    return out


def _verdict_text(v: ConditionVerdict, lang: Lang) -> str:
    if v.verdict == "never":
        return message("analyze.when.never", lang)
    return message("analyze.when.blocked", lang, ids=_members(v.blocked_by, lang))


def _test_lines(analysis: Analysis, lang: Lang) -> list[str]:
    tests = analysis.untested
    rules = len(analysis.model.rules)
    out = [d.format(lang) for d in tests.diagnostics]
    if not tests.files:
        return [*out, message("analyze.tests.none", lang, rules=rules)]
    out.append(
        message(
            "analyze.tests.head",
            lang,
            files=tests.files,
            cases=tests.cases,
            rules=rules,
            with_pass=rules - len(tests.no_pass),
            with_fail=rules - len(tests.no_fail),
        )
    )
    if tests.no_pass:
        out.append(message("analyze.tests.no-pass", lang, ids=_ids(tests.no_pass, lang)))
    if tests.no_fail:
        out.append(message("analyze.tests.no-fail", lang, ids=_ids(tests.no_fail, lang)))
    return out


def _member_json(m: Member) -> dict[str, Any]:
    return {"rule": m.rule, "row": m.row}


def to_dict(analysis: Analysis, lang: Lang = "zh") -> dict[str, Any]:
    """The report as data (what ``--format json`` prints)."""
    model = analysis.model

    def rule(info: RuleInfo) -> dict[str, Any]:
        return {"rule": info.id, "title": info.title, "file": info.file, "line": info.line}

    skipped = [r for r in model.rules if r.reason is not None]
    return {
        "rules": analysis.paths,
        "summary": {
            "rules": len(model.rules),
            "analysed": len(model.rules) - len(skipped),
            "instances": len(model.instances),
            "variables": len(model.variables),
            "contradictions": len(analysis.contradictions),
            "redundant": len(analysis.redundancies),
            "exit_code": int(exit_code(analysis)),
        },
        "contradictions": [
            {
                "rounding": c.rounding,
                "rules": [{**rule(model.by_id[m.rule]), "row": m.row} for m in c.members],
            }
            for c in analysis.contradictions
        ],
        "unchecked": list(analysis.unchecked),
        "redundant": [
            {
                **rule(model.by_id[r.rule]),
                "row": r.row,
                "implied_by": [_member_json(m) for m in r.implied_by],
                "with_rounding": r.rounding_by is not None,
                "rounding_by": (
                    [_member_json(m) for m in r.rounding_by] if r.rounding_by is not None else None
                ),
                "own_condition": r.own_condition,
                "removable": r.removable,
            }
            for r in analysis.redundancies
        ],
        "conditions": {
            "total": len(model.conditions),
            "analysed": analysis.conditions_analysed,
            "in_part": analysis.conditions_partly,
            "findings": [
                {
                    "rule": v.rule,
                    "when": v.condition,
                    "verdict": v.verdict,
                    "blocked_by": [_member_json(m) for m in v.blocked_by],
                    "not_analysed": list(v.unknown),
                }
                for v in analysis.conditions
            ],
        },
        "tests": {
            "files": analysis.untested.files,
            "cases": analysis.untested.cases,
            "without_pass": list(analysis.untested.no_pass),
            "without_fail": list(analysis.untested.no_fail),
            "diagnostics": [d.to_dict(lang) for d in analysis.untested.diagnostics],
        },
        "not_analysed": [
            {
                "rule": r.id,
                "reason": r.reason,
                "why": REASONS[r.reason][0 if lang == "zh" else 1] if r.reason else None,
            }
            for r in skipped
        ],
    }


def render_json(analysis: Analysis, lang: Lang = "zh") -> str:
    return orjson.dumps(to_dict(analysis, lang), option=orjson.OPT_INDENT_2).decode() + "\n"

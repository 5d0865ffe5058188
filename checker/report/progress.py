"""A progress bar on stderr for batches: documents done, documents/s, time left."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

from checker.diagnostics import Lang

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from checker.documents import Batch
    from checker.evaluate import Results


class _Bar:
    """A transient rich progress bar on stderr, drawn only when ``enabled``."""

    labels = ("", "")  # (zh, en)
    rate = False  # a documents/s column

    def __init__(self, total: int | None, lang: Lang = "zh", *, enabled: bool = True) -> None:
        self.total = total
        self.lang = lang
        self.enabled = enabled
        self.done = 0
        self.started = time.perf_counter()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            label = self.labels[0] if self.lang == "zh" else self.labels[1]
            rate = [TextColumn("{task.fields[rate]}")] if self.rate else []
            self._progress = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                *rate,
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=self.total, rate="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


class BatchProgress(_Bar):
    """Advance per checked batch; draws only when ``enabled`` (a terminal, not ``--quiet``)."""

    labels = ("检查文档", "checking")
    rate = True

    def advance(self, batch: Batch, results: Results) -> None:
        """Count one batch's documents (valid or not)."""
        self.done += len(batch.statuses)
        if self._progress is None or self._task is None:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        unit = "文档/秒" if self.lang == "zh" else "docs/s"
        rate = f"{self.done / elapsed:,.0f} {unit}"
        self._progress.update(self._task, completed=self.done, rate=rate)


class CountProgress(_Bar):
    """A progress bar on stderr counting items one by one (``rulecheck import``)."""

    labels = ("导入文档", "importing")

    def advance(self) -> None:
        """One more item done."""
        self.done += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.done)

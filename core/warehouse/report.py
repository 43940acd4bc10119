"""What an ingest did (the CLI contract's shape) and the one-line message for a bad file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class IngestReport:
    """What one ingest did, in the shape of the CLI contract."""

    loaded: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def merge(self, other: "IngestReport") -> "IngestReport":
        for k, v in other.loaded.items():
            self.loaded[k] = self.loaded.get(k, 0) + v
        for k, v in other.replaced.items():
            self.replaced[k] = self.replaced.get(k, 0) + v
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"loaded": dict(self.loaded), "replaced": dict(self.replaced), "skipped": list(self.skipped),
                "warnings": list(self.warnings)}


def violation_message(name: str, violations: "pd.DataFrame", total: int) -> str:
    """The first violation as one line (file, record, line, key values, field, reason) and how many more."""
    import pandas as pd

    first = violations.iloc[0]
    about = [f"line {first['line']}"] if pd.notna(first.get("line")) else []
    if isinstance(first.get("record"), str) and first["record"]:
        about.append(first["record"])
    where = f"record {first['index']}" + (f" ({'; '.join(about)})" if about else "")
    more = f"; {total - 1} more problem(s) listed" if total > 1 else ""
    return f"{name}: {where}, field {first['field']}: {first['reason']}{more}. Nothing from this file was loaded."

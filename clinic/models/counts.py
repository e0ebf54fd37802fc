"""How many leads the inbox lists per status, condition and owner, kept exact at any size.

Counting every open lead on every inbox page would slow each page as the table grows; these
few hundred rows answer the status tabs at once. The functions that change a lead's status,
condition, owner, merge or erasure keep them in the same transaction (clinic.leads.counts);
rows loaded around the app are recounted by ``flask reports backfill``.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base

# owner_key for leads nobody owns (a primary key can't hold NULL).
UNASSIGNED = 0


class LeadCount(Base):
    """Listed leads (not merged, not erased) with this status, condition and owner."""

    __tablename__ = "lead_counts"

    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    condition_slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    leads: Mapped[int] = mapped_column(Integer, default=0)

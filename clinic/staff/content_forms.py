"""Forms of the page editor and the clinician's review."""

from __future__ import annotations

from dataclasses import asdict

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from clinic.content import references as refs
from clinic.content.review import COMMENT_MAX, REASON_MAX
from clinic.content.revisions import (
    BODY_MAX,
    CONDITION_MAX,
    NOTE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    PageSource,
)

BLANK_REFERENCE_ROWS = 3


class ReferenceForm(Form):
    """One row of the references: the fields of a citation a reader can follow."""

    authors = StringField("Authors", validators=[Length(max=refs.FIELD_MAX["authors"])])
    year = StringField("Year", validators=[Length(max=refs.FIELD_MAX["year"])])
    title = StringField("Title", validators=[Length(max=refs.FIELD_MAX["title"])])
    source = StringField(
        "Journal or publisher",
        validators=[Length(max=refs.FIELD_MAX["source"])],
        description="With volume and pages: Ann Rheum Dis 2024;83(1):15–29",
    )
    doi = StringField(
        "DOI", validators=[Length(max=refs.FIELD_MAX["doi"])], description="10.1136/…"
    )
    pmid = StringField("PubMed id (PMID)", validators=[Length(max=refs.FIELD_MAX["pmid"])])
    url = StringField("Web address", validators=[Length(max=refs.URL_MAX)])

    def reference(self) -> refs.Reference:
        return refs.Reference.from_dict(
            {name: field.data or "" for name, field in self._fields.items()}
        )


class PageForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=TITLE_MAX)])
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=SUMMARY_MAX)],
        description="One or two sentences; search engines and the conditions list show it.",
    )
    condition_name = StringField(
        "Condition",
        validators=[Optional(), Length(max=CONDITION_MAX)],
        description="The condition's short name, as the inquiry form lists it.",
    )
    sections = StringField(
        "Section labels",
        validators=[Optional(), Length(max=1300)],
        description="Separated by commas, e.g. Standard care, Evidence, Risks.",
    )
    body_markdown = TextAreaField(
        "Text (Markdown)",
        validators=[Length(max=BODY_MAX)],
        description="## for a heading, - for a list item. Cite references as [1], [2, 5] or "
        "[3–5]; the list of references is added below the text.",
    )
    references = FieldList(FormField(ReferenceForm), min_entries=0)
    note = StringField(
        "What changed",
        validators=[Optional(), Length(max=NOTE_MAX)],
        description="A line for the reviewer and the page's history.",
    )

    def fill(self, source: PageSource) -> None:
        """Show a saved source, with blank reference rows to add more."""
        self.title.data = source.title
        self.summary.data = source.summary
        self.condition_name.data = source.condition_name or ""
        self.sections.data = ", ".join(source.sections)
        self.body_markdown.data = source.body_markdown
        while len(self.references.entries):
            self.references.pop_entry()
        for reference in source.references:
            self.references.append_entry(asdict(reference))
        self.add_blank_rows()

    def add_blank_rows(self, count: int = BLANK_REFERENCE_ROWS) -> None:
        for _ in range(count):
            self.references.append_entry()

    def source(self) -> PageSource:
        """What the editor typed, as a page source (blank reference rows dropped)."""
        return PageSource(
            title=self.title.data or "",
            summary=self.summary.data or "",
            body_markdown=self.body_markdown.data or "",
            condition_name=self.condition_name.data or None,
            sections=[s.strip() for s in (self.sections.data or "").split(",") if s.strip()],
            references=[entry.form.reference() for entry in self.references.entries],
        )


class ReviewForm(FlaskForm):
    decision = RadioField(
        "What should happen to this revision?",
        choices=[
            ("approved", "Approve and publish this revision"),
            ("changes_requested", "Ask for changes (the page stays as patients see it now)"),
        ],
        default="approved",
    )
    comment = TextAreaField(
        "Comment",
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description="Shown to the author in the page's history. Needed when asking for changes.",
    )
    claims_reason = TextAreaField(
        "Why the flagged sentences stand",
        validators=[Optional(), Length(max=REASON_MAX)],
        description="Needed to approve while sentences are flagged: e.g. each says there is "
        "no cure or names an approved product. Otherwise ask for changes.",
    )

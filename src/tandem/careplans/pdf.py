"""The patient's copy of the care plan as a PDF (fpdf2, pure Python): large type, goals first,
who does what, whom to call with the crisis line, and the safety plan when there is one.

Drawn in DejaVu Sans, bundled in ``fonts/`` (scripts/vendor-assets.sh), so that every name in
Latin, Vietnamese, Greek or Cyrillic letters prints as written; the PDF embeds only the
glyphs it uses. Nothing is fetched at run time."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from tandem.careplans.printout import PrintedGoal, PrintedPlan, plain_day

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSans"
# Points: large type for the patient's copy (at least 14 pt body text, as large-print guides ask).
TITLE, HEADING, SUBHEADING, BODY, SMALL = 24, 19, 16, 14, 11
# Millimetres.
MARGIN, LINE, GAP = 18, 7.5, 3.0
INK, MUTED, RULE = (20, 20, 20), (80, 80, 80), (150, 150, 150)


def _text(value: str) -> str:
    # Names typed with combining accents print with the font's precomposed letters.
    return unicodedata.normalize("NFC", value)


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 6)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FAMILY, "", SMALL)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align=Align.C)
        self.set_text_color(*INK)

    def lines(self, text: str, size: int = BODY, *, bold: bool = False, indent: float = 0) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_x(self.l_margin + indent)
        height = LINE * size / BODY
        # Ragged right, as large-print guides ask: even word spacing reads more easily.
        self.multi_cell(0, height, _text(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def keep_room(self, millimetres: float) -> None:
        """Start a new page unless this much is left on this one."""
        if self.get_y() > self.h - self.b_margin - millimetres:
            self.add_page()

    def heading(self, text: str) -> None:
        self.keep_room(40)  # a heading never sits alone at the foot of a page
        self.ln(GAP * 2)
        self.lines(text, HEADING, bold=True)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(GAP)


def _goal(doc: _Document, number: int, goal: PrintedGoal) -> None:
    doc.lines(f"{number}. {goal.description}", SUBHEADING, bold=True)
    if goal.target:
        doc.lines(f"What we are aiming for: {goal.target}", indent=6)
    if goal.target_date:
        doc.lines(f"By: {plain_day(goal.target_date)}", indent=6)
    doc.lines(f"Where it stands: {goal.status}", indent=6)
    doc.ln(GAP)


def _who_does_what(doc: _Document, number: int, goal: PrintedGoal) -> None:
    doc.lines(f"Goal {number}: {goal.description}", BODY, bold=True)
    if not goal.activities:
        doc.lines("Nothing planned yet.", indent=6)
    for activity in goal.activities:
        doc.keep_room(25)
        doc.lines(f"• {activity.title}", indent=4)
        when = f"by {plain_day(activity.due_on)}" if activity.due_on else "no date set"
        doc.lines(f"Who: {activity.who}", indent=9)
        doc.lines(f"When: {when} · {activity.status}", indent=9)
    doc.ln(GAP)


def _who_to_call(doc: _Document, plan: PrintedPlan) -> None:
    doc.heading("Who to call")
    for contact in plan.contacts:
        org = f" ({contact.organisation})" if contact.organisation else ""
        phone = f": {contact.phone}" if contact.phone else ""
        doc.lines(f"{contact.role}: {contact.name}{org}{phone}")
    if plan.clinic:
        doc.lines(f"Your clinic: {plan.clinic}")
    doc.ln(GAP)
    doc.keep_room(70)  # the crisis lines stay together
    doc.set_draw_color(*INK)
    doc.set_line_width(0.6)
    top = doc.get_y()
    doc.ln(GAP)
    doc.lines("In a crisis", SUBHEADING, bold=True, indent=4)
    for line in plan.crisis_lines:
        doc.lines(f"{line.name}: {line.number}", bold=True, indent=4)
        doc.lines(line.how, indent=4)
    doc.ln(GAP)
    doc.rect(doc.l_margin, top, doc.w - doc.l_margin - doc.r_margin, doc.get_y() - top)
    doc.set_line_width(0.2)


def _safety_plan(doc: _Document, plan: PrintedPlan) -> None:
    if plan.safety_plan is None:
        return
    doc.heading("My safety plan")
    if plan.safety_plan.updated_on:
        doc.lines(f"Last updated {plain_day(plan.safety_plan.updated_on)}", SMALL)
    for step in plan.safety_plan.steps:
        doc.keep_room(min(12 + 8 * len(step.items), 60))  # a step and its items together
        doc.lines(step.heading, BODY, bold=True)
        for item in step.items:
            doc.lines(f"• {item}", indent=4)
        doc.ln(GAP)


def render_pdf(plan: PrintedPlan) -> bytes:
    """The patient's copy of ``plan`` as PDF bytes."""
    crisis = plan.crisis_lines[0]
    doc = _Document(
        f"Care plan for {plan.patient_name} · version {plan.version} · "
        f"in a crisis, call or text {crisis.number}"
    )
    doc.set_title(_text(f"Care plan for {plan.patient_name}"))
    doc.set_author("Tandem")
    doc.set_lang("en")
    doc.add_page()
    doc.lines("My care plan", TITLE, bold=True)
    doc.lines(f"For {plan.patient_name}", SUBHEADING)
    doc.lines(f"Printed on {plain_day(plan.printed_on)} · plan version {plan.version}", SMALL)
    if plan.next_review_on:
        doc.lines(f"We will look at this plan again by {plain_day(plan.next_review_on)}.", SMALL)
    goals = plan.patient_goals
    doc.heading("My goals")
    if not goals:
        doc.lines("No goals yet: we will agree them together.")
    for number, goal in enumerate(goals, start=1):
        _goal(doc, number, goal)
    doc.heading("Who does what")
    if not goals:
        doc.lines("Nothing planned yet.")
    for number, goal in enumerate(goals, start=1):
        _who_does_what(doc, number, goal)
    _who_to_call(doc, plan)
    _safety_plan(doc, plan)
    return bytes(doc.output())

"""Every rule of every shipped preset, with its due date for a concrete event, counted by hand.

Each expected due date was counted by hand (England unless the row says otherwise). The test ids
name the seed (000-004) and its section, so a failure points at the text to re-read. The tests
that read this table are in ``tests/domain/test_presets.py``.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.calendar import Nation
from bot.domain.protocols import Event

SEEDS = {
    "stockport": "000_cd2220454c4486c5.txt",
    "herefordshire": "001_3cb7af4f5859624c.txt",
    "surrey": "002_0ceef0fde733de82.txt",
    "bath-ne-somerset": "003_2d53156d33e54857.txt",
    "oxfordshire": "004_7704cae59745d9b5.txt",
}
GUIDANCE = {
    "england-children-2023": "Working Together to Safeguard Children 2023",
    "england-adults-sar": "Care",
    "dhr-2016": "Multi-agency Statutory Guidance for the Conduct of Domestic Homicide Reviews",
}
ENG, SCT, NIR = Nation.ENGLAND, Nation.SCOTLAND, Nation.NORTHERN_IRELAND


def case(preset, rule, event, on, due, section, nation=ENG):
    """One row: ``rule`` of ``preset`` counted from ``event`` on ``on`` falls due on ``due``."""
    prefix = SEEDS[preset][:3] if preset in SEEDS else preset
    slug = section.replace("§", "s").replace(" ", "").replace(".", "-").replace("(", "-")
    slug = slug.replace(")", "")
    suffix = "" if nation is ENG else f"-{nation.value}"
    return pytest.param(
        preset,
        rule,
        Event(event),
        on,
        due,
        section,
        nation,
        id=f"{prefix}-{slug}-{rule}{suffix}",
    )


D = date
RULES = [
    # 000 Stockport
    case("stockport", "sub-group-meets", "notification", D(2026, 3, 2), D(2026, 3, 30), "§10"),
    case(
        "stockport",
        "recommendation-to-independent-chair",
        "meeting",
        D(2026, 3, 25),
        D(2026, 4, 10),
        "§10",
    ),  # skips Good Friday and Easter Monday
    case(
        "stockport",
        "independent-chair-decision",
        "recommendation",
        D(2026, 4, 1),
        D(2026, 4, 24),
        "§10",
    ),
    case(
        "stockport",
        "independent-chair-decision",
        "recommendation",
        D(2026, 4, 1),
        D(2026, 4, 23),
        "§10",
        SCT,
    ),  # Scotland works on Easter Monday
    case("stockport", "review-completed", "decision", D(2026, 4, 20), D(2026, 10, 20), "§10"),
    case("stockport", "complaint-response", "complaint", D(2026, 1, 30), D(2026, 2, 27), "§20"),
    case(
        "stockport",
        "complaint-escalation-response",
        "complaint",
        D(2026, 3, 2),
        D(2026, 3, 30),
        "§20",
    ),
    case(
        "stockport",
        "overview-report-to-national-panel",
        "publication",
        D(2026, 12, 1),
        D(2026, 11, 17),
        "App. 2",
    ),
    # 001 Herefordshire
    case(
        "herefordshire", "initial-panel-meeting", "referral", D(2026, 1, 31), D(2026, 2, 28), "§5"
    ),
    case("herefordshire", "review-completed", "initiation", D(2026, 2, 27), D(2026, 8, 27), "§5"),
    # 002 Surrey
    case("surrey", "sub-group-recommendation", "referral", D(2026, 5, 11), D(2026, 6, 11), "§1.2"),
    case("surrey", "chair-decision", "referral", D(2026, 5, 11), D(2026, 6, 11), "§1.5"),
    case(
        "surrey", "national-bodies-informed", "decision", D(2026, 12, 21), D(2026, 12, 30), "§1.2"
    ),  # the acceptance example: Christmas Day and the Boxing Day substitute skipped
    case("surrey", "review-completed", "initiation", D(2026, 6, 15), D(2026, 12, 15), "§1.5"),
    case(
        "surrey",
        "action-plan-progress-report",
        "publication",
        D(2027, 3, 31),
        D(2027, 9, 30),
        "§4.0",
    ),
    case("surrey", "information-for-meeting", "meeting", D(2026, 7, 2), D(2026, 6, 30), "§1.1"),
    # 003 Bath & North East Somerset
    case(
        "bath-ne-somerset", "national-panel-notified", "aware", D(2026, 4, 1), D(2026, 4, 10), "2B"
    ),
    case(
        "bath-ne-somerset",
        "safeguarding-partners-informed",
        "aware",
        D(2026, 4, 1),
        D(2026, 4, 10),
        "3A §3.1",
    ),
    case(
        "bath-ne-somerset",
        "agency-information-returned",
        "information_request",
        D(2026, 5, 1),
        D(2026, 5, 11),
        "§4.3",
    ),  # skips the May Day bank holiday, 4 May
    case(
        "bath-ne-somerset",
        "rapid-review-to-panel",
        "aware",
        D(2026, 4, 1),
        D(2026, 4, 24),
        "3A §3.2",
    ),
    case(
        "bath-ne-somerset", "chair-decision", "notification", D(2026, 5, 20), D(2026, 6, 11), "§4.6"
    ),  # skips the spring bank holiday, 25 May
    case(
        "bath-ne-somerset",
        "national-bodies-informed",
        "decision",
        D(2026, 12, 21),
        D(2026, 12, 30),
        "5A §5.1",
    ),
    case(
        "bath-ne-somerset",
        "report-completed-and-published",
        "decision",
        D(2026, 8, 31),
        D(2027, 2, 28),
        "8B",
    ),
    case(
        "bath-ne-somerset",
        "report-to-panel-and-secretary-of-state",
        "publication",
        D(2027, 1, 12),
        D(2026, 12, 31),
        "8B",
    ),  # back over New Year's Day
    case(
        "bath-ne-somerset",
        "scr-report-to-national-panel",
        "publication",
        D(2027, 1, 12),
        D(2027, 1, 5),
        "8A(e)",
    ),
    case(
        "bath-ne-somerset",
        "report-kept-public",
        "publication",
        D(2028, 2, 29),
        D(2029, 2, 28),
        "8A(a)",
    ),
    # 004 Oxfordshire
    case("oxfordshire", "decision-made", "referral", D(2026, 5, 11), D(2026, 6, 11), "§4"),
    case(
        "oxfordshire",
        "national-bodies-informed",
        "decision",
        D(2026, 12, 21),
        D(2026, 12, 30),
        "§2",
    ),
    case("oxfordshire", "family-notified", "initiation", D(2026, 6, 1), D(2026, 6, 15), "§7"),
    case(
        "oxfordshire",
        "parallel-processes-declared",
        "initiation",
        D(2026, 6, 1),
        D(2026, 6, 15),
        "App. A 2",
    ),
    case(
        "oxfordshire",
        "agency-chronology-signed-off",
        "initiation",
        D(2026, 6, 1),
        D(2026, 7, 13),
        "App. A 17",
    ),
    case("oxfordshire", "review-completed", "initiation", D(2026, 6, 1), D(2026, 12, 1), "§3"),
    case(
        "oxfordshire", "final-report-signed-off", "publication", D(2026, 9, 1), D(2026, 8, 3), "§5"
    ),  # back over the late summer bank holiday, 31 August
    case(
        "oxfordshire",
        "action-plan-signed-off",
        "publication",
        D(2026, 9, 1),
        D(2026, 8, 17),
        "App. A 11",
    ),
    case(
        "oxfordshire",
        "communications-plan-agreed",
        "publication",
        D(2026, 9, 1),
        D(2026, 8, 17),
        "§5",
    ),
    case(
        "oxfordshire",
        "report-to-national-panel",
        "publication",
        D(2026, 9, 1),
        D(2026, 8, 25),
        "§8.2",
    ),
    case(
        "oxfordshire",
        "learning-disseminated",
        "publication",
        D(2026, 9, 1),
        D(2026, 9, 29),
        "App. A 14",
    ),
    # national presets
    case(
        "england-children-2023",
        "national-panel-notified",
        "aware",
        D(2026, 12, 21),
        D(2026, 12, 30),
        "chapter 5",
    ),
    case(
        "england-children-2023",
        "rapid-review-to-panel",
        "aware",
        D(2026, 12, 21),
        D(2027, 1, 14),
        "chapter 5",
    ),
    case(
        "england-children-2023",
        "lcspr-completed-and-published",
        "decision",
        D(2027, 1, 14),
        D(2027, 7, 14),
        "chapter 5",
    ),
    case(
        "england-children-2023",
        "report-to-panel-and-secretary-of-state",
        "publication",
        D(2027, 7, 14),
        D(2027, 7, 5),
        "chapter 5",
    ),
    case(
        "england-children-2023",
        "report-to-panel-and-secretary-of-state",
        "publication",
        D(2027, 7, 14),
        D(2027, 7, 2),
        "chapter 5",
        NIR,
    ),  # back over the Twelfth
    case(
        "england-children-2023",
        "report-kept-public",
        "publication",
        D(2027, 7, 14),
        D(2028, 7, 14),
        "chapter 5",
    ),
    case("england-adults-sar", "sar-decision", "referral", D(2026, 10, 31), D(2026, 11, 30), "s44"),
    case(
        "england-adults-sar",
        "agency-information-returned",
        "information_request",
        D(2026, 12, 18),
        D(2027, 1, 6),
        "s45",
    ),
    case(
        "england-adults-sar",
        "sar-completed",
        "initiation",
        D(2026, 8, 31),
        D(2027, 2, 28),
        "chapter 14",
    ),
    case("dhr-2016", "dhr-decision", "notification", D(2026, 1, 31), D(2026, 2, 28), "2016"),
    case("dhr-2016", "dhr-completed", "decision", D(2026, 2, 28), D(2026, 8, 28), "2016"),
]

"""Pages of the care plan: the plan, its goals and activities, its history, the printed
copies and templates, and the safety plan."""

from fastapi import APIRouter

from tandem.careplans.views.activities import router as activity_views
from tandem.careplans.views.agreement import router as agreement_views
from tandem.careplans.views.from_template import router as template_views
from tandem.careplans.views.goals import router as goal_views
from tandem.careplans.views.history import router as history_views
from tandem.careplans.views.mine import router as mine_views
from tandem.careplans.views.plan import router as plan_views
from tandem.careplans.views.printed import router as printed_views
from tandem.careplans.views.safety_plan import router as safety_plan_views

router = APIRouter()
for views in (
    plan_views,
    goal_views,
    activity_views,
    agreement_views,
    history_views,
    mine_views,
    printed_views,
    template_views,
    safety_plan_views,
):
    router.include_router(views)

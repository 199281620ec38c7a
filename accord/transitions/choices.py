"""Choice sets of service transitions: kinds, stages and the moves between stages as data."""

from django.db import models


class TransitionKind(models.TextChoices):
    NEW = "new", "New service"
    CHANGE = "change", "Major change to a service"
    RETIREMENT = "retirement", "Retirement"
    TRANSFER_IN = "transfer_in", "Transfer in from another party"
    TRANSFER_OUT = "transfer_out", "Transfer out to another party"


#: Kinds that end with the service live (it comes into the portfolio or changes), and kinds that
#: end with it retired (it leaves the portfolio).
GOING_LIVE = frozenset({TransitionKind.NEW, TransitionKind.CHANGE, TransitionKind.TRANSFER_IN})
REMOVING = frozenset({TransitionKind.RETIREMENT, TransitionKind.TRANSFER_OUT})


class Stage(models.TextChoices):
    DESIGN = "design", "Design"
    BUILD = "build", "Build"
    ACCEPTANCE = "acceptance", "Acceptance"
    LIVE = "live", "Live (early life support)"
    RETIRED = "retired", "Retired"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


#: The stages in which a transition is still being worked (one at a time per service).
OPEN_STAGES = frozenset({Stage.DESIGN, Stage.BUILD, Stage.ACCEPTANCE})

#: from -> the stages it may move to. Live and retired are reached only through the gate (the
#: readiness check), and for a new, transferred or retired service only together with the
#: service's own lifecycle in the portfolio.
STAGE_MOVES: dict[str, frozenset[str]] = {
    Stage.DESIGN: frozenset({Stage.BUILD, Stage.CANCELLED}),
    Stage.BUILD: frozenset({Stage.DESIGN, Stage.ACCEPTANCE, Stage.CANCELLED}),
    Stage.ACCEPTANCE: frozenset({Stage.BUILD, Stage.LIVE, Stage.RETIRED, Stage.CANCELLED}),
    Stage.LIVE: frozenset({Stage.CLOSED}),
    Stage.RETIRED: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset(),
    Stage.CANCELLED: frozenset(),
}

STAGE_COLOURS = {
    "design": "blue",
    "build": "amber",
    "acceptance": "indigo",
    "live": "green",
    "retired": "grey",
    "closed": "grey",
    "cancelled": "red",
}


class ActivityKind(models.TextChoices):
    DESIGN = "design", "Design"
    BUILD = "build", "Build"
    TEST = "test", "Test"
    DEPLOYMENT = "deployment", "Deployment"
    TRAINING = "training", "Training and knowledge transfer"
    COMMUNICATION = "communication", "Communication"
    OTHER = "other", "Other"


class DispositionAction(models.TextChoices):
    ARCHIVE = "archive", "Archive"
    DISPOSE = "dispose", "Dispose of"
    TRANSFER = "transfer", "Transfer"

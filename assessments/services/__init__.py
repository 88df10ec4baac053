"""Every write that touches several rows, each in one transaction.

- ``responses``: a person's drafts and submission, recorded responses (seeding), erasure;
- ``questionnaires``: questionnaire files (checking, loading, importing as a new version,
  exporting), copying a version;
- ``publishing``: making a cycle's team and organisation figures;
- ``instrument``: the instrument report (reliability per dimension), stored;
- ``plans``: a team's action plan after a cycle;
- ``invitations``: who takes part in a cycle, invitations and reminders by e-mail;
- ``people``: the people and teams import from the HR system's file (used as
  ``services.people``; its names are not repeated here).

Views, admin actions, commands, benchmarks and tests write through these functions.
"""

from .instrument import MIN_RESPONSES as INSTRUMENT_MIN_RESPONSES
from .instrument import compute_instrument_report, pooled_report
from .invitations import (
    Mailing,
    ReminderRules,
    add_participants,
    invite_participants,
    resend_invitation,
    send_reminders,
)
from .plans import mark_action_plan, save_action_plan
from .publishing import (
    BINS,
    publication_due,
    publish_cycle,
    viewer_ids,
    waiting_fingerprint,
)
from .questionnaires import (
    DEFAULT_FILE,
    QuestionnaireFileError,
    copy_as_new_version,
    import_questionnaire,
    load_questionnaire,
    parse_questionnaire_json,
    questionnaire_to_data,
    questionnaire_to_json,
    read_questionnaire_file,
    validate_questionnaire_data,
)
from .responses import (
    AlreadySubmitted,
    AssessmentError,
    CycleClosed,
    InvalidAnswers,
    NotReady,
    SubmitOutcome,
    cycle_questions,
    delete_responses,
    delete_responses_of,
    record_response,
    save_draft,
    score_answers,
    started_cycle_with_questions,
    submit_response,
)

__all__ = [
    "Mailing",
    "ReminderRules",
    "add_participants",
    "invite_participants",
    "resend_invitation",
    "send_reminders",
    "mark_action_plan",
    "save_action_plan",
    "INSTRUMENT_MIN_RESPONSES",
    "compute_instrument_report",
    "pooled_report",
    "BINS",
    "DEFAULT_FILE",
    "AlreadySubmitted",
    "AssessmentError",
    "CycleClosed",
    "InvalidAnswers",
    "NotReady",
    "QuestionnaireFileError",
    "SubmitOutcome",
    "copy_as_new_version",
    "cycle_questions",
    "delete_responses",
    "delete_responses_of",
    "import_questionnaire",
    "load_questionnaire",
    "parse_questionnaire_json",
    "publication_due",
    "publish_cycle",
    "questionnaire_to_data",
    "questionnaire_to_json",
    "read_questionnaire_file",
    "record_response",
    "save_draft",
    "score_answers",
    "started_cycle_with_questions",
    "submit_response",
    "validate_questionnaire_data",
    "viewer_ids",
    "waiting_fingerprint",
]

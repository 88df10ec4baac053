"""Every write that touches several rows, each in one transaction.

- ``responses``: a person's drafts and submission, recorded responses (seeding), erasure;
- ``questionnaires``: loading a questionnaire file, copying a version;
- ``publishing``: making a cycle's team and organisation figures.

Views, admin actions, commands, benchmarks and tests write through these functions.
"""

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
    load_questionnaire,
    read_questionnaire_file,
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
    "load_questionnaire",
    "publication_due",
    "publish_cycle",
    "read_questionnaire_file",
    "record_response",
    "save_draft",
    "score_answers",
    "started_cycle_with_questions",
    "submit_response",
    "viewer_ids",
    "waiting_fingerprint",
]

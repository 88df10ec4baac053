from .services import InvalidAnswers


def parse_answers(data) -> dict[int, int]:
    """Read ``q<question id>=<value>`` pairs from a POST; anything malformed is tampering."""
    answers: dict[int, int] = {}
    for key, values in data.lists():
        if not key.startswith("q"):
            continue
        try:
            question_id = int(key[1:])
            if len(values) != 1:
                raise ValueError
            answers[question_id] = int(values[0])
        except ValueError:
            raise InvalidAnswers("The form contained an answer that is not valid.") from None
    return answers


def csv_safe(row) -> list:
    """Neutralise cells a spreadsheet would run as a formula (=, +, -, @ at the start)."""
    return [
        "'" + cell
        if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r")
        else cell
        for cell in row
    ]

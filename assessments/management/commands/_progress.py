"""Progress lines for commands that send many e-mails."""


class Progress:
    """Writes "sent 200 of 3,000" every ``every`` messages and at the end."""

    def __init__(self, stdout, *, every: int = 100):
        self.stdout = stdout
        self.every = every

    def __call__(self, done: int, total: int) -> None:
        if done % self.every == 0 or done == total:
            self.stdout.write(f"  {done:,} of {total:,} done")

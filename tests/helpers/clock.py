"""FakeClock: a clock that the tests move, and a sleep that moves it (no real wait)."""


class FakeClock:
    """Injected as clock and sleep: waiting costs no real time."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

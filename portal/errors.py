"""The domain error every service raises for a refused operation.

Its message is Vietnamese and shown to the user as is; views turn it into a form error or a
message, never an error page. `code` is stable for callers and tests.
"""


class DomainError(Exception):
    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)

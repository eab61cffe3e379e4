from portal.errors import DomainError


class RowInvalid(DomainError):
    """A row breaks the form's rules; `errors` maps field names to Vietnamese messages."""

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors.values()))[0]
        super().__init__(first, code="row_invalid")
        self.errors = errors

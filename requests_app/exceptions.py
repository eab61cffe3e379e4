from portal.errors import DomainError


class RowInvalid(DomainError):
    """A row breaks the form's rules; `errors` maps field names to Vietnamese messages."""

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors.values()))[0]
        super().__init__(first, code="row_invalid")
        self.errors = errors


class RowsInvalid(DomainError):
    """Some rows of a batch break the rules; `errors` maps each one's index in the batch to
    its {field: [messages]}. Nothing of the batch was saved."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        index, first = next(iter(errors.items()))
        super().__init__(next(iter(first.values()))[0], code="rows_invalid")
        self.errors = errors

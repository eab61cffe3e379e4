"""An independent long-term validator for the tests: pyHanko's ETSI EN 319 102-1 validation
of a signature with long-term availability and integrity (ades_lta_validation), with the
portal's chain only (certificates.signing.context.ades_validation_spec: no network), at a
chosen time."""

import asyncio
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo

from certificates.signing.context import ades_validation_spec


def lta_results(pdf: bytes, material, *, at: datetime) -> dict[str, object]:
    """Field name → pyHanko's AdESLTAValidationResult of each signature, validated at `at`."""
    reader = PdfFileReader(BytesIO(pdf))
    timing = ValidationTimingInfo(
        validation_time=at, best_signature_time=at, point_in_time_validation=False
    )
    return {
        str(signature.field_name): asyncio.run(
            ades_lta_validation(signature, ades_validation_spec(material), timing_info=timing)
        )
        for signature in reader.embedded_regular_signatures
    }

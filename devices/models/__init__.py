"""Key-storage devices, their custody chain, and the documents of their life (docs/domain.md §3–§4):
the Mẫu 07 handover notice, the Mẫu 08 return minutes with the return obligation behind them,
and the Mẫu 09 loss minutes.

Documents keep snapshots (subscriber's name, certificate serial) of what was true when they
were made: a later renaming must not rewrite a signed paper.
"""

from devices.models.credential import RemoteCredential
from devices.models.custody import CustodyRecord
from devices.models.device import (
    Device,
    generic_serial_validator,
    iccid_validator,
    usb_serial_validator,
)
from devices.models.documents import (
    HandoverItem,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnMinutesItem,
)
from devices.models.obligations import ReturnObligation
from devices.models.stored import (
    DeviceDocument,
    DeviceDocumentForm,
    SigningParty,
)
from devices.models.token import DeviceToken

__all__ = [
    "CustodyRecord",
    "Device",
    "DeviceDocument",
    "DeviceDocumentForm",
    "DeviceToken",
    "SigningParty",
    "HandoverItem",
    "HandoverNotice",
    "LossReport",
    "ReturnMinutes",
    "ReturnMinutesItem",
    "RemoteCredential",
    "ReturnObligation",
    "generic_serial_validator",
    "iccid_validator",
    "usb_serial_validator",
]

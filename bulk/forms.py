from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.accounts.reauth import ReauthForm
from bulk.choices import BulkAction

# Actions that cannot be undone: confirmed with the password (and one-time code) typed again,
# as a letter's processing is (docs/security.md, re-authentication).
REAUTH_ACTIONS = frozenset({BulkAction.REVOKE})


class BulkConfirmForm(ReauthForm):
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)
    action = forms.ChoiceField(label=_("Thao tác"), choices=BulkAction.choices)
    # A revocation's, and a Mẫu 05 draft's, Art. 17 case; the other actions need none.
    revocation_reason = forms.ChoiceField(
        label=_("Căn cứ thu hồi (Điều 17)"), choices=(), required=False
    )
    reason = forms.CharField(
        label=_("Lý do, nội dung đề nghị"), max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Hãy nêu lý do của thao tác hàng loạt.")},
    )  # fmt: skip

    def __init__(self, *args, actions=(), reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [c for c in BulkAction.choices if c[0] in actions]
        self.fields["revocation_reason"].choices = [("", "—"), *reasons]

"""Forms of the notification pages. They validate input; saving goes through the services."""

from __future__ import annotations

from django import forms


class MailTemplateForm(forms.Form):
    """One customer mail's subject and body, with the version the editor saw (``0`` when they
    saw the shipped default and nothing was stored), so a stale save is refused."""

    subject = forms.CharField(max_length=255)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), strip=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class MailTemplateResetForm(forms.Form):
    """Putting the shipped default back, with the version the editor saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

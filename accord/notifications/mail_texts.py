"""The mails customers receive, as shipped: the placeholders each event offers, sample values
for previews, and the default texts in English, German and French.

Administrators adapt these texts per event and language (``MailTemplate``); what they have not
adapted is taken from here. Each text is short and friendly, names the ticket, and leads to it:
details stay behind the link, where the customer's own permissions decide what they see.
"""

from __future__ import annotations

from accord.notifications.choices import MailEvent

E = MailEvent

#: What every placeholder means, for the edit page and the documentation.
PLACEHOLDER_HELP: dict[str, str] = {
    "reference": "The ticket's number, e.g. INC-000042.",
    "title": "The ticket's title as the customer sees it.",
    "person": "The recipient's name.",
    "organisation": "The recipient's organisation (the ticket's customer).",
    "link": "The address of the ticket's page.",
    "when": "When it happened, in the recipient's time zone.",
    "due": "When it is due, in the recipient's time zone (empty when there is no target).",
    "status": "The ticket's new status, in the recipient's language.",
    "comment": "The public text that came with it (a reply, a reason, a note).",
    "author": "Who wrote the reply.",
    "resolution": "What was done to resolve it.",
    "requester": "Who raised the request.",
}

_COMMON = ("reference", "title", "person", "organisation", "link", "when")

#: The placeholders each event offers; a template may use these and no others.
EVENT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    E.TICKET_CREATED: (*_COMMON, "due"),
    E.TICKET_STATUS_CHANGED: (*_COMMON, "status", "comment"),
    E.TICKET_PUBLIC_REPLY: (*_COMMON, "status", "comment", "author"),
    E.TICKET_RESOLVED: (*_COMMON, "resolution"),
    E.REQUEST_APPROVAL_NEEDED: (*_COMMON, "requester", "due"),
    E.REQUEST_APPROVED: (*_COMMON, "comment"),
    E.REQUEST_REJECTED: (*_COMMON, "comment"),
    E.REQUEST_FULFILLED: (*_COMMON, "comment"),
    E.SURVEY_INVITATION: (*_COMMON, "due"),
}

#: Values a preview is rendered with (instants are formatted in the previewer's language).
SAMPLE_VALUES: dict[str, str] = {
    "reference": "INC-000042",
    "title": "Printer on floor 3 does not print",
    "person": "Carla Schmidt",
    "organisation": "Contoso",
    "link": "/incidents/42/",
    "status": "Pending customer",
    "comment": "Could you tell us the printer's asset number?",
    "author": "Alice Agent",
    "resolution": "Replaced the fuser unit; test page printed.",
    "requester": "Carla Schmidt",
}

# (subject, body) per event and language.
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    E.TICKET_CREATED: {
        "en": (
            "We received your ticket {{ reference }}: {{ title }}",
            "Hello {{ person }},\n\n"
            "thank you for getting in touch. We have recorded your ticket {{ reference }} "
            "({{ title }}) on {{ when }} and will get back to you soon.\n"
            "Target for resolution: {{ due }}\n\n"
            "You can follow it here: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "Wir haben Ihr Anliegen {{ reference }} erhalten: {{ title }}",
            "Hallo {{ person }},\n\n"
            "vielen Dank für Ihre Nachricht. Wir haben Ihr Ticket {{ reference }} "
            "({{ title }}) am {{ when }} erfasst und melden uns bald bei Ihnen.\n"
            "Ziel für die Lösung: {{ due }}\n\n"
            "Den Stand sehen Sie hier: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "Nous avons bien reçu votre ticket {{ reference }} : {{ title }}",
            "Bonjour {{ person }},\n\n"
            "merci de nous avoir contactés. Votre ticket {{ reference }} ({{ title }}) "
            "a été enregistré le {{ when }} ; nous revenons vers vous rapidement.\n"
            "Objectif de résolution : {{ due }}\n\n"
            "Suivez-le ici : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.TICKET_STATUS_CHANGED: {
        "en": (
            "{{ reference }} is now {{ status }}",
            "Hello {{ person }},\n\n"
            "your ticket {{ reference }} ({{ title }}) is now: {{ status }} ({{ when }}).\n"
            "{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "{{ reference }}: neuer Status {{ status }}",
            "Hallo {{ person }},\n\n"
            "Ihr Ticket {{ reference }} ({{ title }}) hat einen neuen Status: {{ status }} "
            "({{ when }}).\n"
            "{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "{{ reference }} : nouveau statut {{ status }}",
            "Bonjour {{ person }},\n\n"
            "votre ticket {{ reference }} ({{ title }}) a un nouveau statut : {{ status }} "
            "({{ when }}).\n"
            "{{ comment }}\n\n"
            "Détails : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.TICKET_PUBLIC_REPLY: {
        "en": (
            "New reply on {{ reference }}: {{ title }}",
            "Hello {{ person }},\n\n"
            "{{ author }} replied to your ticket {{ reference }} on {{ when }}:\n\n"
            "{{ comment }}\n\n"
            "To answer, open {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "Neue Antwort zu {{ reference }}: {{ title }}",
            "Hallo {{ person }},\n\n"
            "{{ author }} hat am {{ when }} auf Ihr Ticket {{ reference }} geantwortet:\n\n"
            "{{ comment }}\n\n"
            "Antworten können Sie hier: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "Nouvelle réponse sur {{ reference }} : {{ title }}",
            "Bonjour {{ person }},\n\n"
            "{{ author }} a répondu à votre ticket {{ reference }} le {{ when }} :\n\n"
            "{{ comment }}\n\n"
            "Pour répondre, ouvrez {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.TICKET_RESOLVED: {
        "en": (
            "{{ reference }} has been resolved",
            "Hello {{ person }},\n\n"
            "good news: your ticket {{ reference }} ({{ title }}) was resolved on {{ when }}.\n\n"
            "What we did: {{ resolution }}\n\n"
            "If the problem is still there, reopen it here: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "{{ reference }} ist gelöst",
            "Hallo {{ person }},\n\n"
            "gute Nachrichten: Ihr Ticket {{ reference }} ({{ title }}) wurde am {{ when }} "
            "gelöst.\n\n"
            "Was wir getan haben: {{ resolution }}\n\n"
            "Besteht das Problem weiter, öffnen Sie es hier wieder: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "{{ reference }} est résolu",
            "Bonjour {{ person }},\n\n"
            "bonne nouvelle : votre ticket {{ reference }} ({{ title }}) a été résolu le "
            "{{ when }}.\n\n"
            "Ce que nous avons fait : {{ resolution }}\n\n"
            "Si le problème persiste, rouvrez-le ici : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.REQUEST_APPROVAL_NEEDED: {
        "en": (
            "Your approval is needed: {{ reference }} {{ title }}",
            "Hello {{ person }},\n\n"
            "{{ requester }} requested {{ title }} ({{ reference }}) on {{ when }}, and it "
            "needs your approval.\n"
            "Please decide by: {{ due }}\n\n"
            "Approve or reject it here: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "Ihre Genehmigung wird benötigt: {{ reference }} {{ title }}",
            "Hallo {{ person }},\n\n"
            "{{ requester }} hat am {{ when }} {{ title }} ({{ reference }}) angefordert; "
            "dafür brauchen wir Ihre Genehmigung.\n"
            "Bitte entscheiden Sie bis: {{ due }}\n\n"
            "Genehmigen oder ablehnen können Sie hier: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "Votre approbation est requise : {{ reference }} {{ title }}",
            "Bonjour {{ person }},\n\n"
            "{{ requester }} a demandé {{ title }} ({{ reference }}) le {{ when }} ; "
            "la demande attend votre approbation.\n"
            "Merci de décider avant le : {{ due }}\n\n"
            "Approuvez ou refusez-la ici : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.REQUEST_APPROVED: {
        "en": (
            "{{ reference }} was approved",
            "Hello {{ person }},\n\n"
            "your request {{ reference }} ({{ title }}) was approved on {{ when }}; we are "
            "on it.\n{{ comment }}\n\n"
            "Follow it here: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "{{ reference }} wurde genehmigt",
            "Hallo {{ person }},\n\n"
            "Ihre Anfrage {{ reference }} ({{ title }}) wurde am {{ when }} genehmigt; wir "
            "kümmern uns darum.\n{{ comment }}\n\n"
            "Den Stand sehen Sie hier: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "{{ reference }} a été approuvée",
            "Bonjour {{ person }},\n\n"
            "votre demande {{ reference }} ({{ title }}) a été approuvée le {{ when }} ; "
            "nous nous en occupons.\n{{ comment }}\n\n"
            "Suivez-la ici : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.REQUEST_REJECTED: {
        "en": (
            "{{ reference }} was not approved",
            "Hello {{ person }},\n\n"
            "we are sorry: your request {{ reference }} ({{ title }}) was not approved "
            "({{ when }}).\n{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "{{ reference }} wurde nicht genehmigt",
            "Hallo {{ person }},\n\n"
            "leider wurde Ihre Anfrage {{ reference }} ({{ title }}) nicht genehmigt "
            "({{ when }}).\n{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "{{ reference }} n'a pas été approuvée",
            "Bonjour {{ person }},\n\n"
            "nous sommes désolés : votre demande {{ reference }} ({{ title }}) n'a pas été "
            "approuvée ({{ when }}).\n{{ comment }}\n\n"
            "Détails : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.REQUEST_FULFILLED: {
        "en": (
            "{{ reference }} is done",
            "Hello {{ person }},\n\n"
            "your request {{ reference }} ({{ title }}) was fulfilled on {{ when }}.\n"
            "{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Kind regards,\nYour service desk\n",
        ),
        "de": (
            "{{ reference }} ist erledigt",
            "Hallo {{ person }},\n\n"
            "Ihre Anfrage {{ reference }} ({{ title }}) wurde am {{ when }} erledigt.\n"
            "{{ comment }}\n\n"
            "Details: {{ link }}\n\n"
            "Freundliche Grüße\nIhr Service Desk\n",
        ),
        "fr": (
            "{{ reference }} est traitée",
            "Bonjour {{ person }},\n\n"
            "votre demande {{ reference }} ({{ title }}) a été traitée le {{ when }}.\n"
            "{{ comment }}\n\n"
            "Détails : {{ link }}\n\n"
            "Cordialement,\nVotre service desk\n",
        ),
    },
    E.SURVEY_INVITATION: {
        "en": (
            "How did we do on {{ reference }}?",
            "Hello {{ person }},\n\n"
            "we recently worked on {{ reference }} ({{ title }}). Would you tell us how we "
            "did? It takes a minute.\n"
            "The survey is open until {{ due }}.\n\n"
            "Answer here: {{ link }}\n\n"
            "Thank you,\nYour service desk\n",
        ),
        "de": (
            "Wie zufrieden waren Sie mit {{ reference }}?",
            "Hallo {{ person }},\n\n"
            "wir haben vor kurzem {{ reference }} ({{ title }}) bearbeitet. Sagen Sie uns, "
            "wie zufrieden Sie waren? Es dauert nur eine Minute.\n"
            "Die Umfrage ist offen bis {{ due }}.\n\n"
            "Zur Umfrage: {{ link }}\n\n"
            "Vielen Dank\nIhr Service Desk\n",
        ),
        "fr": (
            "Votre avis sur {{ reference }}",
            "Bonjour {{ person }},\n\n"
            "nous avons récemment traité {{ reference }} ({{ title }}). Pourriez-vous nous "
            "dire ce que vous en avez pensé ? Cela prend une minute.\n"
            "L'enquête est ouverte jusqu'au {{ due }}.\n\n"
            "Répondre : {{ link }}\n\n"
            "Merci,\nVotre service desk\n",
        ),
    },
}

#: How an instant is written in each language (Django date format characters); the month
#: names come from Django's own translations.
INSTANT_FORMATS: dict[str, str] = {
    "en": "j F Y, H:i",
    "de": "j. F Y, H:i",
    "fr": "j F Y, H:i",
}

#: What an empty instant (no target) reads as.
NOT_SET: dict[str, str] = {"en": "not set", "de": "nicht festgelegt", "fr": "non défini"}

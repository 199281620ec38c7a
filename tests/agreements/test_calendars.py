"""Calendars: validation through the business-time engine, the domain object, API and pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.agreements import calendars, services
from accord.agreements.models import Calendar
from accord.core.choices import Role
from tests.agreements.helpers import manager
from tests.base import (
    ALL_ROLES,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    PageTests,
    api_client_for,
    assert_error_body,
    nothing_changed,
    outsider,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import CalendarFactory, PersonFactory

URL = "/api/v1/calendars/"
WRITERS = roles_with("calendars.manage")
OFFICE = {"0": [["09:00", "12:30"], ["13:30", "17:00"]], "4": [["09:00", "15:00"]]}


def office(**overrides):
    values = {
        "name": "Berlin office",
        "time_zone": "Europe/Berlin",
        "weekly_hours": OFFICE,
        "holiday_country": "DE",
        "holiday_subdivision": "BY",
        "custom_holidays": ["2026-12-24"],
    }
    return {**values, **overrides}


# --- Validation through the engine ------------------------------------------------------------


@pytest.mark.django_db
class TestCalendarValidation:
    def test_a_valid_calendar_is_stored_normalised_and_audited(self):
        cal = services.calendar_create(
            actor=manager(), **office(holiday_country="de", holiday_subdivision="by")
        )
        assert cal.holiday_country == "DE" and cal.holiday_subdivision == "BY"
        assert cal.weekly_hours == OFFICE
        assert cal.custom_holidays == ["2026-12-24"]

    @pytest.mark.parametrize(
        ("overrides", "field", "text"),
        [
            ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
            ({"weekly_hours": {"0": [["17:00", "09:00"]]}}, "weekly_hours", "ends before"),
            (
                {"weekly_hours": {"0": [["09:00", "12:00"], ["11:00", "13:00"]]}},
                "weekly_hours",
                "overlap",
            ),
            ({"weekly_hours": {"0": [["09:00", "25:00"]]}}, "weekly_hours", "24:00"),
            ({"weekly_hours": {"7": [["09:00", "17:00"]]}}, "weekly_hours", "weekday"),
            ({"weekly_hours": {"x": []}}, "weekly_hours", "weekday"),
            ({"weekly_hours": {}}, "weekly_hours", "never open"),
            ({"weekly_hours": ["09:00"]}, "weekly_hours", "weekdays"),
            ({"weekly_hours": {"0": ["09:00-17:00"]}}, "weekly_hours", "pair"),
            ({"holiday_country": "ZZ"}, "holiday_country", "ISO 3166"),
            ({"holiday_subdivision": "XX"}, "holiday_subdivision", "not a subdivision of DE"),
            (
                {"holiday_country": "", "holiday_subdivision": "BY"},
                "holiday_subdivision",
                "country",
            ),
            ({"custom_holidays": ["2026-02-30"]}, "custom_holidays", "not a date"),
            ({"custom_holidays": "2026-02-01"}, "custom_holidays", "list"),
        ],
    )
    def test_bad_input_is_a_field_error_and_nothing_is_stored(self, overrides, field, text):
        with nothing_changed(Calendar), pytest.raises(ValidationError) as caught:
            services.calendar_create(actor=manager(), **office(**overrides))
        messages = caught.value.message_dict[field]
        assert any(text.lower() in m.lower() for m in messages), messages

    def test_duplicate_name_is_refused(self):
        CalendarFactory(name="Berlin office")
        with pytest.raises(ValidationError) as caught:
            services.calendar_create(actor=manager(), **office(name="berlin OFFICE"))
        assert "name" in caught.value.message_dict

    def test_only_calendar_managers_of_the_provider_write(self, customer_org):
        with pytest.raises(PermissionDenied):
            services.calendar_create(actor=PersonFactory(roles=[Role.AGENT]), **office())
        # A provider role held by someone of a customer organisation is not enough.
        stranger = outsider(Role.SERVICE_LEVEL_MANAGER, customer_org)
        with pytest.raises(PermissionDenied):
            services.calendar_create(actor=stranger, **office())

    def test_update_bumps_the_version_and_keeps_other_fields(self):
        cal = services.calendar_create(actor=manager(), **office())
        updated = services.calendar_update(
            actor=manager(),
            calendar=cal,
            data={"weekly_hours": {"1": [["08:00", "16:00"]]}},
            expected_version=1,
        )
        assert updated.version == 2
        assert updated.weekly_hours == {"1": [["08:00", "16:00"]]}
        assert updated.holiday_country == "DE"


@pytest.mark.django_db
class TestBusinessCalendar:
    def test_holidays_of_the_country_and_custom_days_are_closed(self):
        cal = services.calendar_create(
            actor=None, **office(weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)})
        )
        domain = calendars.business_calendar(cal, years=[2026])
        assert dt.date(2026, 12, 24) in domain.holidays  # custom
        assert dt.date(2026, 1, 6) in domain.holidays  # Epiphany in Bavaria
        assert dt.date(2026, 12, 25) in domain.holidays
        # The worked example of docs/business-time.md: 2 h from Wed 23 Dec 2026 16:00.
        start = dt.datetime(2026, 12, 23, 16, tzinfo=domain.zone)
        due = domain.add(start, dt.timedelta(hours=2))
        assert due == dt.datetime(2026, 12, 28, 10, tzinfo=domain.zone)

    def test_cached_until_the_calendar_changes(self):
        cal = CalendarFactory()
        first = calendars.business_calendar(cal, years=[2026])
        assert calendars.business_calendar(cal, years=[2026]) is first
        cal = services.calendar_update(
            actor=None, calendar=cal, data={"weekly_hours": {"0": [["10:00", "11:00"]]}}
        )
        second = calendars.business_calendar(cal, years=[2026])
        assert second is not first
        assert second.weekly_total == dt.timedelta(hours=1)

    def test_open_periods_preview(self):
        cal = CalendarFactory(weekly_hours=OFFICE, custom_holidays=["2026-03-02"])
        domain = calendars.business_calendar(cal, years=[2026])
        start = dt.datetime(2026, 2, 27, 14, tzinfo=dt.UTC)  # Friday 15:00 in Berlin
        periods = calendars.open_periods(domain, start, 3)
        as_text = [(a.strftime("%a %d %H:%M"), b.strftime("%a %d %H:%M")) for a, b in periods]
        # Monday 2 March is a custom holiday.
        assert as_text == [
            ("Fri 06 09:00", "Fri 06 15:00"),
            ("Mon 09 09:00", "Mon 09 12:30"),
            ("Mon 09 13:30", "Mon 09 17:00"),
        ]

    def test_open_periods_start_inside_a_stretch(self):
        cal = CalendarFactory(weekly_hours=OFFICE)
        domain = calendars.business_calendar(cal, years=[2026])
        start = dt.datetime(2026, 3, 2, 10, 15, 30, 123, tzinfo=dt.UTC)  # Monday 11:15:30
        first = calendars.open_periods(domain, start, 1)[0]
        assert first[0].strftime("%H:%M:%S") == "11:15:30"
        assert first[1].strftime("%H:%M") == "12:30"

    def test_round_the_clock_preview_is_cut_after_a_year(self):
        cal = CalendarFactory(weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)})
        domain = calendars.business_calendar(cal, years=[2026])
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        (period,) = calendars.open_periods(domain, start, 1)
        assert period[1] - period[0] == dt.timedelta(days=366)


# --- API --------------------------------------------------------------------------------------


class TestCalendarAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Calendar
    readers = ALL_ROLES
    writers = WRITERS
    invalid_create = [
        Invalid("name", {"name": ""}),
        Invalid("time_zone", {"time_zone": "Mars/Olympus"}),
        Invalid("weekly_hours", {"weekly_hours": {"0": [["17:00", "09:00"]]}}, "backwards"),
        Invalid("weekly_hours", {"weekly_hours": {"8": [["09:00", "17:00"]]}}, "weekday"),
        Invalid("weekly_hours", {"weekly_hours": {}}, "never-open"),
        Invalid("holiday_country", {"holiday_country": "ZZ"}),
        Invalid("holiday_subdivision", {"holiday_subdivision": "XX"}),
        Invalid("custom_holidays", {"custom_holidays": ["soon"]}),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("time_zone", {"time_zone": "Nowhere/Land"}),
        Invalid("weekly_hours", {"weekly_hours": {"0": [["09:00"]]}}),
    ]

    def make_object(self, organisation):
        return CalendarFactory()

    def create_payload(self, organisation):
        return office()

    def update_payload(self, obj):
        return {"name": "Renamed calendar", "description": "Office hours of the Munich desk."}

    # Calendars hold no customer data: everyone signed in reads every calendar.
    def test_other_organisation_gets_404_and_empty_list(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        client = api_client_for(outsider(outsider_role, other_customer_org))
        assert client.get(self.detail_url(obj)).status_code == 200
        assert obj.pk in result_ids(client.get(self.url))

    def test_other_organisation_patch_is_404_and_changes_nothing(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        client = api_client_for(outsider(outsider_role, other_customer_org))
        with nothing_changed(Calendar, obj):
            response = client.patch(self.detail_url(obj), {"name": "Mine"}, format="json")
        assert_error_body(response, 403, "permission_denied")


def test_preview_lists_the_next_open_periods_and_holidays(customer_org):
    cal = CalendarFactory(custom_holidays=["2099-12-24"])
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get(f"{URL}{cal.pk}/preview/", {"count": 4})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["time_zone"] == "Europe/Berlin"
    assert body["weekly_total"] == "P1DT16H00M00S"  # 40 hours
    assert len(body["open_periods"]) == 4
    first = body["open_periods"][0]
    assert first["start"] < first["end"]
    assert first["end"].endswith("17:00:00+01:00") or first["end"].endswith("17:00:00+02:00")
    assert body["holidays"] == ["2099-12-24"]


def test_preview_refuses_a_bad_count(admin_person):
    cal = CalendarFactory()
    response = api_client_for(admin_person).get(f"{URL}{cal.pk}/preview/", {"count": 0})
    assert_error_body(response, 400, "invalid")


def test_filters_by_country_and_search(admin_person):
    de = CalendarFactory(name="Munich", holiday_country="DE")
    CalendarFactory(name="Paris", holiday_country="FR")
    client = api_client_for(admin_person)
    assert result_ids(client.get(URL, {"holiday_country": "de"})) == [de.pk]
    assert result_ids(client.get(URL, {"q": "muni"})) == [de.pk]


# --- Pages ------------------------------------------------------------------------------------


CAL_FORM = {
    "name": "Support desk",
    "description": "",
    "time_zone": "Europe/Berlin",
    "weekly_hours": "Mon 09:00-12:30, 13:30-17:00\nFri 09:00-15:00",
    "holiday_country": "DE",
    "holiday_subdivision": "BY",
    "custom_holidays": "2026-12-24, 2026-12-31",
}
CAL_INVALID = [
    Invalid("name", {"name": ""}),
    Invalid("time_zone", {"time_zone": "Mars/Olympus"}),
    Invalid("weekly_hours", {"weekly_hours": "Funday 09:00-17:00"}, "bad-day"),
    Invalid("weekly_hours", {"weekly_hours": "Mon 17:00-09:00"}, "backwards"),
    Invalid("weekly_hours", {"weekly_hours": "Mon 09:00"}, "no-end"),
    Invalid("holiday_country", {"holiday_country": "ZZ"}),
    Invalid("holiday_subdivision", {"holiday_subdivision": "Atlantis"}),
    Invalid("custom_holidays", {"custom_holidays": "2026-02-30"}),
]


class TestCalendarListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/calendars/"

    def make_object(self, organisation):
        return CalendarFactory()

    def shows(self, obj):
        return [obj.name, obj.time_zone]


class TestCalendarDetailPage(PageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/calendars/{obj.pk}/"

    def make_object(self, organisation):
        return CalendarFactory(name="Munich desk", holiday_country="DE", holiday_subdivision="BY")

    def shows(self, obj):
        return [obj.name, "Next opening periods", "09:00-17:00", "Next holidays"]


class TestCalendarEditPage(FormPageTests):
    model = Calendar
    page_roles = WRITERS
    invalid_form = [*CAL_INVALID, Invalid("version", {"version": "abc"}, "tampered-version")]

    def url(self, obj):
        return f"/calendars/{obj.pk}/edit/"

    def make_object(self, organisation):
        return CalendarFactory()

    def form_data(self, obj):
        return {**CAL_FORM, "version": obj.version}

    # Calendars are shared: a writer role held by a customer's person is refused (403).
    def test_other_organisation_record_is_404(self, client, customer_org, other_customer_org):
        obj = self.make_object(customer_org)
        client.force_login(outsider(self.outsider_role, other_customer_org))
        assert client.get(self.url(obj)).status_code == 403
        with nothing_changed(Calendar, obj):
            assert client.post(self.url(obj), self.form_data(obj)).status_code == 403


class TestCalendarCreatePage(CreatePageTests):
    model = Calendar
    page_roles = WRITERS
    create_url = "/calendars/new/"
    invalid_form = CAL_INVALID

    def form_data(self, organisation):
        return dict(CAL_FORM)


def test_calendar_form_round_trips_the_stored_hours(client, admin_person):
    cal = CalendarFactory(weekly_hours=OFFICE, custom_holidays=["2026-12-24"])
    client.force_login(admin_person)
    content = client.get(f"/calendars/{cal.pk}/edit/").content.decode()
    assert "Mon 09:00-12:30, 13:30-17:00" in content
    assert "Fri 09:00-15:00" in content
    assert "2026-12-24" in content

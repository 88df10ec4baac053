"""Guards for the admin against values that Django's admin would turn into a server error.

Gaps in Django 5.2's admin, all reachable with a hand-made request:

- A choice of a related object (a team, a person) looks a posted id up in the database as
  it is: a 30-digit number then fails in the database instead of being "not a valid
  choice". The fields here check that a value can be an id before looking it up.
- An autocomplete field redrawn with an error puts whatever was posted into a database
  filter: "abc" or a 30-digit number fails there. The widgets here leave such values out.
- The date links above a list (``date_hierarchy``) turn a year such as 99999999999 into a
  date without checking it. The lists here treat that like any other bad filter: Django
  shows the list again with an "invalid filter" note.
"""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.forms import ModelChoiceField, ModelMultipleChoiceField


def possible_id(field, value) -> bool:
    """Whether ``value`` can be a value of the model field ``field`` (an id: a whole number
    in the database's range), before anything asks the database about it."""
    try:
        # run_validators includes the database's range for integer fields.
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    return True


def _target(queryset, to_field_name):
    opts = queryset.model._meta
    return opts.get_field(to_field_name) if to_field_name else opts.pk


class SafeModelChoiceField(ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not possible_id(
            _target(self.queryset, self.to_field_name), value
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeModelMultipleChoiceField(ModelMultipleChoiceField):
    def _check_values(self, value):
        target = _target(self.queryset, self.to_field_name)
        for pk in value if isinstance(value, (list, tuple)) else ():
            if not possible_id(target, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class OnlyPossibleIds:
    """An autocomplete widget that leaves out selected values that cannot be ids."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        target = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))
        return super().optgroups(name, [v for v in value if possible_id(target, v)], attr)


class SafeAutocompleteSelect(OnlyPossibleIds, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(OnlyPossibleIds, AutocompleteSelectMultiple):
    pass


class SafeRelations:
    """A ModelAdmin or inline whose choices of related objects use the fields above, and
    whose ``autocomplete_fields`` the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", SafeModelChoiceField)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class BadDatesAreBadFilters:
    """A ModelAdmin whose list answers an impossible date filter like any bad filter."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

"""Bootstrap look for every form, without a form library."""

from django import forms


class BootstrapFormMixin:
    """Give each widget Bootstrap's class and mark invalid fields for screen readers."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                # Django puts the class on the group's <div> as well as on each input: with
                # form-check-input the group became a floated 1em box and its options ran over
                # the fields below (the agreement form). Styled as a group in portal.css.
                css = "form-choices"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            if self.is_bound and name in self.errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"

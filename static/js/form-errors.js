// After a form comes back with errors, move focus to the first one (WCAG 3.3.1), so a keyboard or
// screen-reader user lands on what needs fixing instead of at the top of the page. A field with
// an error is marked aria-invalid by the form renderer; a form-wide error is an alert box.
(function () {
  "use strict";

  function firstError() {
    var forms = document.querySelectorAll("main form");
    for (var i = 0; i < forms.length; i++) {
      // The first in document order: a form-wide error box above the fields, or the first bad field.
      var error = forms[i].querySelector(".alert-danger, .errorlist.nonfield, [aria-invalid='true'], .is-invalid");
      if (error) return error;
    }
    return null;
  }

  function focusFirstError() {
    var target = firstError();
    if (!target) return;
    if (!target.matches("input, select, textarea, button, a[href]")) {
      // A box of text is not focusable by itself; -1 lets the script focus it without adding a tab stop.
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
    target.scrollIntoView({ block: "center" });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstError);
  else focusFirstError();
})();

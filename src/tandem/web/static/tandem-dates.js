// Tandem: a date field says the date it holds in the words every page writes dates in
// ("1 Dec 2026"). The browser draws the field itself, in its own locale (12/01/2026 in the
// United States), so the words beside it confirm which day that is. The server writes the same
// words when it draws the page; this keeps them true while the date is changed.
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function inWords(iso) {
    var parts = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!parts) return "";
    var month = MONTHS[Number(parts[2]) - 1];
    return month ? Number(parts[3]) + " " + month + " " + parts[1] : "";
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "date") return;
    var said = document.getElementById(input.id + "-said");
    if (!said) return;
    var words = inWords(input.value);
    said.querySelector("[data-date-words]").textContent = words;
    said.hidden = words === "";
  });
})();

// Tandem: a running total on scored questionnaires while they are filled in. The server
// scores every response itself; this only helps the person entering the answers.
(function () {
  "use strict";
  function update(form) {
    var box = form.querySelector(".running-total");
    if (!box) return;
    var total = 0;
    var answered = 0;
    form.querySelectorAll("input[data-value]:checked").forEach(function (input) {
      total += Number(input.getAttribute("data-value"));
      answered += 1;
    });
    box.querySelector("[data-total]").textContent = String(total);
    box.querySelector("[data-answered]").textContent = String(answered);
    box.hidden = false;
  }
  document.querySelectorAll("form[data-instrument-form]").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();

// The printed care plan's Print button: shown only where script runs (without it, the
// browser's own Print command does the same).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});

// The dashboard works without JavaScript; this only adds conveniences.
// Loaded as a file (the Content Security Policy allows no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The status form: show only the fields the chosen status needs.
  const to = document.getElementById("to");
  if (to) {
    const sets = document.querySelectorAll("form.status fieldset");
    const sync = () => {
      sets.forEach((fs) => {
        const legend = fs.querySelector("legend").textContent;
        fs.hidden = !(legend.startsWith("Risk") ? to.value === "risk_accepted"
                                                : to.value === "not_affected");
      });
    };
    to.addEventListener("change", sync);
    sync();
  }
  // Press "/" to jump to the search box of a list, as many sites do.
  document.addEventListener("keydown", (e) => {
    const box = document.querySelector("input[type=search]");
    if (e.key === "/" && box && document.activeElement.tagName !== "INPUT" &&
        document.activeElement.tagName !== "TEXTAREA") {
      e.preventDefault();
      box.focus();
    }
  });
});

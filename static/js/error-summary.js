// The links of an error summary (the submission form, the alert form): the browser's own jump puts the field
// at the top of the screen, its label, hint and message above it, out of sight. Following a link here scrolls
// the field's whole box to the top instead (label or group question, hint, message, then the field) and moves
// the focus to the field. Without this file the links still reach the field.

// What belongs to the field: its box (.field) where the form draws one, its label otherwise.
function boxOf(field) {
  return field.closest(".field") || (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`));
}

document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  if (!link) return;
  const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!field || !field.matches("input, select, textarea")) return;
  const box = boxOf(field);
  if (!box) return;
  event.preventDefault();
  history.pushState(null, "", link.hash); // the address names the field, as the browser's own jump does
  box.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
  // A box taller than the screen, its field below the fold: the field comes into view.
  const drawn = field.getBoundingClientRect();
  if (drawn.top < 0 || drawn.bottom > window.innerHeight) field.scrollIntoView({ block: "nearest" });
});

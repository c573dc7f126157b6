// The admin's autocomplete boxes (Django's select2) made accessible: select2 draws, for a many-to-many field,
// a search box with no label and a clear button ("×") straight inside its list of choices, and redraws both
// at every change. Each time it draws them, this names the box after the field's own label and puts the
// button in a list item of its own. Without this file the admin works the same.
function fieldLabel(container) {
  const select = container.previousElementSibling;
  if (!select || select.tagName !== "SELECT" || !select.id) return "";
  const label = document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
  return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
}

function mend(root) {
  for (const field of root.querySelectorAll(".select2-container .select2-search__field:not([aria-label])")) {
    const name = fieldLabel(field.closest(".select2-container"));
    if (name) field.setAttribute("aria-label", name);
  }
  for (const button of root.querySelectorAll("ul.select2-selection__rendered > .select2-selection__clear")) {
    const item = document.createElement("li");
    item.className = "select2-selection__clear-item";
    button.replaceWith(item);
    item.append(button);
  }
}

mend(document);
new MutationObserver(() => mend(document)).observe(document.body, { childList: true, subtree: true });

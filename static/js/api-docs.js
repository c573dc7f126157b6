// Swagger UI on /api/docs/, as it draws each part:
// - its own words (buttons, headings, labels) in the page's language (?lang=...). Swagger UI has no
//   translations of its own: a text node whose whole text is one of these words is replaced. What the API
//   says of itself (titles, descriptions, parameter names, examples, answers) is never touched: it is
//   already in the reader's language, or is data;
// - what axe-core finds missing in an operation that is tried out: a name for each parameter's list of
//   values, and keyboard access to the code blocks that scroll.
import { gettext, language } from "./i18n.js";

const WORDS = {
  // Translators: Swagger UI, the API's documentation page: a button that opens an operation's form.
  "Try it out": gettext("Try it out"),
  Cancel: gettext("Cancel"),
  // Translators: Swagger UI: the button that sends the request.
  Execute: gettext("Execute"),
  Clear: gettext("Clear"),
  Close: gettext("Close"),
  Authorize: gettext("Authorize"),
  Logout: gettext("Logout"),
  "Available authorizations": gettext("Available authorizations"),
  Parameters: gettext("Parameters"),
  "No parameters": gettext("No parameters"),
  "Request body": gettext("Request body"),
  Responses: gettext("Responses"),
  "Request URL": gettext("Request URL"),
  "Server response": gettext("Server response"),
  "Response body": gettext("Response body"),
  "Response headers": gettext("Response headers"),
  Code: gettext("Code"),
  Description: gettext("Description"),
  Details: gettext("Details"),
  Links: gettext("Links"),
  "No links": gettext("No links"),
  Name: gettext("Name"),
  "Name:": gettext("Name:"),
  "In:": gettext("In:"),
  "Value:": gettext("Value:"),
  "Headers:": gettext("Headers:"),
  Type: gettext("Type"),
  "Media type": gettext("Media type"),
  // Translators: Swagger UI: "Controls", then the header's name (Accept), then "header.": one sentence.
  Controls: gettext("Controls"),
  // Translators: Swagger UI: the end of "Controls Accept header." (Accept is an HTTP header's name).
  "header.": gettext("header."),
  "Example Value": gettext("Example Value"),
  Schema: gettext("Schema"),
  Schemas: gettext("Schemas"),
  // Translators: Swagger UI: a checkbox that sends a parameter with no value.
  "Send empty value": gettext("Send empty value"),
  Download: gettext("Download"),
  "Loading...": gettext("Loading..."),
};
const LABELS = {
  "Copy to clipboard": gettext("Copy to clipboard"),
  "Copy cURL command to clipboard": gettext("Copy the curl command"),
  "Copy code to clipboard": gettext("Copy the code"),
  "Copy path to clipboard": gettext("Copy the path"),
  "Collapse operation": gettext("Collapse operation"),
  "Expand operation": gettext("Expand operation"),
  "Apply credentials": gettext("Apply credentials"),
  "Media Type": gettext("Media type"),
};
// What the API says of itself, and data: never translated here.
const CONTENT = "pre, code, textarea, input, select, .microlight, .markdown, .renderedMarkdown, .model-box, " +
  ".parameter__name, .parameter__type, .opblock-summary-path, .opblock-summary-description, .info";

function translateText(node) {
  const text = node.nodeValue;
  const word = text.trim();
  if (!(word in WORDS) || WORDS[word] === word || node.parentElement?.closest(CONTENT)) return;
  node.nodeValue = text.replace(word, WORDS[word]);
}

function translateLabels(element) {
  for (const attribute of ["aria-label", "title"]) {
    const value = element.getAttribute(attribute);
    if (value && value in LABELS) element.setAttribute(attribute, LABELS[value]);
  }
}

const translating = language() !== "en";

function nameControls(root) {
  // One main landmark, Swagger UI's own around the operations (the page's container is not one): the title
  // and description above it are the page's banner, the Authorize button a region of its own.
  root.querySelectorAll(".information-container:not([role])").forEach((header) => {
    header.setAttribute("role", "banner");
  });
  root.querySelectorAll(".scheme-container:not([role])").forEach((region) => {
    region.setAttribute("role", "region");
    // Translators: Swagger UI, the API's documentation page: the part with the Authorize button.
    region.setAttribute("aria-label", gettext("Authorization"));
  });
  // Headings in order under the page's h1 (the API's title): Swagger UI's start at h3 (the groups of
  // operations), one level down from where they belong.
  root.querySelectorAll(":is(#operations, .modal-ux) :is(h3, h4, h5, h6):not([aria-level])").forEach((heading) => {
    heading.setAttribute("aria-level", String(Number(heading.tagName[1]) - 1));
  });
  // A parameter's list of values is named by its parameter (the row's name cell shows it, unlinked).
  root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach((select) => {
    select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
  });
  // A code block wider or taller than its box scrolls: reachable by keyboard, with a name, that of the heading
  // just above it where there is one ("Curl", "Response body"). A group, not a region: an operation tried
  // out holds several, and landmarks of one name ("Code") could not be told apart.
  root.querySelectorAll(".microlight:not([tabindex])").forEach((block) => {
    block.setAttribute("tabindex", "0");
    block.setAttribute("role", "group");
    const heading = headingAbove(block);
    if (heading) {
      heading.id ||= `code-heading-${++headings}`;
      block.setAttribute("aria-labelledby", heading.id);
    } else block.setAttribute("aria-label", gettext("Code"));
  });
  // The Authorize dialog's close button is an icon alone.
  root.querySelectorAll(".modal-ux .close-modal:not([aria-label])").forEach((button) => {
    button.setAttribute("aria-label", gettext("Close"));
  });
}

let headings = 0;

// The heading before `block` among its own siblings or those of its two nearest ancestors, if any.
function headingAbove(block) {
  let element = block;
  for (let level = 0; level < 3 && element; level += 1, element = element.parentElement) {
    for (let sibling = element.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      if (/^H[1-6]$/.test(sibling.tagName)) return sibling;
    }
  }
  return null;
}

function visit(root) {
  if (root.nodeType === Node.TEXT_NODE) {
    if (translating) translateText(root);
    return;
  }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  nameControls(root.parentElement || root);
  if (!translating) return;
  translateLabels(root);
  root.querySelectorAll("[aria-label], [title]").forEach(translateLabels);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) translateText(node);
}

const docs = document.getElementById("swagger-ui");
if (docs) {
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") {
        if (translating) translateText(change.target);
      } else change.addedNodes.forEach(visit);
    }
  }).observe(docs, { childList: true, subtree: true, characterData: true });
  visit(docs);
}

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
  // A parameter's list of values is named by its parameter (the row's name cell shows it, unlinked).
  root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach((select) => {
    select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
  });
  // A code block wider or taller than its box scrolls: reachable by keyboard, with a name.
  root.querySelectorAll(".microlight:not([tabindex])").forEach((block) => {
    block.setAttribute("tabindex", "0");
    block.setAttribute("role", "region");
    block.setAttribute("aria-label", gettext("Code"));
  });
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

// Home page: search suggestions from the public API.
import { attachSuggestions } from "./suggest.js";

for (const input of document.querySelectorAll("input[type=search][name=q]")) attachSuggestions(input);

// A page whose charts are all drawn from its own tables (the economy profiles). See charts.js.
import { drawCharts } from "./charts.js";

drawCharts(document);

// Allure 3 configuration: `python -m chat_acceptance.reporting.html_report` runs `allure generate` with it, from reporting/.
import { readFileSync } from "node:fs";
import { defineConfig } from "allure";

// One list of failure categories for both report generations: Allure 2 reads categories.json from the results
// (reporting.write_run_metadata copies it there); Allure 3's Awesome report reads it only from this config.
const categories = JSON.parse(readFileSync(new URL("./categories.json", import.meta.url), "utf8"));

export default defineConfig({
  name: "chat-acceptance",
  output: "../reports/allure-report",
  // Each run appends one line here and the report reads the earlier ones: trends across runs. html_report.py
  // keeps it beside the report it writes (ALLURE_HISTORY_FILE); run by hand, it is this file.
  historyPath: process.env.ALLURE_HISTORY_FILE ?? "../reports/allure-history.jsonl",
  historyLimit: 30,
  categories,
  plugins: {
    awesome: {
      options: {
        singleFile: true, // one index.html that opens from disk, no server needed
        reportLanguage: "en",
        // The Behaviors view: epic (feature group) > feature > story (the Rule).
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
});

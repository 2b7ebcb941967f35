import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./cli/store/schema.ts",
  // Generated SQL migrations, committed; openStore applies them when a database is opened.
  out: "./drizzle",
});

// Lint: typescript-eslint with type-checked rules, and the import direction of DESIGN.md:
//   proto/gen <- core <- {services, agents, cli/store, cli/report} <- cli/commands
// with no runtime import cycles (eslint-import-cycles.js), only core/wire importing proto/gen, and no gRPC
// or NATS client in core outside core/wire, nor in cli/store and cli/report.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { noImportCycle } from "./eslint-import-cycles.js";

const folderPatterns = (groups) =>
  groups.map((g) => ({
    group: [`**/${g}/**`, `**/${g}`],
    message: `DESIGN.md import direction: this folder may not import from ${g}/.`,
  }));
const restrict = (...groups) => ({
  "no-restricted-imports": ["error", { patterns: folderPatterns(groups) }],
});
// core (but core/wire), cli/store and cli/report are offline libraries: no gRPC or NATS client in them, so
// they run where no coordinator or NATS server is (the workflows in cli/workflows combine them with both).
const restrictOffline = (...groups) => ({
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        ...folderPatterns(groups),
        {
          group: ["@grpc/*", "@nats-io/*"],
          message:
            "An offline library imports no gRPC or NATS client: talk to the coordinator through core/wire from cli/workflows.",
        },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "proto/gen/", "drizzle/", "coverage/", "bin/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ["**/*.ts"],
    plugins: { local: { rules: { "no-import-cycle": noImportCycle } } },
    rules: { "local/no-import-cycle": "error" },
  },
  {
    files: ["**/*.ts"],
    ignores: ["core/wire/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/proto/gen/**"],
              message:
                "Only core/wire imports generated code: import the message from core/wire/generated.js.",
            },
          ],
        },
      ],
    },
  },
  { files: ["core/**/*.ts"], ignores: ["core/wire/**"], rules: restrictOffline("services", "agents", "cli") },
  { files: ["core/wire/**/*.ts"], rules: restrict("services", "agents", "cli") },
  { files: ["services/**/*.ts"], rules: restrict("agents", "cli") },
  { files: ["agents/**/*.ts"], rules: restrict("services", "cli") },
  {
    files: ["cli/store/**/*.ts", "cli/report/**/*.ts"],
    rules: restrictOffline("services", "agents", "commands", "workflows"),
  },
  { files: ["proto/gen/**/*.ts"], rules: restrict("core", "services", "agents", "cli") },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  { files: ["*.js"], ...tseslint.configs.disableTypeChecked },
);

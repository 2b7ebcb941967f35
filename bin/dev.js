#!/usr/bin/env node
// Development: run cli/commands/*.ts from source through tsx, no build needed.
// oclif maps dist/ back to source with tsconfig's rootDir/outDir; with rootDir "." that mapping is applied
// twice to each command file and warns for every command, although the right file loads. Forcing
// auto-transpile outside NODE_ENV=development keeps the source mapping and drops the spurious warnings.
import { execute, settings } from "@oclif/core";

settings.enableAutoTranspile = true;
process.env.NODE_ENV ??= "specgrid-dev";
await execute({ dir: import.meta.url });

#!/usr/bin/env node
// Development: @oclif/core registers tsx itself and loads cli/commands/*.ts from source.
import { execute } from "@oclif/core";

await execute({ development: true, dir: import.meta.url });

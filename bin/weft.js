#!/usr/bin/env node
// The installed `weft` command. The CLI is TypeScript compiled to dist/ (npm run build).
import { runCli } from '../dist/src/cli/program.js';

process.exitCode = await runCli(process.argv);

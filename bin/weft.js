#!/usr/bin/env -S node --max-semi-space-size=4 --max-old-space-size=512
// The V8 flags above keep a busy server near 115 MB instead of ~190 MB: V8 otherwise lets the
// young generation and the old heap grow far beyond what Weft keeps alive (docs/benchmarks.md).
// They beat NODE_OPTIONS; to choose others run `node <flags> bin/weft.js …` instead.
// The installed `weft` command. The CLI is TypeScript compiled to dist/ (npm run build).
import { runCli } from '../dist/src/cli/program.js';

process.exitCode = await runCli(process.argv);

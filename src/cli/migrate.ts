import type { Command } from 'commander';
import { loadConfig, runtimeMode } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { CliContext } from './context.js';
import { printJson } from './output.js';

/**
 * `weft migrate`: applies pending schema migrations to the configured database and prints them.
 * Every role also migrates at boot; this is for upgrading a cluster before rolling it out. Safe
 * while other processes run or migrate (PostgreSQL: an advisory lock; SQLite: one transaction).
 */
export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (WEFT_DATABASE_URL, or SQLite in the data dir)')
    .option('--data-dir <dir>', 'SQLite database directory, without WEFT_DATABASE_URL (WEFT_DATA_DIR)')
    .action(async (flags: { dataDir?: string }, cmd: Command) => {
      const config = loadConfig({ env: ctx.io.env, flags: { dataDir: flags.dataDir } });
      const store = openStore(config);
      try {
        const report = await store.migrate();
        if (ctx.json(cmd)) {
          printJson(ctx.io, { dialect: store.dialect, mode: runtimeMode(config), ...report });
          return;
        }
        for (const id of report.applied) ctx.io.out(`applied ${id}\n`);
        const state = report.applied.length === 0 ? 'up to date' : `migrated`;
        ctx.io.out(`${store.dialect}: ${state}, schema version ${report.current}\n`);
      } finally {
        await store.close();
      }
    });
}

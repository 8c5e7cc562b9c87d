import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { InputError, UsageError } from '../../errors.js';
import { EXPORTABLE_TABLES } from '../../store/schema.js';

export function registerDb(program: Command, context: CliContext): void {
  const db = program
    .command('db')
    .description('inspect, export or reset the local database')
    .showHelpAfterError('(add --help for usage)');
  addExamples(db, [
    ['tpb db info', 'counts per table and source, and the imports'],
    ['tpb db imports', 'every import: id, kind, source, file, rows'],
    ['tpb db drop 3', 'remove import 3 and its rows (an overlapping or wrong export)'],
    ['tpb db export rejects --format json', 'rejected rows with their line and reason'],
    ['tpb db reset --yes', 'empty every table'],
  ]);

  addExamples(
    db
      .command('info')
      .description('row counts per table and source, and the imports so far')
      .action(async () => {
        const { countRows } = await import('../../store/admin.js');
        const { listImports } = await import('../../store/imports.js');
        const { renderDbInfo } = await import('../../report/db-info.js');
        const store = context.openExistingStore();
        const counts = countRows(store);
        const imports = listImports(store);
        const size = context.dbPath === ':memory:' ? 0 : fs.statSync(context.dbPath).size;
        const info = { file: context.dbPath, schema_version: store.schemaVersion, size_bytes: size, counts, imports };
        if (context.globals.json) context.output.jsonDocument(info);
        else context.output.data(renderDbInfo(info, context.output.stdoutColor));
      }),
    [
      ['tpb db info', 'counts per table and source'],
      ['tpb db info --db staging.db --json', 'the same as JSON'],
    ],
  );

  addExamples(
    db
      .command('imports')
      .description('list the imports: id, kind, source, preset, rows, rejected, file, when')
      .action(async () => {
        const { listImports } = await import('../../store/imports.js');
        const { renderImports } = await import('../../report/db-info.js');
        const store = context.openExistingStore();
        const imports = listImports(store);
        if (context.globals.json) context.output.jsonDocument({ version: 1, file: context.dbPath, imports });
        else context.output.data(renderImports(imports, context.output.stdoutColor));
      }),
    [
      ['tpb db imports', 'which exports are in the database'],
      ['tpb db imports --json', 'the same as JSON'],
    ],
  );

  addExamples(
    db
      .command('drop')
      .description('remove one import: its rows and rejects, in one transaction')
      .argument('<import-id>', 'the id tpb ingest printed (tpb db imports lists them)')
      .action(async (raw: string) => {
        if (!/^\d+$/.test(raw.trim())) throw new UsageError(`expected an import id (a number), got ${JSON.stringify(raw)}`, { hint: 'tpb db imports lists the ids' });
        const id = Number(raw.trim());
        const { dropImport, listImports } = await import('../../store/imports.js');
        const store = context.openExistingStore();
        const dropped = dropImport(store, id);
        if (!dropped) {
          const ids = listImports(store).map((record) => record.id);
          throw new InputError(`no import ${id} in ${context.dbPath}`, {
            hint: ids.length > 0 ? `imports: ${ids.join(', ')} (tpb db imports)` : 'the database has no imports',
          });
        }
        const { record } = dropped;
        if (context.globals.json) {
          context.output.jsonDocument({ version: 1, dropped: record, rows_deleted: dropped.rows, rejects_deleted: dropped.rejects });
        } else {
          const { sanitizeForDisplay } = await import('../../text/sanitize.js');
          context.output.data(
            `Dropped import ${record.id} (${record.kind} of source ${sanitizeForDisplay(record.source)} from ${sanitizeForDisplay(record.file)}): ` +
              `${dropped.rows.toLocaleString('en-US')} ${record.kind} and ${dropped.rejects.toLocaleString('en-US')} rejects deleted.\n`,
          );
        }
      }),
    [
      ['tpb db drop 3', 'remove import 3 and everything it brought in'],
      ['tpb db imports && tpb db drop 2 --json', 'find the id, then drop it'],
    ],
  );

  addExamples(
    db
      .command('reset')
      .description('delete every row of every table (the file stays)')
      .option('-y, --yes', 'really delete everything')
      .action(async (options: { yes?: boolean }) => {
        const store = context.openExistingStore();
        if (!options.yes) {
          throw new UsageError(`this deletes everything in ${context.dbPath}`, { hint: 'run again with --yes' });
        }
        const { resetStore } = await import('../../store/admin.js');
        resetStore(store);
        if (context.globals.json) context.output.jsonDocument({ reset: true, file: context.dbPath });
        else context.output.info(`Deleted every row in ${context.dbPath}.`);
      }),
    [['tpb db reset --yes', 'start from an empty database']],
  );

  addExamples(
    db
      .command('export')
      .description('export a table as CSV or JSON')
      .argument('<table>', `one of ${EXPORTABLE_TABLES.join(', ')}`)
      .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'json']).default('csv'))
      .option('-o, --out <file>', 'write to a file instead of stdout')
      .action(async (table: string, options: { format: 'csv' | 'json'; out?: string }) => {
        const { isExportableTable } = await import('../../store/admin.js');
        if (!isExportableTable(table)) {
          throw new UsageError(`unknown table "${table}"`, { hint: `choose one of ${EXPORTABLE_TABLES.join(', ')}` });
        }
        const { exportTable } = await import('../../report/table-export.js');
        const format = context.globals.json ? 'json' : options.format;
        const store = context.openExistingStore();
        if (options.out) {
          const file = context.resolvePath(options.out);
          const rows = await exportTable(store, table, format, fs.createWriteStream(file));
          context.output.info(`Wrote ${rows} rows of ${table} to ${file}.`);
        } else {
          await exportTable(store, table, format, context.io.stdout);
        }
      }),
    [
      ['tpb db export conversions > conversions.csv', 'every conversion as CSV (formulas neutralised)'],
      ['tpb db export rejects --format json', 'rejected rows with line numbers and reasons'],
    ],
  );
}

/**
 * The house rule (README, "Code layout"), checked by `npm test`:
 *   kernel   errors, text, units, stats, csv, template, presets, http — depend on nothing of tpb's but each other
 *   store    SQLite: the kernel only; owns its types
 *   capabilities  ingest, reconcile, click, fire, serve, catch, engines… — kernel and store; never each other,
 *            except check and demo, which compose capabilities on purpose through their public functions
 *   report, cli — on top; nothing below imports them (report never imports cli)
 */
const KERNEL = '^src/(errors\\.ts|text/|units/|stats/|csv/|template/|presets/|http/)';
const STORE = '^src/store/';
const TOP = '^src/(report|cli)/';
const COMPOSERS = '^src/(check|demo)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle ties modules together so neither can be read or changed alone.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'kernel-stays-low',
      severity: 'error',
      comment: 'Kernel modules (errors, text, units, stats, csv, template, presets, http) depend only on each other.',
      from: { path: KERNEL },
      to: { path: '^src/', pathNot: KERNEL },
    },
    {
      name: 'store-owns-its-types',
      severity: 'error',
      comment: 'The store depends on the kernel only: move a shared type down into store/ or the kernel.',
      from: { path: STORE },
      to: { path: '^src/', pathNot: `${KERNEL}|${STORE}` },
    },
    {
      name: 'nothing-below-imports-report-or-cli',
      severity: 'error',
      comment: 'report and cli sit on top: move the piece you need down into the kernel.',
      from: { path: '^src/', pathNot: TOP },
      to: { path: TOP },
    },
    {
      name: 'report-never-imports-cli',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-sideways-between-capabilities',
      severity: 'error',
      comment:
        'A capability never reaches into another capability: move the shared piece down into the kernel. Only check and demo compose capabilities.',
      from: { path: '^src/([^/]+)/', pathNot: `${KERNEL}|${STORE}|${TOP}|${COMPOSERS}` },
      to: { path: '^src/([^/]+)/', pathNot: `^src/$1/|${KERNEL}|${STORE}` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

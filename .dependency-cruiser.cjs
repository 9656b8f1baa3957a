/**
 * The import rules of the code base, checked by `scripts/test.sh` (dependency-cruiser): imports go
 * one way, from the edges (servers, pages, tests) to the core (the meeting domain, the store, the
 * SFU), and never round in a circle. `npm run deps` checks by hand; docs/architecture.md draws the
 * layers these rules keep.
 */
const PRODUCT = '^(common|sfu|signaling|web/src|deploy)/';

module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      comment: 'Two files that import each other (directly or round a circle) are one concept split badly: give one side a narrow interface.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form layers: a folder that reaches back to a folder that imports it has no place in them.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'meeting-domain-without-sockets',
      comment: 'The meeting domain (and Q&A, the store) never imports the socket layer: it speaks through the Notifier interface.',
      severity: 'error',
      from: { path: '^signaling/(meeting|qa|store|schedule|admission|attendance)/' },
      to: { path: ['^node_modules/socket\\.io/', '^signaling/(socketServer|socketNotifier|socketTypes|server|adapter)\\.ts$', '^signaling/(edge|http)/'] },
    },
    {
      name: 'sfu-without-signaling',
      comment: 'The SFU (one node or the cluster) knows nothing of meetings, sockets or sign-in.',
      severity: 'error',
      from: { path: '^sfu/' },
      to: { path: '^signaling/' },
    },
    {
      name: 'common-is-a-leaf',
      comment: 'common/ holds what every part shares; it imports none of them.',
      severity: 'error',
      from: { path: '^common/' },
      to: { path: '^(sfu|signaling|web|deploy)/' },
    },
    {
      name: 'web-reads-only-the-wire',
      comment: 'The browser client shares only the wire protocol (and the wire types of the schedule) with the server.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^(common|sfu|deploy)/|^signaling/(?!protocol/|schedule/types\\.ts$)' },
    },
    {
      name: 'product-without-tests',
      comment: 'What ships never imports tests, benchmarks or their harness.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: '^(test|load-tests|harness)/' },
    },
    {
      name: 'harness-is-shared',
      comment: 'harness/ is what tests and benchmarks share (servers, clusters, Chromium, media); it imports neither.',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(test|load-tests)/' },
    },
    {
      name: 'tests-and-benchmarks-apart',
      comment: 'Tests and benchmarks share harness/, never each other.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^load-tests/' },
    },
    {
      name: 'benchmarks-and-tests-apart',
      comment: 'Tests and benchmarks share harness/, never each other.',
      severity: 'error',
      from: { path: '^load-tests/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^web/dist/' },
  },
};

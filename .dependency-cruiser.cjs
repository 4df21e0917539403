/**
 * The layering the README promises, checked on every `npm test`: each folder of src/ imports
 * only from itself and from folders earlier in this list, and nothing imports in a circle.
 */
const LAYERS = ['diagnostics', 'validation', 'policy', 'markers', 'registry', 'verify', 'config', 'resolve', 'setup', 'pipeline', 'explain', 'krm', 'cli'];

const upward = LAYERS.map((layer, index) => {
  const above = LAYERS.slice(index + 1);
  return {
    name: `${layer}-imports-upward`,
    comment: `src/${layer}/ may import only from ${LAYERS.slice(0, index).join(', ') || 'nothing of ours'}`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: above.length ? `^src/(?:${above.join('|')})/|^src/main\\.ts$` : '^src/main\\.ts$' },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a circle means no module in it can be understood or tested alone',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

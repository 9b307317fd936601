// npm run bench [NAME...]: runs the benchmarks (all by default). Never part of npm test.
const all = ['startup', 'render', 'inventory', 'usage'];
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : all) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}" (${all.join(', ')})`);
    process.exit(2);
  }
  const { run } = await import(`./${name}.mjs`);
  await run();
}
